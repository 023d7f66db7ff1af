import Atomics

/// A snapshot of the capture thread's counters.
public struct CaptureCounters: Sendable, Equatable {
    /// Periods read from ALSA.
    public var periods: Int
    /// Frames read from the device and stored in the ring buffer.
    public var framesToRing: Int
    /// Times the ring was too full for a captured period (a run of consecutive full periods counts once).
    public var overrunEvents: Int
    /// Captured frames dropped because the ring was full.
    public var overrunFrames: Int
    /// Device xruns (`-EPIPE`) and suspends (`-ESTRPIPE`) recovered from.
    public var xruns: Int
    /// Negative errno that ended the thread, 0 while healthy.
    public var fatalError: Int32
}

/// The atomics behind `CaptureCounters`: written by the capture thread only (relaxed), read from any thread.
struct CaptureCounterCells {
    let periods = UnsafeAtomic<Int>.create(0)
    let framesToRing = UnsafeAtomic<Int>.create(0)
    let overrunEvents = UnsafeAtomic<Int>.create(0)
    let overrunFrames = UnsafeAtomic<Int>.create(0)
    let xruns = UnsafeAtomic<Int>.create(0)
    let fatalError = UnsafeAtomic<Int>.create(0)

    func snapshot() -> CaptureCounters {
        CaptureCounters(
            periods: periods.load(ordering: .relaxed),
            framesToRing: framesToRing.load(ordering: .relaxed),
            overrunEvents: overrunEvents.load(ordering: .relaxed),
            overrunFrames: overrunFrames.load(ordering: .relaxed),
            xruns: xruns.load(ordering: .relaxed),
            fatalError: Int32(truncatingIfNeeded: fatalError.load(ordering: .relaxed)))
    }

    func destroy() {
        for cell in [periods, framesToRing, overrunEvents, overrunFrames, xruns, fatalError] { cell.destroy() }
    }
}
