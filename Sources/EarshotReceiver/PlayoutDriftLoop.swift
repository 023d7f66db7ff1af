/// Steers the playout resampler's ratio so that the playout delay stays on its target while the sender's and the
/// device's clocks drift apart, the way roc-toolkit's FreqEstimator and PipeWire's DLL do, but with the drift
/// measured rather than integrated from the delay error.
///
/// The drift is the slope of the *uncorrected delay*: the jitter buffer's unsmoothed delay of the frame due minus
/// every frame put in or taken out on purpose (splices, dropped and stretched frames, the resampler's surplus). That
/// signal moves with the two clocks only, not with the ratio, the splices or the target's changes after a jitter
/// spike, so the estimate (an exponentially weighted least-squares line over about `windowSeconds`) cannot be wound
/// up by them, and the loop around the ratio has one state: the delay. The ratio cancels the estimated drift and adds
/// a proportional trim of the delay error (clamped: at most 90 ppm once settled, 200 ppm before), which brings the
/// delay onto the target with a time constant of `1 / phaseGainPerSecond` by a pitch change too small to hear, not by
/// splices. The error is the line's value now plus the corrections, against the target (`filteredErrorMs`): the
/// measurement's noise averaged out, a splice, the ratio's effect and a change of target seen at once.
///
/// A step in the uncorrected delay (a sound server that stalled the device for a second, a device reopened, a path
/// that changed) is not drift: a sample further off the line than `stepThresholdMs` or `stepSpreads` times the line's
/// usual spread is left out, and when such samples last `stepConfirmSeconds` the line starts again from them (the
/// estimate is kept, as for `restartLine`). Without that, a one-second stall read as thousands of ppm for the
/// line's whole window, a pitch error plain on any tone.
///
/// `ratio` = output frames per input frame = 1 − (drift + trim), the correction within ±`maximumCorrectionPpm`,
/// moving at most `maximumSlewPpmPerSecond`. Positive drift: the sender's clock runs fast against the device's.
///
/// Invariant: no storage beyond its fields; every call is allocation- and lock-free. Thread: the producer only.
struct PlayoutDriftLoop {
    struct Configuration: Sendable {
        /// Time constant of the least-squares line's forgetting, in seconds.
        var windowSeconds = 10.0
        /// The line is trusted once it spans this long; before that the drift is the previous estimate.
        var minimumSpanSeconds = 2.0
        /// After `restartLine` the kept estimate is replaced only once the new line spans this long: a 2 s line's
        /// slope is noisier than an estimate that held for the same clocks.
        var restartedSpanSeconds = 5.0
        /// A new stream's first seconds are left out of the line: the delay is measured from the fastest arrival in
        /// `PlayoutDelayEstimator`'s window, and until that window is full every faster packet found lowers the
        /// reference, so the delay creeps up (read as hundreds of ppm from clocks that agree).
        var settleSeconds = 2.0
        /// The trim's gain (ppm per µs of delay error): under the clamp the error decays with a time constant of
        /// `1 / phaseGainPerSecond` seconds.
        var phaseGainPerSecond = 0.5
        /// The error the trim sees is clamped to this, in ms, once the delay has reached its target (`isSettled`), so
        /// the trim never bends the pitch by more than 90 ppm (0.09 Hz at 997 Hz; the drift estimate adds its few
        /// ppm): larger errors are the splices' (a target's jump) or are walked off at 90 ppm (1.5 ms in 17 s).
        var maximumTrimErrorMs = 0.18
        /// The clamp until then: 200 ppm (a third of a cent) walks a new stream's start-up error off in about 8 s.
        var convergingTrimErrorMs = 0.4
        /// The delay error below which the loop counts as settled, in ms.
        var settledErrorMs = 0.1
        /// The correction's range, in ppm.
        var maximumCorrectionPpm = 2000.0
        /// How fast the applied correction may move, in ppm per second (a 997 Hz tone moves by 1 Hz per 1000 ppm).
        var maximumSlewPpmPerSecond = 1000.0
        /// A sample at least this far off the line, in ms, is taken for a step (see the type's comment) ...
        var stepThresholdMs = 5.0
        /// ... or this many times the line's mean absolute deviation, when that is more (a jittery network).
        var stepSpreads = 6.0
        /// Samples off the line for this long are a step: the line restarts from them.
        var stepConfirmSeconds = 0.5
    }

    let configuration: Configuration


    /// The estimated drift of the sender's clock against the device's, in ppm (0 until measured).
    private(set) var driftPpm = 0.0
    /// The correction applied now, in ppm (drift plus trim, clamped and slew-limited).
    private(set) var correctionPpm = 0.0
    /// The delay error the trim last saw, in ms (positive: above target): `filteredErrorMs`, or the jitter buffer's
    /// smoothed error while there is none.
    private(set) var delayErrorMs = 0.0

    /// The line's delay error of the last update, nil while the line spans less than `minimumSpanSeconds`.
    private(set) var filteredErrorMs: Double?

    /// `driftPpm` was measured since the last `reset` (a restarted line then waits for `restartedSpanSeconds`).
    private var estimated = false
    /// The delay has been within `settledErrorMs` of its target since the last `reset` (the trim's clamp narrows).
    private(set) var isSettled = false
    /// Steps found in the uncorrected delay since `init` (see the type's comment).
    private(set) var steps = 0

    /// Output frames per input frame for the resampler.
    var ratio: Double { 1 - correctionPpm * 1e-6 }

    /// The uncorrected delay's line (ms against seconds): its slope is the drift.
    private var line: ForgettingLineFit
    private var lastNanos: Int64?
    /// The mean absolute deviation of the samples from the line, in ms, averaged like the line.
    private var spreadMs = 0.0
    /// The first update since `reset` (nil before it).
    private var streamStartNanos: Int64?
    /// When the current run of samples off the line began (nil: the last sample was on it).
    private var offLineSinceNanos: Int64?

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        line = ForgettingLineFit(
            windowSeconds: configuration.windowSeconds, minimumSpanSeconds: configuration.minimumSpanSeconds)
    }

    /// A new stream: forgets the line and the estimate; the correction returns toward 0 at the slew rate.
    mutating func reset() {
        restartLine()
        driftPpm = 0
        estimated = false
        isSettled = false
        streamStartNanos = nil
        delayErrorMs = 0
    }

    /// The delay measurement restarted (rebuffering after an underrun, a resync): forgets the line but keeps the
    /// estimate, which still holds for the same two clocks.
    mutating func restartLine() {
        line.reset()
        lastNanos = nil
        filteredErrorMs = nil
        spreadMs = 0
        offLineSinceNanos = nil
    }

    /// Feeds one decision's measurement and returns the ratio to resample its frame with.
    ///
    /// - `nowNanos`: the clock the delay was measured at (monotonic, or the simulation's).
    /// - `measuredDelayMs`: the jitter buffer's unsmoothed delay of the frame due (`JitterBuffer.measuredDelayMs`).
    /// - `correctedFrames`: every frame inserted minus removed on purpose so far, resampler included, as of the
    ///   measurement (48 kHz frames: the resampler's surplus is counted at the stream's rate).
    /// - `targetDelayMs`: the jitter buffer's target.
    /// - `smoothedErrorMs`: the jitter buffer's smoothed delay minus the target (`JitterBuffer.delayExcessMs`), the
    ///   error used until the line spans `minimumSpanSeconds`.
    ///
    /// The delay error the trim sees (`delayErrorMs`) is the line's value now plus the corrections, against the
    /// target: the measurement's noise is averaged over the line's window, while a splice, the resampler's surplus
    /// and a change of target show in it at once.
    @discardableResult
    mutating func update(
        nowNanos: Int64, measuredDelayMs: Double, correctedFrames: Double, targetDelayMs: Double,
        smoothedErrorMs: Double
    ) -> Double {
        let elapsedSeconds = lastNanos.map { max(0, Double(nowNanos - $0) * 1e-9) } ?? 0
        lastNanos = nowNanos
        let correctedMs = correctedFrames / 48
        let uncorrectedMs = measuredDelayMs - correctedMs
        let streamStart = streamStartNanos ?? nowNanos
        streamStartNanos = streamStart
        if Double(nowNanos - streamStart) * 1e-9 < configuration.settleSeconds {
            // The delay's reference is still settling (see `settleSeconds`).
        } else if let predicted = line.value(atNanos: nowNanos) {
            let deviation = abs(uncorrectedMs - predicted)
            if deviation > max(configuration.stepThresholdMs, configuration.stepSpreads * spreadMs) {
                let since = offLineSinceNanos ?? nowNanos
                offLineSinceNanos = since
                if Double(nowNanos - since) * 1e-9 >= configuration.stepConfirmSeconds {
                    restartLine()
                    steps += 1
                    line.add(nanos: nowNanos, value: uncorrectedMs)
                }
            } else {
                offLineSinceNanos = nil
                let weight = 1 - PlayoutDelayEstimator.exponentialDecay(elapsedSeconds / configuration.windowSeconds)
                spreadMs += (deviation - spreadMs) * weight
                line.add(nanos: nowNanos, value: uncorrectedMs)
            }
        } else {
            line.add(nanos: nowNanos, value: uncorrectedMs)
        }
        if let slope = line.slopePerSecond, !estimated || line.spanSeconds >= configuration.restartedSpanSeconds {
            driftPpm = min(configuration.maximumCorrectionPpm, max(-configuration.maximumCorrectionPpm, slope * 1000))
            estimated = true
        }
        filteredErrorMs = line.valueNow.map { $0 + correctedMs - targetDelayMs }
        let delayErrorMs = filteredErrorMs ?? smoothedErrorMs
        self.delayErrorMs = delayErrorMs
        if let filteredErrorMs, abs(filteredErrorMs) < configuration.settledErrorMs { isSettled = true }
        let clamp = isSettled ? configuration.maximumTrimErrorMs : configuration.convergingTrimErrorMs
        let clampedError = min(clamp, max(-clamp, delayErrorMs))
        var wanted = driftPpm + configuration.phaseGainPerSecond * clampedError * 1000
        wanted = min(configuration.maximumCorrectionPpm, max(-configuration.maximumCorrectionPpm, wanted))
        let slew = configuration.maximumSlewPpmPerSecond * elapsedSeconds
        correctionPpm += min(slew, max(-slew, wanted - correctionPpm))
        return ratio
    }
}

extension PlayoutDriftLoop.Configuration {
    /// For a scheduled playout (`PlayoutController.schedule`): the delay is measured from the capture instants, so
    /// nothing needs to settle first (`settleSeconds` 0), and the trim pulls twice as hard and up to 500 ppm before
    /// settling (0.9 cents), so a box whose start is off by the device's report at that instant (tenths of a ms, up to
    /// 1.4 ms on the rig) is on its schedule within seconds.
    static let scheduled = PlayoutDriftLoop.Configuration(
        settleSeconds: 0, phaseGainPerSecond: 1, convergingTrimErrorMs: 0.5)
}
