/// The receivers the sender has admitted (`ReceiverReportAdmission`), each with what it last reported; bounded, and
/// forgetting receivers that stopped reporting.
///
/// Invariants: at most `capacity` entries, one per SSRC, stored in an array reserved to `capacity` at `init` and
/// never exposed, so it is never reallocated or copied; an entry's `address` never changes (a report under its SSRC
/// from elsewhere is the caller's `ssrcConflict`). A new receiver gets a free slot, else the slot of the stalest
/// receiver that said BYE or expired; receivers that keep reporting are never evicted, so strangers filling the table
/// can only be turned away (`insert` returns nil), never displace them.
///
/// Control thread only (owned by `SenderRTCPSession`).
struct RemoteReceiverTable: Sequence {
    /// Default bound: far more receivers than a LAN stream has, small enough to scan linearly per report.
    static let defaultCapacity = 64
    /// Default silence after which a receiver is forgotten: RFC 3550 §6.3.5 times a participant out after 5 report
    /// intervals, and RFC 3550 receivers report every 5 s at least (randomised 2.5–7.5 s): 30 s covers them
    /// (earshot-recv reports about once a second).
    static let defaultExpiryNanoseconds: Int64 = 30_000_000_000

    let capacity: Int
    let expiryNanoseconds: Int64
    private var entries: [RemoteReceiverStatistics]

    init(capacity: Int = defaultCapacity, expiryNanoseconds: Int64 = defaultExpiryNanoseconds) {
        precondition(capacity > 0, "RemoteReceiverTable needs room for at least one receiver")
        self.capacity = capacity
        self.expiryNanoseconds = expiryNanoseconds
        entries = []
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    func makeIterator() -> IndexingIterator<[RemoteReceiverStatistics]> { entries.makeIterator() }

    /// The slot of receiver `ssrc`, if admitted.
    func index(of ssrc: UInt32) -> Int? { entries.firstIndex { $0.ssrc == ssrc } }

    subscript(index: Int) -> RemoteReceiverStatistics {
        get { entries[index] }
        set {
            precondition(newValue.ssrc == entries[index].ssrc && newValue.address == entries[index].address,
                "a receiver's SSRC and address are fixed")
            entries[index] = newValue
        }
    }

    /// Admits `receiver` (a new SSRC) into a free slot, else into the slot of the stalest receiver that left or
    /// expired at `nowNanos` (returned as `evicted`). Returns nil, changing nothing, when every slot holds a receiver
    /// that still reports.
    mutating func insert(_ receiver: RemoteReceiverStatistics, nowNanos: Int64)
        -> (index: Int, evicted: RemoteReceiverStatistics?)?
    {
        precondition(index(of: receiver.ssrc) == nil, "receiver \(receiver.ssrc) is already in the table")
        if entries.count < capacity {
            entries.append(receiver)
            return (entries.count - 1, nil)
        }
        var stalest: Int?
        for (index, entry) in entries.enumerated() where entry.left || isExpired(entry, nowNanos: nowNanos) {
            if stalest.map({ entry.lastReportTime < entries[$0].lastReportTime }) ?? true { stalest = index }
        }
        guard let stalest else { return nil }
        let evicted = entries[stalest]
        entries[stalest] = receiver
        return (stalest, evicted)
    }

    /// Forgets every receiver without a report for longer than `expiryNanoseconds` at `nowNanos`; returns how many.
    mutating func removeExpired(nowNanos: Int64) -> Int {
        let before = entries.count
        let expiry = expiryNanoseconds
        entries.removeAll { nowNanos - $0.lastReportTime > expiry }
        return before - entries.count
    }

    private func isExpired(_ entry: RemoteReceiverStatistics, nowNanos: Int64) -> Bool {
        nowNanos - entry.lastReportTime > expiryNanoseconds
    }
}
