// The receive path as the stateful fuzz target drives it: the ONE place that mirrors the receiver's producer.
//
// Mirrors, minus sockets, decoding, gauges and RTCP reports:
// - `ReceiverPipeline.init`: how the source lock and the jitter buffer (with its `PlayoutDelayEstimator`) are built
//   from the configuration (`Settings`);
// - `ReceiverProducer.drainRTP` / `drainRTCP`: rtcp-mux classification of each datagram;
// - `ReceiverProducer.handleRTP`: RTP parse → Opus framing → `RTPSourceLock` → `RTPReceptionStatistics` → timestamp
//   extension → `JitterBuffer.insert`;
// - the BYE part of `ReceiverRTCPSession.receive` / `handleRTCP`: a BYE naming the locked source unlocks it and ends
//   the stream in the jitter buffer;
// - `ReceiverProducer.fillRing` around the decoder: `nextDecision`, the corrector's `recordTimeStretch` for a played
//   frame, and `dropNext` for a quiet frame or a delay far above target.
// When the receive path changes (e.g. an admission stage between the source lock and the jitter buffer), update this
// file to match `handleRTP` again; the target and its input format need not change.

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
        /// A sequence jump (A.1 probation): not handed to the jitter buffer.
        case jump
        case inserted(JitterBuffer.InsertResult)
    }

    let settings: Settings
    var jitterBuffer: JitterBuffer
    var lock: RTPSourceLock
    var statistics: RTPReceptionStatistics?
    var extendedTimestamp: Int64 = 0

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
    }

    // MARK: - Datagrams in (drainRTP, handleRTP, handleRTCP)

    mutating func receive(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Outcome {
        if RTPRTCPDemultiplexer.classify(bytes) == .rtcp { return handleRTCP(bytes) }
        return handleRTP(bytes, arrivalNanos: arrivalNanos)
    }

    private mutating func handleRTCP(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let compound: RTCPCompoundPacket
        switch RTCPCompoundPacket.parse(bytes) {
        case .success(let parsed): compound = parsed
        case .failure(let rejection): return .rtcpRejected(rejection)
        }
        var goodbyePending = false
        for case .goodbye(let goodbye) in compound {
            for index in 0..<goodbye.sourceCount where goodbye.source(at: index) == lock.lockedSource {
                lock.goodbye(ssrc: goodbye.source(at: index))
                goodbyePending = true
            }
        }
        if goodbyePending { jitterBuffer.endOfStream() }
        return .rtcp
    }

    private mutating func handleRTP(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Outcome {
        let packet: RTPPacket
        switch RTPPacket.parse(bytes, payloadType: settings.payloadType) {
        case .success(let parsed): packet = parsed
        case .failure(let rejection): return .rejected(rejection)
        }
        let payload = packet.payload
        guard let frames = OpusDecoder.validatedFrameCount(of: payload) else { return .rejected(.malformedOpusPayload) }
        switch lock.admit(ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, nowNanoseconds: arrivalNanos) {
        case .reject(let rejection):
            return .rejected(rejection)
        case .probation:
            return .probation
        case .acceptNewSource(let previous):
            if previous != nil { jitterBuffer.reset() }
            let previousSequence = packet.sequenceNumber &- 1
            statistics = RTPReceptionStatistics(ssrc: packet.ssrc, firstSequence: previousSequence)
            _ = statistics!.record(
                sequenceNumber: previousSequence, timestamp: packet.timestamp,
                arrival: UInt32(truncatingIfNeeded: arrivalNanos &* 3 / 62_500))
            extendedTimestamp = Int64(packet.timestamp)
        case .accept:
            break
        }
        let update = statistics!.record(
            sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
            arrival: UInt32(truncatingIfNeeded: arrivalNanos &* 3 / 62_500))
        guard let sequence = update.extendedSequence else { return .jump }
        let timestamp = extend(timestamp: packet.timestamp)
        jitterBuffer.setFrameSamples(frames)
        return .inserted(
            jitterBuffer.insert(sequence: sequence, timestamp: timestamp, arrivalNanos: arrivalNanos, payload: payload))
    }

    /// `ReceiverProducer.extend(timestamp:)`.
    private mutating func extend(timestamp: UInt32) -> Int64 {
        let last = UInt32(truncatingIfNeeded: extendedTimestamp)
        let delta = Int64(Int32(bitPattern: timestamp &- last))
        let extended = extendedTimestamp + delta
        if delta > 0 { extendedTimestamp = extended }
        return extended
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
