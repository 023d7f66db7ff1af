@testable import EarshotReceiver
import EarshotProtocol
import EarshotRealtime

#if canImport(Glibc)
    import Glibc
#endif

/// A sender and a receiver on two virtual clocks, faster than real time: the receiver's producer loop as
/// `ReceiverProducer.fillRing` runs it (jitter buffer → `PlayoutController`: wait or decide, splice, ratio →
/// resampler → ring), against a device that takes a period from the ring at its own rate.
///
/// Real parts: `JitterBuffer` (with the pipeline's configuration) and `PlayoutController` (its splices on a 1 kHz
/// tone, its drift loop). Modelled: the network (latency, jitter, loss, spikes), the resampler by its frame count (`N`
/// frames at ratio `r` come out as the whole part of what is pending times `r`, as `AdaptiveResampler` keeps pace),
/// and the device (the playback thread tops it up to a full buffer at each take). Time is the receiver's monotonic
/// clock; the sender's and the device's clocks run `senderPpm` and `devicePpm` off it.
struct DriftSimulation {
    struct Scenario {
        var senderPpm: Double
        var devicePpm: Double
        var seconds: Double
        /// One-way latency: `baseLatencyMs` plus an exponential jitter of this mean.
        var jitterMeanMs = 0.3
        var baseLatencyMs = 1.0
        var lossRate = 0.0
        /// A packet this much later than the others, every `spikeEverySeconds` (0: none): a jump of the target.
        var spikeMs = 15.0
        var spikeEverySeconds = 0.0
        /// How late the producer's wake-up may be, uniformly, in µs.
        var wakeJitterMicroseconds = 200.0
        var seed: UInt64 = 1
        /// Per-second records from this second on.
        var recordFromSeconds = 0.0
    }

    /// The state once a second.
    struct Second {
        var seconds: Double
        var driftPpm: Double
        var correctionPpm: Double
        var delayErrorMs: Double
        var targetMs: Double
        /// Samples spliced in minus out so far (delay corrector and jitter buffer, not the resampler).
        var correctedSamples: Int
    }

    struct Outcome {
        var truthPpm: Double
        var seconds: [Second] = []
        /// Takes that found less than a period in the ring (the playback thread holds them back while the device still
        /// holds more than a period), times the device ran dry, refills that overflowed the ring.
        var ringShortages = 0
        var deviceUnderruns = 0
        var ringOverflows = 0
        var counters = ReceiverCounters()
        /// Frames spliced in and out by the delay corrector and the jitter buffer.
        var correctedSamples = 0

        /// The first second from which the drift estimate stays within `ppm` of the truth and the delay error
        /// within `errorMs` to the end; nil if never.
        func convergenceSeconds(ppm: Double, errorMs: Double) -> Double? {
            var settled: Double?
            for second in seconds {
                if abs(second.driftPpm - truthPpm) <= ppm && abs(second.delayErrorMs) <= errorMs {
                    if settled == nil { settled = second.seconds }
                } else {
                    settled = nil
                }
            }
            return settled
        }
    }

    static let frameSamples = 240
    static let periodFrames = 240
    static let bufferPeriods = 3

    static func run(_ scenario: Scenario) -> Outcome {
        var random = SplitMix64(state: scenario.seed)
        let truthPpm = ((1 + scenario.senderPpm * 1e-6) / (1 + scenario.devicePpm * 1e-6) - 1) * 1e6
        var outcome = Outcome(truthPpm: truthPpm)

        // The pipeline's figures for a 5 ms period and a 3-period device buffer (ReceiverPipeline.init).
        let bufferFrames = bufferPeriods * periodFrames
        var playout = PlayoutController(
            bufferFrames: bufferFrames, periodFrames: periodFrames, periodsPerWake: 1, channels: 1)
        var delay = PlayoutDelayEstimator.Configuration(mode: .automatic(minimumMs: 1.5, maximumMs: 200))
        delay.initialTargetMs = 20
        delay.lateAllowanceMs = Double(periodFrames) / 48
        var jitterBuffer = JitterBuffer(
            configuration: .init(capacity: 512, maxPayloadBytes: 16, delay: delay, stretchesDecodedAudio: true))
        let ringCapacity = 16_384

        // A 1 kHz tone repeats every 48 frames: every 240-frame block is the same.
        let capacity = 5760
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let tone = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer {
            pcm.deallocate()
            tone.deallocate()
        }
        for index in 0..<capacity { tone[index] = 0.5 * Float(sin(2 * Double.pi * Double(index) / 48)) }

        // The sender: packet k leaves at k frames of its clock; arrivals are generated in order of sending and
        // merged by arrival time through a small pending list (jitter reorders a few at most).
        let senderFrameNanos = Double(frameSamples) * 1e9 / 48_000 / (1 + scenario.senderPpm * 1e-6)
        let devicePeriodNanos = Double(periodFrames) * 1e9 / 48_000 / (1 + scenario.devicePpm * 1e-6)
        let spikeEveryPackets = scenario.spikeEverySeconds > 0
            ? Int(scenario.spikeEverySeconds * 1e9 / senderFrameNanos) : Int.max
        var pending: [(arrival: Int64, sequence: Int64)] = []
        var nextPacket: Int64 = 0
        let startNanos: Int64 = 1_000_000_000
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { payload.deallocate() }

        var ring = 0
        var deviceHeld = bufferFrames
        // The resampler's count model: input frames pending (fractional) and its surplus.
        var resamplerPending = 0.0
        var surplus = 0
        var ratio = 1.0
        var take = 0
        var nextRecord = scenario.recordFromSeconds
        let endNanos = startNanos + Int64(scenario.seconds * 1e9)
        while true {
            let takeNanos = startNanos + 20_000_000 + Int64(Double(take) * devicePeriodNanos)
            if takeNanos > endNanos { break }
            let wake = takeNanos - Int64(PlaybackCadence.refillLeadNanoseconds)
                + Int64(random.unit() * scenario.wakeJitterMicroseconds * 1000)

            // Packets sent up to now (and a little beyond, for the jitter) join the pending list.
            while Double(nextPacket) * senderFrameNanos + Double(startNanos) <= Double(wake) {
                let sent = Int64(Double(nextPacket) * senderFrameNanos) + startNanos
                var latency = scenario.baseLatencyMs + jitter(&random, meanMs: scenario.jitterMeanMs)
                if nextPacket > 0 && nextPacket % Int64(spikeEveryPackets) == 0 { latency += scenario.spikeMs }
                if random.unit() >= scenario.lossRate {
                    pending.append((sent + Int64(latency * 1e6), nextPacket))
                }
                nextPacket += 1
            }
            // Insert what has arrived, in order of arrival.
            pending.sort { $0.arrival < $1.arrival }
            var arrived = 0
            while arrived < pending.count && pending[arrived].arrival <= wake {
                let (arrival, sequence) = pending[arrived]
                payload.storeBytes(of: sequence, as: Int64.self)
                _ = jitterBuffer.insert(
                    sequence: 10_000 + sequence, timestamp: 90_000 + sequence * Int64(frameSamples),
                    arrivalNanos: UInt64(arrival), payload: UnsafeRawBufferPointer(payload))
                arrived += 1
            }
            pending.removeFirst(arrived)

            // The producer's refill (ReceiverProducer.fillRing), with a tone for decoded audio.
            while true {
                let queued = ring + deviceHeld
                guard playout.wantsDecision(queuedFrames: queued, jitterBuffer: jitterBuffer) else { break }
                let corrected = Double(jitterBuffer.correctedSamples + surplus)
                let clock = playout.playoutClockNanos(nowNanos: wake, queuedFrames: queued)
                let decision = jitterBuffer.nextDecision(nowNanos: clock)
                let rate = playout.followDrift(
                    clockNanos: clock, correctedFrames: corrected, jitterBuffer: jitterBuffer)
                if rate.newStream { resamplerPending = 0 }
                if let newRatio = rate.ratio { ratio = newRatio }
                var frames: Int
                switch decision {
                case .waiting(let samples):
                    ring += samples
                    continue
                case .play(_, _, let samples):
                    pcm.update(from: tone, count: samples)
                    frames = playout.correct(pcm, frames: samples, capacityFrames: capacity,
                                             jitterBuffer: &jitterBuffer)
                    // A tone is never quiet: only a backlog far above the target is dropped.
                    if playout.shouldDrop(afterQuietFrame: false, jitterBuffer: jitterBuffer) {
                        _ = jitterBuffer.dropNext()
                    }
                case .conceal(let samples), .stretch(let samples), .recoverWithFEC(_, _, let samples):
                    frames = samples
                }
                resamplerPending += Double(frames)
                let produced = Int(resamplerPending * ratio)
                resamplerPending -= Double(produced) / ratio
                surplus += produced - frames
                ring += produced
                if ring > ringCapacity { outcome.ringOverflows += 1 }
            }

            // The take: the device has drained a period since the last one; the playback thread writes what whole
            // periods the ring holds and the device has room for (a take held back leaves the device lower).
            deviceHeld -= periodFrames
            if deviceHeld < 0 {
                if jitterBuffer.isPlaying { outcome.deviceUnderruns += 1 }
                deviceHeld = 0
            }
            let periods = min(ring / periodFrames, (bufferFrames - deviceHeld) / periodFrames)
            if periods == 0 && jitterBuffer.isPlaying { outcome.ringShortages += 1 }
            ring -= periods * periodFrames
            deviceHeld += periods * periodFrames
            take += 1

            let elapsed = Double(takeNanos - startNanos) * 1e-9
            if elapsed >= nextRecord {
                outcome.seconds.append(
                    Second(
                        seconds: elapsed, driftPpm: playout.driftLoop.driftPpm,
                        correctionPpm: playout.driftLoop.correctionPpm,
                        delayErrorMs: jitterBuffer.delayExcessMs, targetMs: jitterBuffer.targetDelayMs,
                        correctedSamples: jitterBuffer.correctedSamples))
                nextRecord += 1
            }
        }
        outcome.counters = jitterBuffer.counters
        outcome.correctedSamples = jitterBuffer.correctedSamples
        return outcome
    }

    /// Exponential with the given mean, capped at 20 means.
    static func jitter(_ random: inout SplitMix64, meanMs: Double) -> Double {
        guard meanMs > 0 else { return 0 }
        return min(20 * meanMs, -meanMs * log(1 - random.unit()))
    }
}
