import EarshotProtocol

/// Reorders packets by sequence number and decides, one device frame at a time, what to decode, holding back as
/// much audio as the `PlayoutDelayEstimator`'s target delay asks for.
///
/// Playout is clocked by the device: whenever the playback ring has room for one more frame, the producer calls
/// `nextDecision(nowNanos:)` and decodes accordingly. The buffer moves the actual delay toward the target by
/// inserting a concealment frame without consuming a packet (`.stretch`, NetEq's expand) or, when the caller reports
/// a quiet passage, by dropping one frame (`wantsToShrink` / `dropNext()`, NetEq's accelerate in its crudest form).
/// A caller that time-stretches decoded audio in sub-frame steps (`PlayoutDelayCorrector`, with
/// `stretchesDecodedAudio`) reads `delayExcessMs` and reports every change with `recordTimeStretch`, so the smoothed
/// delay and the counters account for it before the next measurement.
///
/// Invariants: storage (slots, payload bytes, estimator) is allocated in `init` and never grows; `insert`,
/// `nextDecision` and `dropNext` allocate nothing (checked at compile time with `@_noAllocation`). A packet with
/// sequence `s` lives in slot `s & (capacity - 1)` and is stored only while `nextSequence <= s < nextSequence +
/// capacity`. Sequence numbers and timestamps are the caller's extended 64-bit values; timestamps tick at 48 kHz.
/// Payload views handed out stay valid until the next mutating call.
///
/// Policy choices: a frame missing when `nextDecision` is asked for it is concealed (or FEC-recovered); a caller with
/// audio still queued may ask later instead (`isDueFrameMissing`); if it arrives after its decision it is `.late`. While the delay is below target every decision is a `.stretch`, so a raised
/// target is reached within a few frames rather than after the next losses. A confirmed restart or an overflow
/// flushes what is still held.
///
/// Thread: only the producer thread calls it. Counters are plain integers (`counters`); publish them to other threads
/// with `ReceiverCountersMailbox`.
public struct JitterBuffer: ~Copyable {
    public enum InsertResult: Equatable, Sendable {
        /// Copied into its slot; it will be played in sequence order.
        case stored
        /// Already stored or already played: dropped.
        case duplicate
        /// Its playout time already passed (it was concealed): dropped and counted.
        case late
        /// Far outside the sequence window or off the timestamp line: dropped, but remembered; if the next packet
        /// continues from it, the stream restarts there (RFC 3550 A.1 probation).
        case tooFarAhead
        /// Playout restarted at this packet (sender restart confirmed, or buffer overflow): the buffer was flushed,
        /// this packet was stored, and playout waits for the target delay again.
        case resynchronized
        /// Larger than a slot: dropped.
        case tooLarge
    }

    public struct Configuration: Sendable {
        /// Packet slots; rounded up to a power of two. Must cover the maximum delay plus reordering, in packets.
        public var capacity: Int
        public var maxPayloadBytes: Int
        /// Fixed frame size in samples at 48 kHz, or nil to learn it from timestamp deltas.
        public var frameSamples: Int?
        /// Frame size assumed until one is learned.
        public var assumedFrameSamples: Int
        public var delay: PlayoutDelayEstimator.Configuration
        /// Consecutive concealment with an empty buffer after which playout stops and rebuffers (an underrun).
        public var maxConcealmentMs: Double
        /// A timestamp off the expected line by more than this means a new stream (sender restart or long pause).
        public var resyncThresholdMs: Double
        /// Packets this far behind the playout point are old (late or duplicate); further back starts probation.
        public var maxMisorder: Int64
        /// Packets this far ahead overflow the buffer (flush and restart); further ahead starts probation.
        public var maxDropout: Int64
        /// Time constant of the smoothed current delay, in ms. The raw reading moves with how the device drains the
        /// ring (a sound server may take tens of ms at once); a corrector steering by it would splice back and forth.
        public var delaySmoothingMs: Double
        /// How far above `target + one frame` the delay must be before the buffer wants to drop a frame.
        public var shrinkHysteresisMs: Double
        /// The caller time-stretches decoded audio (`PlayoutDelayCorrector`): below target, the due frame is played
        /// (for the caller to lengthen) instead of a concealed `.stretch`, unless the deficit exceeds
        /// `maxStretchDeficitMs`, where growing a whole frame at once matters more than a seamless one.
        public var stretchesDecodedAudio: Bool
        public var maxStretchDeficitMs: Double
        /// How far past the target the first packet played after (re)buffering may be; older ones are skipped.
        public var maxStartExcessMs: Double

        public init(
            capacity: Int = 256,
            maxPayloadBytes: Int = 1500,
            frameSamples: Int? = nil,
            assumedFrameSamples: Int = 480,
            delay: PlayoutDelayEstimator.Configuration = .init(),
            maxConcealmentMs: Double = 100,
            resyncThresholdMs: Double = 1000,
            maxMisorder: Int64 = 100,
            maxDropout: Int64 = 3000,
            delaySmoothingMs: Double = 300,
            shrinkHysteresisMs: Double = 1,
            stretchesDecodedAudio: Bool = false,
            maxStretchDeficitMs: Double = 15,
            maxStartExcessMs: Double = 60
        ) {
            self.capacity = capacity
            self.maxPayloadBytes = maxPayloadBytes
            self.frameSamples = frameSamples
            self.assumedFrameSamples = assumedFrameSamples
            self.delay = delay
            self.maxConcealmentMs = maxConcealmentMs
            self.resyncThresholdMs = resyncThresholdMs
            self.maxMisorder = maxMisorder
            self.maxDropout = maxDropout
            self.delaySmoothingMs = delaySmoothingMs
            self.shrinkHysteresisMs = shrinkHysteresisMs
            self.stretchesDecodedAudio = stretchesDecodedAudio
            self.maxStretchDeficitMs = maxStretchDeficitMs
            self.maxStartExcessMs = maxStartExcessMs
        }
    }

    private enum SlotState: UInt8 {
        case empty, filled, played, missing
    }

    private struct Slot {
        var sequence: Int64
        var timestamp: Int64
        var length: Int
        var state: SlotState
        /// A `.missing` frame counted in `packetsLost` (so its late arrival, or a replay, un-counts it exactly once).
        var countedLost = false
    }

    private enum Phase {
        /// No stream yet (or flushed): the next packet anchors playout.
        case idle
        /// Anchored, holding packets until the first one has waited for the target delay.
        case buffering
        case playing
    }

    public let configuration: Configuration
    public let capacity: Int
    private let mask: Int64
    private let slots: UnsafeMutablePointer<Slot>
    private let payloads: UnsafeMutableRawPointer
    private var estimator: PlayoutDelayEstimator

    public private(set) var counters = ReceiverCounters()
    /// Frame size in samples at 48 kHz (fixed, learned, or assumed).
    public private(set) var frameSamples: Int
    private let frameSamplesFixed: Bool

    private var phase = Phase.idle
    /// The sequence number due next, and the media time it should start at.
    public private(set) var nextSequence: Int64 = 0
    private var nextTimestamp: Int64 = 0
    private var highestSequence: Int64 = 0
    private var highestTimestamp: Int64 = 0
    /// Filled slots at or after `nextSequence`.
    public private(set) var bufferedPackets = 0
    private var smoothedDelayMs = 0.0
    /// The delay of the frame due as `nextDecision` last measured it, unsmoothed, in ms (see `measuredDelayMs`).
    private var lastMeasuredDelayMs = 0.0
    private var concealmentRunSamples = 0
    private var probationSequence: Int64 = .min
    /// The sender said BYE: play out what is buffered, then go idle instead of concealing a stream that ended.
    private var streamEnded = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        var capacity = 2
        while capacity < configuration.capacity { capacity <<= 1 }
        self.capacity = capacity
        mask = Int64(capacity - 1)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(sequence: .min, timestamp: 0, length: 0, state: .empty), count: capacity)
        payloads = .allocate(byteCount: capacity * max(1, configuration.maxPayloadBytes), alignment: 16)
        estimator = PlayoutDelayEstimator(configuration: configuration.delay)
        frameSamplesFixed = configuration.frameSamples != nil
        frameSamples = configuration.frameSamples ?? configuration.assumedFrameSamples
    }

    deinit {
        slots.deallocate()
        payloads.deallocate()
    }

    // MARK: - Observations

    public var isPlaying: Bool { phase == .playing }
    /// No stream: none has come yet, or the last one ended (BYE, a new source) and the buffer was reset.
    public var isIdle: Bool { phase == .idle }
    public var targetDelayMs: Double { estimator.targetDelayMs }
    /// Smoothed delay between the fastest possible arrival of the frame due and its playout, in ms.
    public var currentDelayMs: Double { phase == .playing ? smoothedDelayMs : 0 }
    public var jitterMs: Double { estimator.jitterMs }
    /// The delay of the frame due as the last decision measured it, before smoothing, in ms; 0 when not playing. It
    /// moves with the clocks' drift and with every frame inserted or removed (the drift loop's input), not with the
    /// target.
    public var measuredDelayMs: Double { phase == .playing ? lastMeasuredDelayMs : 0 }
    /// Samples inserted minus removed on purpose to move the delay (stretched, dropped and time-stretched frames),
    /// since the counters began.
    public var correctedSamples: Int {
        counters.insertedSamplesForDeceleration - counters.removedSamplesForAcceleration
    }
    /// How far the smoothed delay is above (positive) or below (negative) the target, in ms; 0 when not playing.
    public var delayExcessMs: Double {
        guard case .playing = phase else { return 0 }
        return smoothedDelayMs - estimator.targetDelayMs
    }
    private var frameMs: Double { Double(frameSamples) / 48 }

    /// Where a scheduled playout measures its delay from (`PlayoutDelayEstimator.Configuration.measuresFromCapture`):
    /// set at each sender report, forgotten with the stream (`reset`).
    public var captureTimeline: CaptureTimeline? {
        get { estimator.captureTimeline }
        set { estimator.captureTimeline = newValue }
    }

    /// The media timestamp of the frame due next (the one `nextDecision` decides), while playing.
    public var dueTimestamp: Int64 { nextTimestamp }

    /// True while playing when the frame due next has not arrived, so `nextDecision` would conceal it (or rebuild it
    /// from the next packet's FEC) now. A caller with audio still queued ahead of the speaker may wait for it instead:
    /// the decision is best taken as late as the output allows, since a packet that arrives before then plays.
    public var isDueFrameMissing: Bool {
        guard phase == .playing, !(streamEnded && bufferedPackets == 0) else { return false }
        let due = slots[index(nextSequence)]
        return !(due.sequence == nextSequence && due.state == .filled)
    }

    /// A snapshot of the statistics; allocates, so call it off the hot path or rarely.
    public func stats(xruns: Int = 0, packetsMalformedByReason: [String: Int] = [:]) -> ReceiverStats {
        ReceiverStats(
            counters: counters, jitterMs: jitterMs, playoutDelayMs: currentDelayMs, targetDelayMs: targetDelayMs,
            xruns: xruns, packetsMalformedByReason: packetsMalformedByReason
        )
    }

    // MARK: - Producer: packets in

    /// Stores a validated packet. `arrivalNanos` is a monotonic clock reading taken at receive time.
    @_noAllocation
    public mutating func insert(
        sequence: Int64, timestamp: Int64, arrivalNanos: UInt64, payload: UnsafeRawBufferPointer
    ) -> InsertResult {
        counters.packetsReceived += 1
        guard payload.count <= configuration.maxPayloadBytes else {
            counters.packetsTooLarge += 1
            return .tooLarge
        }
        if phase == .idle {
            startStream(sequence: sequence, timestamp: timestamp)
            store(sequence: sequence, timestamp: timestamp, payload: payload)
            estimator.recordArrival(timestamp: timestamp, arrivalNanos: arrivalNanos)
            return .stored
        }

        let expectedTimestamp = highestTimestamp + (sequence - highestSequence) * Int64(frameSamples)
        let timestampOffLine = (timestamp - expectedTimestamp).magnitude > UInt64(configuration.resyncThresholdMs * 48)

        if sequence < nextSequence {
            let behind = nextSequence - sequence
            if behind > configuration.maxMisorder || timestampOffLine {
                return beginProbation(sequence: sequence, timestamp: timestamp, arrivalNanos: arrivalNanos,
                                      payload: payload)
            }
            let slot = slots[index(sequence)]
            if slot.sequence == sequence && (slot.state == .played || slot.state == .filled) {
                counters.packetsDuplicated += 1
                return .duplicate
            }
            if slot.sequence == sequence && slot.state == .missing { forgiveLoss(sequence: sequence, timestamp: timestamp) }
            estimator.recordArrival(timestamp: timestamp, arrivalNanos: arrivalNanos)
            // While buffering (start-up or after an underrun) an earlier packet may still lead the line.
            if phase == .buffering && highestSequence - sequence < Int64(capacity) {
                rewind(to: sequence)
                if sequence < highestSequence { counters.packetsReordered += 1 }
                store(sequence: sequence, timestamp: timestamp, payload: payload)
                return .stored
            }
            if slot.sequence == sequence { slots[index(sequence)].state = .played }  // later copies are duplicates
            counters.packetsLate += 1
            return .late
        }

        let ahead = sequence - nextSequence
        if ahead >= configuration.maxDropout || timestampOffLine {
            return beginProbation(sequence: sequence, timestamp: timestamp, arrivalNanos: arrivalNanos,
                                  payload: payload)
        }
        if ahead >= Int64(capacity) {
            // Plausible sequence, no room: a burst after a stall. Holding it all would add its whole length as
            // delay, so start over from here and let the target decide how much to hold.
            flush()
            counters.resyncs += 1
            startStream(sequence: sequence, timestamp: timestamp)
            store(sequence: sequence, timestamp: timestamp, payload: payload)
            estimator.recordArrival(timestamp: timestamp, arrivalNanos: arrivalNanos)
            return .resynchronized
        }
        let slot = slots[index(sequence)]
        if slot.sequence == sequence && slot.state == .filled {
            counters.packetsDuplicated += 1
            return .duplicate
        }
        probationSequence = .min
        if phase == .buffering && bufferedPackets == 0 {
            // Rebuffering after an underrun: whatever arrives first leads, even if packets before it never come.
            nextSequence = sequence
        }
        // Declared lost while the buffer ran dry, then the anchor moved back below it on rebuffering.
        if slot.sequence == sequence && slot.state == .missing { forgiveLoss(sequence: sequence, timestamp: timestamp) }
        if sequence < highestSequence { counters.packetsReordered += 1 }
        store(sequence: sequence, timestamp: timestamp, payload: payload)
        estimator.recordArrival(timestamp: timestamp, arrivalNanos: arrivalNanos)
        return .stored
    }

    /// Tells the buffer the frame size (e.g. from the Opus TOC) instead of letting it learn from timestamps.
    public mutating func setFrameSamples(_ samples: Int) {
        guard samples > 0 else { return }
        frameSamples = samples
    }

    /// The sender ended the stream (RTCP BYE): what is buffered still plays, then the buffer goes idle without
    /// concealing or counting an underrun. The next packet starts a new stream.
    public mutating func endOfStream() {
        if phase != .idle { streamEnded = true }
    }

    /// Drops everything and forgets the stream (e.g. on an SSRC change). Counters are kept.
    public mutating func reset() {
        streamEnded = false
        flush()
        estimator.reset()
        probationSequence = .min
    }

    /// The stream restarted on a new timeline (confirmed upstream by a run of consistent packets): drops what is
    /// held, re-anchors the estimator and counts a resync; the next packet starts playout.
    public mutating func restart() {
        reset()
        counters.resyncs += 1
    }

    // MARK: - Producer: decisions out

    /// The decision for the next device frame. Call once per frame the playback side consumed.
    @_noAllocation
    public mutating func nextDecision(nowNanos: UInt64) -> PlayoutDecision {
        switch phase {
        case .idle:
            return .waiting(samples: frameSamples)
        case .buffering:
            var due = slots[index(nextSequence)]
            guard due.sequence == nextSequence, due.state == .filled,
                var delay = estimator.playoutDelayMs(timestamp: due.timestamp, nowNanos: nowNanos)
            else { return .waiting(samples: frameSamples) }
            if delay < estimator.targetDelayMs {
                // A scheduled playout starts on its instant: only the silence up to it, to the sample.
                guard configuration.delay.measuresFromCapture else { return .waiting(samples: frameSamples) }
                let short = Int((estimator.targetDelayMs - delay) * 48 + 0.999)
                return .waiting(samples: min(frameSamples, max(1, short)))
            }
            // A backlog (the device stalled in an xrun recovery while packets kept coming, and the buffer restarted
            // on overflow): start at the oldest packet no more than `maxStartExcessMs` past the target, not at the
            // oldest one, which would play the whole backlog as extra delay until shrinking drained it. Less than
            // that is a sender's burst (the first packets of a burst look late next to the last) and shrinks slowly.
            // The skipped ones are counted late: their playout time passed while the device could not play.
            while delay > estimator.targetDelayMs + configuration.maxStartExcessMs {
                let following = slots[index(nextSequence + 1)]
                guard following.sequence == nextSequence + 1, following.state == .filled,
                    let followingDelay = estimator.playoutDelayMs(timestamp: following.timestamp, nowNanos: nowNanos),
                    followingDelay >= estimator.targetDelayMs
                else { break }
                slots[index(nextSequence)].state = .played
                bufferedPackets -= 1
                counters.packetsLate += 1
                nextSequence += 1
                due = following
                delay = followingDelay
            }
            phase = .playing
            nextTimestamp = due.timestamp
            smoothedDelayMs = delay
            lastMeasuredDelayMs = delay
            concealmentRunSamples = 0
        case .playing:
            if let delay = estimator.playoutDelayMs(timestamp: nextTimestamp, nowNanos: nowNanos) {
                let weight = min(1, frameMs / max(configuration.delaySmoothingMs, 0.001))
                smoothedDelayMs += (delay - smoothedDelayMs) * weight
                lastMeasuredDelayMs = delay
            }
        }

        let dueIndex = index(nextSequence)
        let due = slots[dueIndex]
        if due.sequence == nextSequence && due.state == .filled {
            if due.timestamp - nextTimestamp > Int64(frameSamples / 2) {
                // Sequence continues but media time jumped (DTX, paused sender): fill the gap up to its time.
                nextTimestamp += Int64(frameSamples)
                return conceal(samples: frameSamples)
            }
            if smoothedDelayMs < estimator.targetDelayMs
                && !(configuration.stretchesDecodedAudio
                    && estimator.targetDelayMs - smoothedDelayMs <= configuration.maxStretchDeficitMs)
            {
                smoothedDelayMs += frameMs
                counters.insertedSamplesForDeceleration += frameSamples
                concealmentRunSamples = 0
                return .stretch(samples: frameSamples)
            }
            return playDue()
        }

        if streamEnded && bufferedPackets == 0 {
            reset()
            return .waiting(samples: frameSamples)
        }
        if bufferedPackets == 0 && Double(concealmentRunSamples) >= configuration.maxConcealmentMs * 48 {
            // Dry for too long: stop and rebuffer, so playout restarts with the full target delay.
            counters.underruns += 1
            phase = .buffering
            concealmentRunSamples = 0
            return .waiting(samples: frameSamples)
        }

        // Only a later packet proves this one was sent: concealment past the highest sequence (a stalled or ended
        // stream) is counted as concealment, and as loss only once a later packet arrives (`advanceHighest`).
        let provenLost = nextSequence < highestSequence
        slots[dueIndex] = Slot(
            sequence: nextSequence, timestamp: nextTimestamp, length: 0, state: .missing, countedLost: provenLost)
        if provenLost { counters.packetsLost += 1 }
        let missingTimestamp = nextTimestamp
        nextSequence += 1
        nextTimestamp += Int64(frameSamples)
        let following = slots[index(nextSequence)]
        // A CELT-only next packet (every 2.5 and 5 ms frame, and the restricted-low-delay mode) has no FEC to
        // offer: decoding "its FEC" would be concealment counted as recovery.
        if following.sequence == nextSequence && following.state == .filled && following.length > 0
            && OpusPacketFraming.mayCarryFEC(toc: payloadView(index(nextSequence), length: 1)[0])
        {
            counters.fecRecoveredFrames += 1
            concealmentRunSamples = 0
            let gap = following.timestamp - missingTimestamp
            let samples = gap >= 120 && gap <= 5760 ? Int(gap) : frameSamples
            return .recoverWithFEC(
                nextPayload: payloadView(index(nextSequence), length: following.length),
                missingTimestamp: missingTimestamp, samples: samples
            )
        }
        return conceal(samples: frameSamples)
    }

    /// True when the delay is more than a frame above target and the next frame is here: the caller may call
    /// `dropNext()` if the audio it just decoded was quiet, where dropping a frame is inaudible.
    public var wantsToShrink: Bool {
        guard phase == .playing,
            smoothedDelayMs > estimator.targetDelayMs + frameMs + configuration.shrinkHysteresisMs
        else { return false }
        let due = slots[index(nextSequence)]
        return due.sequence == nextSequence && due.state == .filled
            && due.timestamp - nextTimestamp <= Int64(frameSamples / 2)
    }

    /// Skips the next frame to shrink the delay by one frame. Returns the skipped payload so the caller can still
    /// run it through the decoder (keeping its state continuous) and discard the output; nil if not wanted.
    @_noAllocation
    public mutating func dropNext() -> UnsafeRawBufferPointer? {
        guard wantsToShrink else { return nil }
        let dueIndex = index(nextSequence)
        let due = slots[dueIndex]
        slots[dueIndex].state = .played
        bufferedPackets -= 1
        nextSequence += 1
        nextTimestamp = due.timestamp + Int64(frameSamples)
        smoothedDelayMs -= frameMs
        counters.removedSamplesForAcceleration += frameSamples
        return payloadView(dueIndex, length: due.length)
    }

    /// The caller lengthened decoded audio by `samples` (per channel): the delay grew by as much.
    @_noAllocation
    public mutating func recordTimeStretch(insertedSamples samples: Int) {
        guard case .playing = phase, samples > 0 else { return }
        smoothedDelayMs += Double(samples) / 48
        counters.insertedSamplesForDeceleration += samples
    }

    /// The caller shortened decoded audio by `samples` (per channel): the delay shrank by as much.
    @_noAllocation
    public mutating func recordTimeStretch(removedSamples samples: Int) {
        guard case .playing = phase, samples > 0 else { return }
        smoothedDelayMs -= Double(samples) / 48
        counters.removedSamplesForAcceleration += samples
    }

    // MARK: - Internals

    private func index(_ sequence: Int64) -> Int { Int(sequence & mask) }

    private func payloadView(_ slotIndex: Int, length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: payloads + slotIndex * configuration.maxPayloadBytes, count: length)
    }

    private mutating func playDue() -> PlayoutDecision {
        let dueIndex = index(nextSequence)
        let due = slots[dueIndex]
        slots[dueIndex].state = .played
        bufferedPackets -= 1
        nextSequence += 1
        nextTimestamp = due.timestamp + Int64(frameSamples)
        concealmentRunSamples = 0
        counters.framesPlayed += 1
        return .play(
            payload: payloadView(dueIndex, length: due.length), timestamp: due.timestamp, samples: frameSamples
        )
    }

    private mutating func conceal(samples: Int) -> PlayoutDecision {
        if concealmentRunSamples == 0 { counters.concealmentEvents += 1 }
        concealmentRunSamples += samples
        counters.concealedSamples += samples
        return .conceal(samples: samples)
    }

    /// A packet beyond the highest one seen proves the sender sent everything before it: frames already concealed
    /// past the old highest become lost now.
    private mutating func advanceHighest(sequence: Int64, timestamp: Int64) {
        guard sequence > highestSequence else { return }
        let end = min(sequence, nextSequence)
        if end - highestSequence - 1 > 0 {
            counters.packetsLost += Int(end - highestSequence - 1)
            // Only the last `capacity` can still be in their slots.
            var concealed = max(highestSequence + 1, end - Int64(capacity))
            while concealed < end {
                let slotIndex = index(concealed)
                if slots[slotIndex].sequence == concealed && slots[slotIndex].state == .missing {
                    slots[slotIndex].countedLost = true
                }
                concealed += 1
            }
        }
        highestSequence = sequence
        highestTimestamp = timestamp
    }

    /// A frame that was concealed has arrived after all: it is late, not lost (as RTCP's cumulative loss), if it was
    /// counted lost.
    private mutating func forgiveLoss(sequence: Int64, timestamp: Int64) {
        let slotIndex = index(sequence)
        if slots[slotIndex].countedLost {
            counters.packetsLost -= 1
            slots[slotIndex].countedLost = false
        }
        advanceHighest(sequence: sequence, timestamp: timestamp)
    }

    /// Rebuffering moves the playout point back to an earlier packet: the frames concealed from there on will be
    /// decided again, so their loss (counted or not) is forgotten with them.
    private mutating func rewind(to sequence: Int64) {
        var replayed = max(sequence, nextSequence - Int64(capacity))
        while replayed < nextSequence {
            let slotIndex = index(replayed)
            if slots[slotIndex].sequence == replayed && slots[slotIndex].state == .missing {
                if slots[slotIndex].countedLost { counters.packetsLost -= 1 }
                slots[slotIndex] = Slot(sequence: .min, timestamp: 0, length: 0, state: .empty)
            }
            replayed += 1
        }
        nextSequence = sequence
    }

    private mutating func startStream(sequence: Int64, timestamp: Int64) {
        phase = .buffering
        nextSequence = sequence
        nextTimestamp = timestamp
        highestSequence = sequence
        highestTimestamp = timestamp
        smoothedDelayMs = 0
        concealmentRunSamples = 0
        probationSequence = .min
    }

    private mutating func flush() {
        for slotIndex in 0..<capacity {
            slots[slotIndex] = Slot(sequence: .min, timestamp: 0, length: 0, state: .empty)
        }
        bufferedPackets = 0
        phase = .idle
    }

    /// RFC 3550 A.1: one packet far off the line may be a stray; two in sequence are a new stream.
    private mutating func beginProbation(
        sequence: Int64, timestamp: Int64, arrivalNanos: UInt64, payload: UnsafeRawBufferPointer
    ) -> InsertResult {
        if sequence == probationSequence {
            flush()
            estimator.reset()
            counters.resyncs += 1
            startStream(sequence: sequence, timestamp: timestamp)
            store(sequence: sequence, timestamp: timestamp, payload: payload)
            estimator.recordArrival(timestamp: timestamp, arrivalNanos: arrivalNanos)
            return .resynchronized
        }
        probationSequence = sequence + 1
        counters.packetsOutOfRange += 1
        return .tooFarAhead
    }

    private mutating func store(sequence: Int64, timestamp: Int64, payload: UnsafeRawBufferPointer) {
        let slotIndex = index(sequence)
        if let source = payload.baseAddress, payload.count > 0 {
            (payloads + slotIndex * configuration.maxPayloadBytes).copyMemory(from: source, byteCount: payload.count)
        }
        slots[slotIndex] = Slot(sequence: sequence, timestamp: timestamp, length: payload.count, state: .filled)
        bufferedPackets += 1
        advanceHighest(sequence: sequence, timestamp: timestamp)
        guard !frameSamplesFixed else { return }
        let previous = slots[index(sequence - 1)]
        if previous.sequence == sequence - 1 && (previous.state == .filled || previous.state == .played) {
            learnFrameSamples(timestamp - previous.timestamp)
        }
        let following = slots[index(sequence + 1)]
        if following.sequence == sequence + 1 && following.state == .filled {
            learnFrameSamples(following.timestamp - timestamp)
        }
    }

    /// Opus frames are 2.5–60 ms (120–2880 samples); packets may hold up to 120 ms. Anything else is a gap.
    private mutating func learnFrameSamples(_ delta: Int64) {
        if delta >= 120 && delta <= 5760 { frameSamples = Int(delta) }
    }
}
