#if canImport(Glibc)
import Glibc
#endif

/// A CLOCK_MONOTONIC reading in nanoseconds. Allocation-free; callable from any thread.
public struct MonotonicInstant: Sendable, Hashable, Comparable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    @inline(__always)
    public static func now() -> MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    /// Sleeps about `nanoseconds` (≤ 0: returns at once). A signal may end it early; callers re-check their clock.
    @inline(__always)
    public static func sleep(nanoseconds: Int64) {
        guard nanoseconds > 0 else { return }
        var nap = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        nanosleep(&nap, nil)
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: MonotonicInstant, nanoseconds: Int64) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: lhs.nanoseconds + nanoseconds)
    }
}

/// CLOCK_REALTIME in nanoseconds since the Unix epoch (the clock kernel receive timestamps use).
@inline(__always)
public func realtimeNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}
