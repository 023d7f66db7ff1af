/// The producer's timing policy in one place: how much audio to keep queued ahead of the speaker, when to wait for a
/// frame that has not arrived, and how the playout delay is moved toward the jitter buffer's target: by the
/// resampler's ratio for clock drift, by sub-frame splices when the target moved by more than a dead band, by
/// dropping whole frames when quiet or hopelessly behind.
///
/// Contract, per refill of the ring (the producer thread; `DriftSimulation` drives the same calls on virtual clocks):
/// 1. `wantsDecision`: take the jitter buffer's next decision while the ring and the device hold less than
///    `targetFillFrames`; a frame that has not arrived is waited for (until the next wake-up) while they still hold
///    `concealFloorFrames`, and concealed only below that.
/// 2. `playoutClockNanos`: the instant the decision's delay is measured at (when the frame will really play, less
///    the queue's fixed part).
/// 3. `followDrift`, after every decision: the ratio to resample the decision's audio with (`PlayoutDriftLoop`,
///    from the uncorrected delay's slope and the delay error), and whether a new stream began (the resampler's
///    history is then stale).
/// 4. `correct`, for decoded due audio: splice it toward the target (`PlayoutDelayCorrector`: 1.5 ms above, 0.5 ms
///    below the target; inside that band only the ratio moves the delay). Both judge the delay by the drift loop's
///    filtered error (its line of the uncorrected delay plus the corrections, against the target) once it has one:
///    the measured delay wanders by a few tenths of a ms on a sound server, and neither should follow that.
/// 5. `shouldDrop`, after a played frame: drop the next one (quiet, or `forcedShrinkExcessMs` above the target).
///
/// Scheduled playout (`schedule`, `--sync-latency`): the delay is no longer a buffer level but when the frame due
/// will really be heard against when the sender captured it. `playoutClockNanos` is then that instant (the playback
/// thread's last look at the device, `PlaybackCadence.playoutAnchor`, plus what the device reported queued and the
/// ring holds, plus `--output-offset`), the jitter buffer measures from the capture instants (`CaptureTimeline`,
/// `PlayoutDelayEstimator.Configuration.measuresFromCapture`), and its target is fixed at the sync latency (the
/// adaptive target, which only knows arrival spreads, is not used: the latency must cover the network's spread, and
/// a frame later than its instant is concealed and counted late). So the same steps 1–5 steer to a wall-clock
/// instant: the start waits to the sample for the first frame's instant, the drift loop trims the ratio, and errors
/// beyond the corrector's band are spliced. The error (`syncErrorMs`, the drift loop's filtered error) beyond
/// `PlayoutSchedule.lostErrorMs` for `lostAfterSeconds` sets `syncLost` (cleared once back within the bound).
///
/// Decided elsewhere, by the parts that own the facts: the target itself (`PlayoutDelayEstimator`: quantile, peak,
/// margin, the late allowance that `concealFloorFrames` buys), the jitter buffer's whole-frame `.stretch` for a
/// deficit beyond 15 ms and its start-up skip, the refill lead (`PlaybackCadence`), the playback thread's hold-back
/// of a take while the device still holds a period (`PlaybackLoop`), and standby (`ReceiverProducer`).
///
/// Invariant: allocates only in `init`. Thread: the producer only.
struct PlayoutController: ~Copyable {
    /// Frames per channel kept queued in the ring and the device together (`targetFillFrames(...)`). This and
    /// `concealFloorFrames` count frames at `frameRate`, the device's rate.
    let targetFillFrames: Int
    /// Below this, a frame that has not arrived is concealed rather than waited for (`concealFloorFrames(...)`).
    let concealFloorFrames: Int
    /// The ring's and the device's frames per second (48 000 unless the device runs at another rate).
    let frameRate: Int
    /// Time-stretches decoded frames when the delay leaves the dead band around the target.
    var delayCorrector: PlayoutDelayCorrector
    /// Estimates the clocks' drift and gives the resampler's ratio.
    var driftLoop = PlayoutDriftLoop()
    /// The drift loop has followed the current playout since it (re)started playing.
    private var following = false
    /// The stream changed since the drift loop last followed one: its estimate belongs to other clocks.
    private var streamChanged = true
    /// The scheduled playout, or nil: the delay is held on the jitter buffer's target.
    let schedule: PlayoutSchedule?
    /// `--output-offset` in ns: the device's sound is heard this much after it leaves the device.
    private let outputOffsetNanos: Int64
    /// A playout anchor older than this (the device gone or stopped) is not trusted: the queue is counted from now.
    static let staleAnchorNanos: Int64 = 200_000_000
    /// The error beyond `PlayoutSchedule.lostErrorMs` since this instant (nil: within it).
    private var syncOffSinceNanos: Int64?
    /// The schedule has been missed by more than `PlayoutSchedule.lostErrorMs` for `lostAfterSeconds`.
    private(set) var syncLost = false

    /// Delay this far above target is shed by whole frames even in loud passages (time-stretching at a few % would
    /// take seconds to drain such a backlog after a stall; one audible splice is the lesser evil).
    static let forcedShrinkExcessMs = 200.0

    /// How far past its instant the first frame after (re)buffering may play (`JitterBuffer.Configuration
    /// .maxStartExcessMs`): 60 ms of a sender's burst shrink slowly; a scheduled playout skips every frame already
    /// late instead (they pile up while the first sender report is awaited), so that it starts on its schedule.
    static func maxStartExcessMs(scheduled: Bool) -> Double { scheduled ? 0 : 60 }

    /// Below this RMS (about −50 dBFS) dropping a frame to shrink the delay is inaudible.
    static let quietRMS: Float = 0.003

    init(
        targetFillFrames: Int, concealFloorFrames: Int, channels: Int, frameRate: Int = 48_000,
        schedule: PlayoutSchedule? = nil
    ) {
        self.targetFillFrames = targetFillFrames
        self.concealFloorFrames = concealFloorFrames
        self.frameRate = frameRate
        self.schedule = schedule
        outputOffsetNanos = Int64((schedule?.outputOffsetMs ?? 0) * 1e6)
        if schedule != nil { driftLoop = PlayoutDriftLoop(configuration: .scheduled) }
        delayCorrector = PlayoutDelayCorrector(channels: channels)
    }

    /// How far the scheduled playout is from its instants, in ms (positive: late), once the drift loop has a line;
    /// nil without a schedule or before that.
    var syncErrorMs: Double? { schedule == nil ? nil : driftLoop.filteredErrorMs }

    /// The policy for a device buffer of `bufferFrames` taken `periodsPerWake` periods at a time.
    init(bufferFrames: Int, periodFrames: Int, periodsPerWake: Int, channels: Int) {
        self.init(
            targetFillFrames: Self.targetFillFrames(
                bufferFrames: bufferFrames, periodFrames: periodFrames, periodsPerWake: periodsPerWake),
            concealFloorFrames: Self.concealFloorFrames(
                bufferFrames: bufferFrames, periodFrames: periodFrames, periodsPerWake: periodsPerWake),
            channels: channels)
    }

    /// 1. Whether to take the next decision now, with `queuedFrames` in the ring and the device.
    func wantsDecision(queuedFrames: Int, jitterBuffer: borrowing JitterBuffer) -> Bool {
        queuedFrames < targetFillFrames && !(queuedFrames >= concealFloorFrames && jitterBuffer.isDueFrameMissing)
    }

    /// 2. The clock reading to measure the next decision's delay with (`PlayoutDelayCorrector.playoutClockNanos`).
    func playoutClockNanos(nowNanos: Int64, queuedFrames: Int) -> UInt64 {
        PlayoutDelayCorrector.playoutClockNanos(
            nowNanos: nowNanos, ringFrames: queuedFrames, fillFrames: targetFillFrames, frameRate: frameRate)
    }

    /// 2, scheduled: the instant the next frame written to the ring will be heard, from the playback thread's last
    /// look at the device (`deviceAnchor`: its instant and the frames then queued in the device), the ring's
    /// `ringFrames`, the resampler's filter delay (`resamplerLatencyFrames`, 48 kHz) and `--output-offset`; without a
    /// schedule, `playoutClockNanos(nowNanos:queuedFrames:)`.
    func playoutClockNanos(
        nowNanos: Int64, queuedFrames: Int, ringFrames: Int, deviceAnchor: (nanoseconds: Int, queuedFrames: Int)?,
        resamplerLatencyFrames: Int = 0
    ) -> UInt64 {
        guard schedule != nil else { return playoutClockNanos(nowNanos: nowNanos, queuedFrames: queuedFrames) }
        let frameNanos = 1_000_000_000 / Double(frameRate)
        var heard = Int64(resamplerLatencyFrames) * 62_500 / 3
        if let deviceAnchor, nowNanos - Int64(deviceAnchor.nanoseconds) < Self.staleAnchorNanos {
            heard += Int64(deviceAnchor.nanoseconds)
                + Int64((Double(deviceAnchor.queuedFrames + ringFrames) * frameNanos).rounded())
        } else {
            heard += nowNanos + Int64((Double(queuedFrames) * frameNanos).rounded())
        }
        return UInt64(max(0, heard + outputOffsetNanos))
    }

    /// A new stream was admitted (another source, a restart of the timeline): the drift estimate starts over.
    mutating func noteNewStream() {
        streamChanged = true
    }

    /// 3. After a decision measured at `clockNanos`, with `correctedFrames` inserted minus removed on purpose before
    /// it (splices, drops and stretches, and the resampler's surplus): the ratio for its audio (nil while not
    /// playing: keep the last), and whether a new stream began playing (reset the resampler's history).
    mutating func followDrift(clockNanos: UInt64, correctedFrames: Double, jitterBuffer: borrowing JitterBuffer)
        -> (ratio: Double?, newStream: Bool)
    {
        if jitterBuffer.isIdle { streamChanged = true }
        guard jitterBuffer.isPlaying else {
            following = false
            return (nil, false)
        }
        var newStream = false
        if !following {
            if streamChanged {
                driftLoop.reset()
                streamChanged = false
                newStream = true
            } else {
                driftLoop.restartLine()
            }
            following = true
        }
        let ratio = driftLoop.update(
            nowNanos: Int64(clockNanos), measuredDelayMs: jitterBuffer.measuredDelayMs,
            correctedFrames: correctedFrames, targetDelayMs: jitterBuffer.targetDelayMs,
            smoothedErrorMs: jitterBuffer.delayExcessMs)
        if let error = syncErrorMs { judgeSync(errorMs: error, nowNanos: Int64(clockNanos)) }
        return (ratio, newStream)
    }

    /// Sets or clears `syncLost` from the schedule's error now.
    private mutating func judgeSync(errorMs: Double, nowNanos: Int64) {
        guard abs(errorMs) > PlayoutSchedule.lostErrorMs else {
            syncOffSinceNanos = nil
            syncLost = false
            return
        }
        let since = syncOffSinceNanos ?? nowNanos
        syncOffSinceNanos = since
        if Double(nowNanos - since) * 1e-9 >= PlayoutSchedule.lostAfterSeconds { syncLost = true }
    }

    /// 4. Splices the `frames` decoded due frames at `pcm` (room for `capacityFrames`) toward the target; returns
    /// the new frame count.
    mutating func correct(
        _ pcm: UnsafeMutablePointer<Float>, frames: Int, capacityFrames: Int, jitterBuffer: inout JitterBuffer
    ) -> Int {
        delayCorrector.correct(
            pcm, frames: frames, capacityFrames: capacityFrames, excessMs: driftLoop.filteredErrorMs,
            jitterBuffer: &jitterBuffer)
    }

    /// 5. After a played frame that was `quiet` (below `quietRMS`): whether to drop the next one (the jitter buffer
    /// still decides whether it can: `dropNext`).
    func shouldDrop(afterQuietFrame quiet: Bool, jitterBuffer: borrowing JitterBuffer) -> Bool {
        quiet || jitterBuffer.currentDelayMs > jitterBuffer.targetDelayMs + Self.forcedShrinkExcessMs
    }

    /// The device buffer plus a period for each period a take writes, for the ring and the device together (the
    /// producer tops the ring up against what the device held at the playback thread's last wake): with the device
    /// full, the ring holds the next take. A producer late for it costs nothing while the device still holds more
    /// than a period (`PlaybackLoop.periodsToWrite` holds the take back), so the margin for the threads' scheduling
    /// and for a late frame is the device's, not a second one in the ring (a period more in the ring cost 5–6 ms of
    /// latency on the rig and bought nothing under loss or jitter; see the git history of this rule).
    static func targetFillFrames(bufferFrames: Int, periodFrames: Int, periodsPerWake: Int) -> Int {
        bufferFrames + periodsPerWake * periodFrames
    }

    /// A full device buffer, plus a period for each period a wake-up takes beyond the first, less two periods for a
    /// deep buffer but never below two take intervals and a period: while ring + device hold at least that, a frame
    /// that has not arrived is waited for rather than concealed (one period less than `targetFillFrames` at the
    /// default three periods).
    ///
    /// Why: the producer wakes once per take, just before it, and finds the queue a take below `targetFillFrames`; a
    /// missing frame is left for the next wake-up, and the take in between is held back while the device holds more
    /// than a period, so a frame up to about a period late still plays. The automatic target is lowered by that
    /// period (`PlayoutDelayEstimator.Configuration.lateAllowanceMs`). With two periods per wake the next take must
    /// find its two periods in the ring, so a frame is waited for only once the ring holds one of them. A deep buffer
    /// gives up two periods, or a device taking a burst (a sound server catching up) would make frames not yet due
    /// count as late; but never below what a wait needs (it lasts a take interval, and the takes held back meanwhile
    /// leave the device a period), or a wait for a lost packet drains the device to a ring shortage. The
    /// measurements behind each part are in the git history of this rule.
    static func concealFloorFrames(bufferFrames: Int, periodFrames: Int, periodsPerWake: Int) -> Int {
        let wholeBuffer = bufferFrames + (periodsPerWake - 1) * periodFrames
        let waitNeeds = (2 * periodsPerWake + 1) * periodFrames
        return min(wholeBuffer, max(waitNeeds, wholeBuffer - 2 * periodFrames))
    }
}
