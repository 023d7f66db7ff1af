import Atomics

#if canImport(Glibc)
    import Glibc
#endif

/// When the playback thread last took a period from the ring, so that the producer can wake once per period, halfway
/// between two takes, instead of guessing the takes' phase from the ring's level; and what the device held after
/// that wake, so that the producer tops up the ring and the device together (`deviceHeldFrames`).
///
/// Why: the device takes whole periods, so a producer that sleeps until the ring "should" have drained to its refill
/// level wakes a quarter more often than it refills (250 wake-ups a second against 200 refills at 5 ms periods), and
/// on a VM each wake-up costs more than the audio work it does. Halfway between takes leaves half a period of slack
/// on both sides for the two threads' scheduling jitter.
///
/// Threads: only the playback thread calls `recordTake` and `recordHeld`; any thread may call `refillInstant` and
/// read `deviceHeldFrames`. The owner creates it before either thread starts and calls `destroy()` after both have
/// stopped. A trivial value: copies share the cells.
public struct PlaybackCadence: @unchecked Sendable {
    /// The time between two of the playback thread's takes, in nanoseconds: one device period, or several
    /// (`PlaybackThread.periodsPerWake`).
    public let periodNanoseconds: Int
    /// CLOCK_MONOTONIC nanoseconds of the last take; 0 before the first.
    private let lastTakeNanoseconds: UnsafeAtomic<Int>
    /// Frames the device held just after the last wake's writes; 0 before the first.
    private let heldFrames: UnsafeAtomic<Int>

    public init(periodNanoseconds: Int) {
        precondition(periodNanoseconds > 0, "a period must be positive")
        self.periodNanoseconds = periodNanoseconds
        lastTakeNanoseconds = .create(0)
        heldFrames = .create(0)
    }

    /// Owner only, after both threads have stopped.
    public func destroy() {
        lastTakeNanoseconds.destroy()
        heldFrames.destroy()
    }

    /// Notes that the last period of this wake was taken now, leaving the device holding `deviceHeldFrames`.
    /// Playback thread; allocation- and lock-free (a vDSO clock read and two stores).
    @inline(__always)
    func recordTake(deviceHeldFrames: Int) {
        recordTake(atNanoseconds: Self.nowNanoseconds(), deviceHeldFrames: deviceHeldFrames)
    }

    /// Notes what the device holds after a wake that took nothing (no room, or the ring short of a period), so the
    /// producer does not top up against a level the device has since drained from. Playback thread; one store.
    @inline(__always)
    func recordHeld(deviceHeldFrames: Int) { heldFrames.store(deviceHeldFrames, ordering: .releasing) }

    @inline(__always)
    func recordTake(atNanoseconds instant: Int, deviceHeldFrames: Int) {
        recordHeld(deviceHeldFrames: deviceHeldFrames)
        // Releasing, paired with the acquiring load in `refillInstant`: a producer that sees this instant also sees
        // the ring's read index of the take it stamps.
        lastTakeNanoseconds.store(instant, ordering: .releasing)
    }

    /// The frames the device held after the playback thread's last wake (0 before the first): with the ring's level,
    /// what is queued ahead of the producer's next frame. Any thread.
    public var deviceHeldFrames: Int { heldFrames.load(ordering: .acquiring) }

    /// The first instant after `nowNanoseconds` that lies halfway between two expected takes (the last take plus
    /// whole periods plus half of one), or nil before the first take. Any thread.
    public func refillInstant(after nowNanoseconds: Int) -> Int? {
        let last = lastTakeNanoseconds.load(ordering: .acquiring)
        guard last > 0 else { return nil }
        let halfway = last + periodNanoseconds / 2
        guard halfway <= nowNanoseconds else { return halfway }
        // A take that has not come (the device stalled, or took several periods at once): keep the phase.
        let periodsPast = (nowNanoseconds - halfway) / periodNanoseconds + 1
        return halfway + periodsPast * periodNanoseconds
    }

    /// When to refill next, for a producer that has just refilled at `nowNanoseconds`: halfway after the first take
    /// still to come, which is the first halfway instant more than half a take interval away (a take before now was
    /// seen by that refill). Nil before the first take. Any thread.
    ///
    /// Why not the first halfway after now: a take that came a little late (a sound server's takes come unevenly)
    /// puts its halfway just after a refill that has already seen it, and the producer woke again for nothing: 254
    /// wake-ups a second for 200 refills on the PulseAudio rig, against 199 with this rule.
    public func nextRefillInstant(afterRefillAt nowNanoseconds: Int) -> Int? {
        refillInstant(after: nowNanoseconds + periodNanoseconds / 2)
    }

    /// CLOCK_MONOTONIC in nanoseconds. `clock_gettime` is served by the vDSO: no system call, lock or allocation, so it
    /// is hidden from the `@_noLocks` check, which cannot see into C.
    @inline(__always)
    static func nowNanoseconds() -> Int {
        _unsafePerformance {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return time.tv_sec * 1_000_000_000 + time.tv_nsec
        }
    }
}
