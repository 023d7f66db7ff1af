import Atomics
import EarshotALSA

#if canImport(Glibc)
    import Glibc
#endif

/// Plays a ring buffer through an ALSA PCM on a dedicated real-time thread.
///
/// Each period: wait for room (`snd_pcm_wait`, or a timer for a sound server's PCM: see `Pacing`), take one period
/// from the ring and write it. While the device still holds a period, a ring short of one is waited for (a quarter
/// period at a time, never blocking); then the shortage is filled with a short fade of the last frame and silence
/// (counted as an underrun); `-EPIPE`/`-ESTRPIPE` are recovered and counted as xruns. Everything the loop needs is
/// allocated in `init`; the loop itself neither allocates nor locks (`PlaybackLoop` is `@_noLocks`, and
/// `RealtimeAllocationProbeTests` prove it at run time under RealtimeSanitizer).
///
/// With `Options.gain`, each period is scaled by the output gain on its way to the device, a change ramped over a few
/// ms from the next period on (`GainRamp`).
///
/// With `Options.standby` asking for it and less than a period in the ring, the device is stopped (paused where it can
/// pause, else dropped) and the thread only looks for the end of standby every 20 ms; then it starts the device again
/// as at the beginning.
///
/// Threads: the producer writes the ring; `start`, `stop` and `deinit` belong to one control thread; `counters` may
/// be read from any thread. Shortages are counted only after the first frame came from the ring, so the silence
/// played while the pipeline fills is not an underrun.
public final class PlaybackThread: @unchecked Sendable {
    /// What wakes the thread for the next period.
    public enum Pacing: Sendable, Equatable {
        /// The timer for a sound server's plugin (`PCMHandle.isServerBacked`), the device otherwise.
        case automatic
        /// `snd_pcm_wait` on the device's poll descriptor: right for hardware, whose interrupt is the clock.
        case deviceWakeups
        /// A CLOCK_MONOTONIC sleep until the device will have a period of room (timer-based scheduling, as
        /// PulseAudio and PipeWire drive hardware themselves).
        case timer
    }

    /// `.automatic` by default: the timer on a sound server's PCM, device wake-ups on hardware. On the PulseAudio rig
    /// the timer had fewer dropouts and glitch windows than device wake-ups, about 5 ms less latency and less CPU
    /// (the measurements are in the git history of this comment).
    public struct Options: Sendable {
        /// Frames of the fade that conceals a shortage (1 ms at 48 kHz by default).
        public var concealmentFadeFrames: Int
        public var scheduling: RealtimeScheduling
        public var pacing: Pacing

        /// A second ring that receives a copy of every period written to the device (concealment and `gain`
        /// included), for recording exactly what was played. Frames that do not fit are dropped, never waited for. The caller
        /// owns it and drains it from another thread; channel count must match the device's.
        public var tap: RingBuffer?

        /// Stamped after each wake's takes from the ring, for a producer that refills between takes. The caller
        /// owns it (destroyed after the thread stopped).
        public var cadence: PlaybackCadence?

        /// Asked by the producer to stop the device while no stream plays (paused where it can pause, else
        /// dropped), and to start it again. The caller owns it (destroyed after the thread stopped).
        public var standby: PlaybackStandby?

        /// The output gain: each period played (concealment included, and what `tap` receives) is scaled by it, a
        /// change ramped from the gain reached (`GainRamp`). The thread starts at its current target, without a ramp.
        /// The caller owns it (destroyed after the thread stopped). Nil: unity, the samples untouched.
        public var gain: PlaybackGain?

        /// On the timer, the periods of room the thread waits for before it wakes and writes (clamped to 1 ... the
        /// buffer's periods − 1; device wake-ups come once a period; nil: one). See
        /// `periodsPerWake(requested:pacedByTimer:bufferPeriods:)`.
        public var periodsPerWake: Int?

        /// Cells to count in, shared with the caller (who destroys them after the thread stopped), so that counts
        /// carry on across successive threads; nil: the thread's own.
        public var counters: PlaybackCounterCells?

        #if EARSHOT_TEST_HOOKS
            /// Test hook, debug builds only: the loop allocates once per period, so that a test can prove its
            /// allocation detector notices (`RealtimeAllocationProbeTests`). Never in a release build.
            public var injectsLoopAllocation = false

            /// Test hook, debug builds only: the loop stops turning this long after it starts (it only waits for
            /// `stop()`), as a stuck thread would, so that a test can prove a watchdog notices
            /// (`PlaybackCounters.turns` stops). Never in a release build.
            public var stallsAfterNanoseconds: Int? = nil
        #endif

        public init(
            concealmentFadeFrames: Int = 48, scheduling: RealtimeScheduling = .fifo(priority: 80),
            pacing: Pacing = .automatic, tap: RingBuffer? = nil, cadence: PlaybackCadence? = nil,
            standby: PlaybackStandby? = nil, periodsPerWake: Int? = nil, gain: PlaybackGain? = nil,
            counters: PlaybackCounterCells? = nil
        ) {
            self.counters = counters
            self.concealmentFadeFrames = concealmentFadeFrames
            self.scheduling = scheduling
            self.pacing = pacing
            self.tap = tap
            self.cadence = cadence
            self.standby = standby
            self.periodsPerWake = periodsPerWake
            self.gain = gain
        }
    }

    public let parameters: PCMParameters
    private var lifecycle: DeviceThreadLifecycle
    private let loop: UnsafeMutablePointer<PlaybackLoop>
    private let counterCells: PlaybackCounterCells
    private let ownsCounterCells: Bool
    /// Set by the thread as its loop returns, whatever the reason.
    private let loopEnded: UnsafeAtomic<Bool>
    #if EARSHOT_TEST_HOOKS
        private let injectedAllocationSink: UnsafeAtomic<Int>
    #endif

    /// Takes ownership of `device` (closed when this object goes away). `ring` stays owned by the caller and must
    /// outlive the thread; its channel count must match the device's.
    public init(device: consuming PCMDevice, ring: RingBuffer, options: Options = Options()) {
        let parameters = device.parameters
        precondition(
            ring.channels == parameters.channels, "ring has \(ring.channels) channels, device \(parameters.channels)")
        self.parameters = parameters
        let channels = parameters.channels
        let period = UnsafeMutablePointer<Float>.allocate(capacity: parameters.periodFrames * channels)
        period.initialize(repeating: 0, count: parameters.periodFrames * channels)
        let lastFrame = UnsafeMutablePointer<Float>.allocate(capacity: channels)
        lastFrame.initialize(repeating: 0, count: channels)
        counterCells = options.counters ?? PlaybackCounterCells()
        ownsCounterCells = options.counters == nil
        let loopEnded = UnsafeAtomic<Bool>.create(false)
        self.loopEnded = loopEnded
        let lifecycle = DeviceThreadLifecycle(device: device, scheduling: options.scheduling)
        let handle = lifecycle.device.handle
        let pacedByTimer = Self.pacesByTimer(options.pacing, device: handle)
        loop = .allocate(capacity: 1)
        loop.initialize(
            to: PlaybackLoop(
                alsa: ALSACall(pcm: handle, sanitizer: .resolve()), ring: ring,
                periodFrames: parameters.periodFrames, bufferFrames: parameters.bufferFrames, channels: channels,
                waitTimeoutMilliseconds: Int32(max(1, parameters.periodMilliseconds)),
                pacedByTimer: pacedByTimer,
                periodNanoseconds: parameters.periodFrames * 1_000_000_000 / parameters.sampleRate,
                periodsPerWake: Self.periodsPerWake(
                    requested: options.periodsPerWake, pacedByTimer: pacedByTimer,
                    bufferPeriods: parameters.bufferFrames / parameters.periodFrames),
                period: period, lastFrame: lastFrame, fadeFrames: max(1, options.concealmentFadeFrames),
                counters: counterCells, stopRequested: lifecycle.stopRequested, ended: loopEnded, tap: options.tap,
                cadence: options.cadence, standby: options.standby, gain: options.gain,
                gainRamp: GainRamp(
                    gain: options.gain?.target ?? 1,
                    rampFrames: options.gain?.rampFrames ?? PlaybackGain.defaultRampFrames)))
        #if EARSHOT_TEST_HOOKS
            let sink = UnsafeAtomic<Int>.create(0)
            injectedAllocationSink = sink
            if options.injectsLoopAllocation { loop.pointee.injectedAllocationSink = sink }
            loop.pointee.stallsAfterNanoseconds = options.stallsAfterNanoseconds
        #endif
        self.lifecycle = lifecycle
    }

    /// Whether the loop sleeps on a timer (`Pacing.timer`, or `.automatic` on a sound server's PCM). Any thread.
    public var isPacedByTimer: Bool { loop.pointee.pacedByTimer }

    /// The periods each wake-up writes (see `Options.periodsPerWake`): 1 unless paced by the timer. Any thread.
    public var periodsPerWake: Int { loop.pointee.periodsPerWake }

    /// Whether `pacing` puts a thread playing `device` on the timer.
    public static func pacesByTimer(_ pacing: Pacing, device: PCMHandle) -> Bool {
        pacing == .timer || (pacing == .automatic && device.isServerBacked)
    }

    /// The periods per timed wake-up when the caller asked for `requested` (nil: one), clamped so that a period is
    /// left in the device at every wake-up. A device that wakes the thread itself does so once a period, so more
    /// apply to the timer only.
    ///
    /// One is the default. Two cut the receiver's CPU by a quarter to a third on the PulseAudio rig (the playback
    /// thread, the producer and the plugin's thread each wake less), but the device drains to a period before each
    /// take, which cost latency or dropouts in every arrangement tried (see the git history of this comment).
    public static func periodsPerWake(requested: Int?, pacedByTimer: Bool, bufferPeriods: Int) -> Int {
        guard pacedByTimer else { return 1 }
        return max(1, min(requested ?? 1, bufferPeriods - 1))
    }

    /// Whether the thread's loop has returned: after `stop()`, or by itself when the device failed beyond recovery
    /// (`counters.fatalError` then holds the error). Any thread.
    public var hasEnded: Bool { loopEnded.load(ordering: .acquiring) }

    /// A consistent-enough snapshot of the counters (each field is read atomically). Any thread.
    public var counters: PlaybackCounters { counterCells.snapshot() }

    /// Prepares the PCM and starts the thread. Returns the one scheduling warning to log, if real-time scheduling
    /// was refused. Control thread.
    @discardableResult
    public func start() throws(ALSAError) -> String? {
        try lifecycle.start(context: UnsafeMutableRawPointer(loop)) { context in
            context!.assumingMemoryBound(to: PlaybackLoop.self).pointee.run()
            return nil
        }
    }

    /// Asks the thread to stop, waits for it (at most about one period plus one ALSA write), and drops queued
    /// frames. Control thread. Safe to call when not started.
    public func stop() { lifecycle.stop() }

    deinit {
        stop()
        loop.pointee.period.deallocate()
        loop.pointee.lastFrame.deallocate()
        loop.deinitialize(count: 1)
        loop.deallocate()
        if ownsCounterCells { counterCells.destroy() }
        loopEnded.destroy()
        #if EARSHOT_TEST_HOOKS
            injectedAllocationSink.destroy()
        #endif
    }
}
