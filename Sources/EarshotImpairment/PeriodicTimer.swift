/// A coarse repeating timer for a polling loop: disarmed until `arm(firstDue:)`, then due once per period. A loop
/// that fell more than a period behind skips the missed ticks (no catch-up burst).
///
/// Times are monotonic nanoseconds. Value type; single-threaded.
public struct PeriodicTimer: Sendable, Equatable {
    /// The next time `fireIfDue` returns true; nil while disarmed.
    public private(set) var nextDue: Int64?

    public init() {}

    public mutating func arm(firstDue: Int64) { nextDue = firstDue }

    /// True (and the next tick scheduled `periodNanoseconds` later) if a tick is due at `now`.
    public mutating func fireIfDue(now: Int64, periodNanoseconds: Int64) -> Bool {
        guard let due = nextDue, now >= due else { return false }
        let next = due + max(1, periodNanoseconds)
        nextDue = next > now ? next : now + max(1, periodNanoseconds)
        return true
    }
}
