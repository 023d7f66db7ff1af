/// Holds packets and releases them N at a time, as a sender fed by a bursty capture does (GStreamer's `alsasrc`
/// sends pairs of 5 ms packets every 10 ms): the first packet of a group waits for the other N − 1, then the whole
/// group goes at once. A partial group is released once its first packet has waited the caller's timeout (the
/// proxy passes N frame durations), so nothing is held forever.
///
/// Invariants: at most N − 1 elements are held between calls; elements come out in the order they went in.
/// Times are monotonic nanoseconds. Value type; single-threaded.
public struct BurstGrouper<Element> {
    public let size: Int
    private var held: [Element] = []
    private var firstHeldAt: Int64?

    /// `size` ≥ 1; 1 releases every element at once.
    public init(size: Int) {
        precondition(size >= 1, "burst size must be at least 1")
        self.size = size
        held.reserveCapacity(size)
    }

    public var heldCount: Int { held.count }

    /// Adds `element` arriving at `now`; returns the group to release now (empty while the group fills).
    public mutating func add(_ element: Element, now: Int64) -> [Element] {
        if held.isEmpty { firstHeldAt = now }
        held.append(element)
        return held.count >= size ? releaseAll() : []
    }

    /// When the partial group held now must be released, given the timeout; nil when nothing is held.
    public func flushDeadline(timeoutNanoseconds: Int64) -> Int64? {
        firstHeldAt.map { $0 + timeoutNanoseconds }
    }

    /// Releases the partial group if its first element has waited `timeoutNanoseconds` or more; else empty.
    public mutating func flushIfDue(now: Int64, timeoutNanoseconds: Int64) -> [Element] {
        guard let deadline = flushDeadline(timeoutNanoseconds: timeoutNanoseconds), now >= deadline else { return [] }
        return releaseAll()
    }

    /// Releases whatever is held (at shutdown).
    public mutating func releaseAll() -> [Element] {
        let group = held
        held.removeAll(keepingCapacity: true)
        firstHeldAt = nil
        return group
    }
}
