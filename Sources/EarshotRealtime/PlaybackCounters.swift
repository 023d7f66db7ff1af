import Atomics

/// A snapshot of the playback thread's counters. Every shortfall is counted, never hidden.
public struct PlaybackCounters: Sendable, Equatable {
    /// Periods handed to ALSA.
    public var periods: Int
    /// Frames taken from the ring buffer and played.
    public var framesFromRing: Int
    /// Times the ring ran short after playback had started (a run of consecutive short periods counts once).
    public var underrunEvents: Int
    /// Frames filled with concealment or silence because the ring was short (after playback had started).
    public var underrunFrames: Int
    /// Device xruns (`-EPIPE`) and suspends (`-ESTRPIPE`) recovered from.
    public var xruns: Int
    /// Negative errno that ended the thread, 0 while healthy.
    public var fatalError: Int32
    /// Times the device was stopped for standby (`PlaybackStandby`).
    public var standbyEntries: Int
    /// Turns of the loop: every wake-up, standby polls included, so it advances at least every 20 ms while the thread
    /// runs; it stops only when the thread is stuck or has ended (a liveness sign for a watchdog).
    public var turns: Int
}

/// The atomics behind `PlaybackCounters`: written by one playback thread at a time (relaxed: each is an independent
/// statistic), read from any thread. A trivial value: copies share the cells, so successive playback threads of one
/// receiver (a device closed and opened again) can keep counting in the same cells (`PlaybackThread.Options.counters`).
/// The owner calls `destroy()` once no thread uses them.
public struct PlaybackCounterCells: @unchecked Sendable {
    let periods = UnsafeAtomic<Int>.create(0)
    let framesFromRing = UnsafeAtomic<Int>.create(0)
    let underrunEvents = UnsafeAtomic<Int>.create(0)
    let underrunFrames = UnsafeAtomic<Int>.create(0)
    let xruns = UnsafeAtomic<Int>.create(0)
    let fatalError = UnsafeAtomic<Int>.create(0)
    let standbyEntries = UnsafeAtomic<Int>.create(0)
    let turns = UnsafeAtomic<Int>.create(0)

    public init() {}

    /// Clears `fatalError` once the device it ended is replaced. Control thread, with no playback thread running.
    public func clearFatalError() { fatalError.store(0, ordering: .relaxed) }

    public func snapshot() -> PlaybackCounters {
        PlaybackCounters(
            periods: periods.load(ordering: .relaxed),
            framesFromRing: framesFromRing.load(ordering: .relaxed),
            underrunEvents: underrunEvents.load(ordering: .relaxed),
            underrunFrames: underrunFrames.load(ordering: .relaxed),
            xruns: xruns.load(ordering: .relaxed),
            fatalError: Int32(truncatingIfNeeded: fatalError.load(ordering: .relaxed)),
            standbyEntries: standbyEntries.load(ordering: .relaxed),
            turns: turns.load(ordering: .relaxed))
    }

    public func destroy() {
        for cell in [periods, framesFromRing, underrunEvents, underrunFrames, xruns, fatalError, standbyEntries, turns] {
            cell.destroy()
        }
    }
}
