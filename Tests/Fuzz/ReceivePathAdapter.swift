// The receive path as the stateful fuzz target drives it: the ONE place that mirrors the receiver's producer.
//
// Mirrors, minus sockets, decoding, gauges and RTCP reports:
// - `ReceiverPipeline.init`: how the source lock and the jitter buffer (with its `PlayoutDelayEstimator`) are built
//   from the configuration (`Settings`);
// - `ReceiverProducer.drainRTP` / `drainRTCP`: rtcp-mux classification of each datagram;
// - `ReceiverProducer.handleRTP`: RTP parse → Opus framing → `RTPSourceLock` (sources numbered) → `StreamTimeline`
//   → `RTPReceptionStatistics` → `JitterBuffer.insert` with the timeline's media timestamp;
// - the BYE part of `ReceiverRTCPSession.receive` / `handleRTCP`: a BYE naming the locked source unlocks it and ends
//   the stream in the jitter buffer;
// - `ReceiverProducer.fillRing` around the decoder: `nextDecision`, the corrector's `recordTimeStretch` for a played
//   frame, and `dropNext` for a quiet frame or a delay far above target.
// When the receive path changes, update this file to match `handleRTP` again; the target and its input format need
// not change.

import EarshotCodec
import EarshotProtocol
import EarshotReceiver

struct ReceivePathAdapter: ~Copyable {
    /// The receiver flags that shape the path (`ReceiverConfiguration`).
    struct Settings {
        /// `--latency MS`, or nil for `--latency auto`.
        var fixedLatencyMs: Double?
        /// `--min-latency` / `--max-latency` (0 ... 2000, minimum ≤ maximum).
        var minimumLatencyMs: Double
        var maximumLatencyMs: Double
        /// One device period when playing to a device (`ReceiverPipeline`'s `lateAllowanceFrames`), 0 for a caller.
        var lateAllowanceMs: Double
        /// `--source-timeout`.
        var sourceTimeoutNanos: UInt64
        /// `--payload-type`.
        var payloadType: UInt8

        /// The most the estimator's target may ever be: the fixed latency, or the maximum.
        var largestDelayMs: Double { fixedLatencyMs ?? maximumLatencyMs }
        /// The least it may ever be.
        var smallestDelayMs: Double { fixedLatencyMs ?? minimumLatencyMs }
    }

    /// What became of one datagram.
    enum Outcome: Equatable {
        case rejected(RTPRejection)
        case rtcpRejected(RTCPRejection)
        case rtcp
        /// Valid, but the lock holds it in probation (first packet of a possible new source).
        case probation
        /// Dropped by the stream timeline (implausible sequence, timestamp or arrival).
        case implausible(StreamTimeline.Rejection)
        case inserted(JitterBuffer.InsertResult)
    }

    let settings: Settings
    var jitterBuffer: JitterBuffer
    /// Sources are numbered (the script's sender index; 2 for raw datagrams) in place of socket addresses.
    var lock: RTPSourceLock<UInt32>
    var timeline: StreamTimeline
    var statistics: RTPReceptionStatistics?
    var lastPacketFrameSamples = 0

    init(settings: Settings) {
        self.settings = settings
        var delay = PlayoutDelayEstimator.Configuration(
            mode: settings.fixedLatencyMs.map { .fixed(milliseconds: $0) }
                ?? .automatic(minimumMs: settings.minimumLatencyMs, maximumMs: settings.maximumLatencyMs))
        delay.initialTargetMs = min(settings.maximumLatencyMs, max(settings.minimumLatencyMs, 20))
        delay.lateAllowanceMs = settings.lateAllowanceMs
        jitterBuffer = JitterBuffer(
            configuration: JitterBuffer.Configuration(
                capacity: Int((settings.largestDelayMs / 2.5).rounded(.up)) + 64, maxPayloadBytes: 1500, delay: delay,
                maxConcealmentMs: 100, stretchesDecodedAudio: true))
        lock = RTPSourceLock(silenceTimeoutNanoseconds: settings.sourceTimeoutNanos)
        timeline = StreamTimeline(configuration: .init(maxLatencyMs: settings.largestDelayMs))
        // The generic lock's metadata is instantiated at its first use (a one-time allocation the producer pays at
        // its first packet, before the steady state its allocation test checks): do it here, before counting.
        var warmUp = RTPSourceLock<UInt32>()
        _ = warmUp.admit(ssrc: 1, sequenceNumber: 1, from: 1, nowNanoseconds: 0)
        _ = warmUp.admit(ssrc: 1, sequenceNumber: 2, from: 1, nowNanoseconds: 1)
        _ = warmUp.admit(ssrc: 1, sequenceNumber: 3, from: 2, nowNanoseconds: 2)
    }

    // MARK: - Datagrams in (drainRTP, handleRTP, handleRTCP)

    mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: UInt32, arrivalNanos: UInt64) -> Outcome {
        if RTPRTCPDemultiplexer.classify(bytes) == .rtcp { return handleRTCP(bytes, from: source) }
        return handleRTP(bytes, from: source, arrivalNanos: arrivalNanos)
    }

    private mutating func handleRTCP(_ bytes: UnsafeRawBufferPointer, from source: UInt32) -> Outcome {
        let compound: RTCPCompoundPacket
        switch RTCPCompoundPacket.parse(bytes) {
        case .success(let parsed): compound = parsed
        case .failure(let rejection): return .rtcpRejected(rejection)
        }
        var goodbyePending = false
        for case .goodbye(let goodbye) in compound {
            for index in 0..<goodbye.sourceCount where goodbye.source(at: index) == lock.lockedSource {
                guard source == lock.lockedAddress else { continue }  // the producer's host check
                lock.goodbye(ssrc: goodbye.source(at: index))
                goodbyePending = true
            }
        }
        if goodbyePending { jitterBuffer.endOfStream() }
        return .rtcp
    }

    private mutating func handleRTP(
        _ bytes: UnsafeRawBufferPointer, from source: UInt32, arrivalNanos: UInt64
    ) -> Outcome {
        let packet: RTPPacket
        switch RTPPacket.parse(bytes, payloadType: settings.payloadType) {
        case .success(let parsed): packet = parsed
        case .failure(let rejection): return .rejected(rejection)
        }
        let payload = packet.payload
        guard let frames = OpusDecoder.validatedFrameCount(of: payload) else { return .rejected(.malformedOpusPayload) }
        let arrival32 = UInt32(truncatingIfNeeded: arrivalNanos &* 3 / 62_500)
        switch lock.admit(
            ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, from: source, nowNanoseconds: arrivalNanos)
        {
        case .reject(let rejection):
            return .rejected(rejection)
        case .probation:
            return .probation
        case .acceptNewSource(let previous):
            if previous != nil { jitterBuffer.reset() }
            timeline.reset()
            lastPacketFrameSamples = 0
            startStatistics(packet, arrival: arrival32)
        case .accept:
            break
        }
        let placed = timeline.judge(
            sequence: packet.sequenceNumber, timestamp: packet.timestamp, frameSamples: frames,
            arrivalNanos: arrivalNanos)
        guard case .accept(let sequence, let mediaTimestamp, let reanchored) = placed else {
            if case .reject(let rejection) = placed { return .implausible(rejection) }
            return .probation
        }
        if reanchored {
            jitterBuffer.restart()
            startStatistics(packet, arrival: arrival32)
        }
        _ = statistics?.record(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, arrival: arrival32)
        if frames == lastPacketFrameSamples || jitterBuffer.isIdle { jitterBuffer.setFrameSamples(frames) }
        lastPacketFrameSamples = frames
        return .inserted(
            jitterBuffer.insert(
                sequence: sequence, timestamp: mediaTimestamp, arrivalNanos: arrivalNanos, payload: payload))
    }

    /// `ReceiverProducer.startStatistics(ssrc:before:timestamp:arrival:)`.
    private mutating func startStatistics(_ packet: RTPPacket, arrival: UInt32) {
        let previousSequence = packet.sequenceNumber &- 1
        statistics = RTPReceptionStatistics(ssrc: packet.ssrc, firstSequence: previousSequence)
        _ = statistics!.record(sequenceNumber: previousSequence, timestamp: packet.timestamp, arrival: arrival)
    }

    // MARK: - Frames out (fillRing)

    /// The decision for the next frame, taken at the playout clock `nowNanos`. Decode it (or check it), then call
    /// `afterDecoding`.
    mutating func nextDecision(nowNanos: UInt64) -> PlayoutDecision {
        jitterBuffer.nextDecision(nowNanos: nowNanos)
    }

    /// What follows decoding `decision`: for a played frame, the corrector's report of the samples it stretched in
    /// (positive) or out (negative), then a drop if the frame was quiet or the delay is far above target. Returns the
    /// dropped payload (the producer decodes and discards it).
    mutating func afterDecoding(_ decision: PlayoutDecision, stretchedSamples: Int, quiet: Bool)
        -> UnsafeRawBufferPointer?
    {
        guard case .play = decision else { return nil }
        if stretchedSamples > 0 { jitterBuffer.recordTimeStretch(insertedSamples: stretchedSamples) }
        if stretchedSamples < 0 { jitterBuffer.recordTimeStretch(removedSamples: -stretchedSamples) }
        let farAboveTarget = jitterBuffer.currentDelayMs > jitterBuffer.targetDelayMs + 200
        guard quiet || farAboveTarget else { return nil }
        return jitterBuffer.dropNext()
    }
}
