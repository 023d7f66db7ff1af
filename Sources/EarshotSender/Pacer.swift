#if canImport(Glibc)
import Glibc
#endif

/// Wakes the sending thread at absolute deadlines `start + n * frameDuration` on CLOCK_MONOTONIC.
///
/// Sleeping to absolute deadlines (`clock_nanosleep(TIMER_ABSTIME)`) means a late wake-up never shifts later
/// ticks, so there is no cumulative drift. When the thread falls more than `resynchronizeAfter` behind (the process
/// was stopped, the VM paused), it skips the ticks it missed on the same grid instead of bursting them out, and
/// counts that. Allocation-free; owned by one thread.
public struct Pacer: Sendable {
    /// One wake-up.
    public struct Tick: Sendable, Equatable {
        /// Tick number since `start`; skipped ticks are not returned but do count.
        public let index: Int
        /// `start + index * frameDuration`, nanoseconds on CLOCK_MONOTONIC.
        public let deadline: Int64
        /// How long after `deadline` the thread actually woke, in nanoseconds (≥ 0).
        public let lateness: Int64
        /// Ticks skipped just before this one by a resynchronisation (0 normally); the sender advances its
        /// RTP clock by these frames too.
        public let skippedTicks: Int
    }

    public let frameDuration: Int64
    public let start: Int64
    /// A tick woken up later than this is counted in `missedDeadlines`.
    public let missTolerance: Int64
    /// Falling further behind than this triggers a resynchronisation.
    public let resynchronizeAfter: Int64
    public private(set) var nextIndex = 0
    public private(set) var missedDeadlines = 0
    public private(set) var resynchronizations = 0
    public private(set) var skippedTicks = 0

    /// `frameDuration` in nanoseconds. Defaults: a miss is lateness over half a frame; resynchronise when more
    /// than 8 frames (at least 40 ms) behind. The first tick is due at `start` (default: now).
    public init(
        frameDuration: Int64, start: Int64 = Pacer.now(), missTolerance: Int64? = nil,
        resynchronizeAfter: Int64? = nil
    ) {
        precondition(frameDuration > 0, "frame duration must be positive")
        self.frameDuration = frameDuration
        self.start = start
        self.missTolerance = missTolerance ?? frameDuration / 2
        self.resynchronizeAfter = resynchronizeAfter ?? max(8 * frameDuration, 40_000_000)
    }

    /// Deadline of tick `index`: exact integer arithmetic, no accumulation.
    public func deadline(ofTick index: Int) -> Int64 { start + Int64(index) * frameDuration }

    /// Sleeps until the next deadline and returns the tick.
    public mutating func waitForNextTick() -> Tick {
        var skipped = 0
        let entered = Pacer.now()
        if entered - deadline(ofTick: nextIndex) > resynchronizeAfter {
            // Jump to the first deadline still in the future rather than sending the backlog in a burst.
            let target = Int((entered - start) / frameDuration) + 1
            skipped = target - nextIndex
            nextIndex = target
            skippedTicks += skipped
            resynchronizations += 1
        }
        let due = deadline(ofTick: nextIndex)
        var wake = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nil) == EINTR {}
        let lateness = max(0, Pacer.now() - due)
        if lateness > missTolerance { missedDeadlines += 1 }
        let tick = Tick(index: nextIndex, deadline: due, lateness: lateness, skippedTicks: skipped)
        nextIndex += 1
        return tick
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
