import Benchmark
import CLibOpusBaseline
import EarshotCodec
import EarshotDSP
import EarshotProtocol
import EarshotRealtime
import EarshotReceiver
import EarshotSecurity

#if canImport(Glibc)
import Glibc
#endif

/// Micro benchmarks of the receive hot path, each measured per operation (inner loop of 1000, `scalingFactor`),
/// with malloc counts (target: zero on every hot path).
///
/// `Receiver per-frame` is what the producer thread does for one device frame — jitter-buffer insert, playout
/// decision, Opus decode, ring write (plus the consumer's ring skip so the ring never fills) — and
/// `libopus decode (bare)` is `opus_decode_float` on the same packets with no Earshot code around it. Their ratio
/// is the receiver's overhead over the codec (target ≤ 1.5× with the drift resampler, which it includes); `run.sh`
/// prints it.
///
/// `AdaptiveResampler …` and `speexdsp Q4 …` do the same work, one 240-frame stereo block per operation at the
/// same ratio; speexdsp quality 4 is the peer because it has the same filter length (64 taps) (its stop band is about
/// 80 dB down, AdaptiveResampler `.high`'s 117 or more: the quality table compares quality).
///
/// `SRTP …` rows: a 172-byte RTP packet (a 5 ms 128 kbit/s frame) through libsrtp. Accepting a packet needs a fresh
/// index, so the sender protects one per operation: unprotect = `protect+unprotect` − `protect` (`run.sh` prints
/// it; target ≤ 2 µs). `unprotect forged` is what a packet that fails authentication costs (a flood of them).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 1_000
    )

    // MARK: - Control: proves the malloc counter counts (expect 1 malloc per operation)

    Benchmark("Control: one Array allocation per op") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole([Int](repeating: index, count: 16))
        }
    }

    // MARK: - Ring buffer

    Benchmark("RingBuffer write+read 240 frames stereo") { benchmark in
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let block = UnsafeMutablePointer<Float>.allocate(capacity: 480)
        block.initialize(repeating: 0.25, count: 480)
        defer { block.deallocate() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(ring.write(block, frames: 240))
            blackHole(ring.read(into: block, frames: 240))
        }
        benchmark.stopMeasurement()
    }

    // MARK: - RTP

    Benchmark("RTP parse (12-byte header + 160-byte payload)") { benchmark in
        let packet = PacketFixture.rtpPacket(payloadBytes: 160)
        defer { packet.deallocate() }
        let bytes = UnsafeRawBufferPointer(packet)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if case .success(let parsed) = RTPPacket.parse(bytes, payloadType: 96) {
                blackHole(parsed.payloadCount)
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("RTP serialize (12-byte header + 160-byte payload)") { benchmark in
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 160, alignment: 16)
        payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
        defer { payload.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1_500, alignment: 16)
        defer { output.deallocate() }
        var header = RTPHeader(marker: false, payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 0x1234_5678)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            header.sequenceNumber &+= 1
            header.timestamp &+= 240
            blackHole(try? RTPPacketWriter.write(header, payload: UnsafeRawBufferPointer(payload), into: output))
        }
        benchmark.stopMeasurement()
    }

    // MARK: - Jitter buffer

    Benchmark("JitterBuffer insert+nextDecision per packet") { benchmark in
        let stream = ReceiveWorkload.bookkeepingOnly
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            stream.step()
        }
        benchmark.stopMeasurement()
        stream.checkSteadyPlayout()
    }

    // MARK: - Receiver per-frame work vs bare libopus

    Benchmark("Receiver per-frame (insert+decision+decode+resample+ring)") { benchmark in
        let stream = ReceiveWorkload.decoding
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            stream.step()
        }
        benchmark.stopMeasurement()
        stream.checkSteadyPlayout()
    }

    Benchmark("libopus decode (bare)") { benchmark in
        let baseline = BareOpusDecode.shared
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            baseline.step()
        }
        benchmark.stopMeasurement()
    }

    // MARK: - Resampler vs libspeexdsp (240-frame stereo blocks)

    for (label, inputRate, outputRate, ratio, speexRatio) in [
        ("ratio 1.0005", 48_000, 48_000, 1.0005, (UInt32(2_000), UInt32(2_001))),
        ("44.1 to 48 kHz", 44_100, 48_000, 48_000.0 / 44_100, (UInt32(147), UInt32(160))),
    ] {
        Benchmark("AdaptiveResampler 240 frames stereo, \(label)") { benchmark in
            var resampler = AdaptiveResampler(channels: 2, inputRate: inputRate, outputRate: outputRate)
            resampler.setRatio(ratio)
            let frames = SpeexResample.blockFrames
            let input = UnsafeMutablePointer<Float>.allocate(capacity: frames * 2)
            for frame in 0..<frames {
                let value = Float(0.5 * sin(2 * Double.pi * 997 * Double(frame) / Double(inputRate)))
                input[frame * 2] = value
                input[frame * 2 + 1] = -value
            }
            let output = UnsafeMutablePointer<Float>.allocate(capacity: 512 * 2)
            defer {
                input.deallocate()
                output.deallocate()
            }
            for _ in 0..<100 {
                _ = resampler.process(input: input, inputFrames: frames, output: output, outputCapacity: 512)
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let result = resampler.process(input: input, inputFrames: frames, output: output, outputCapacity: 512)
                precondition(result.consumed == frames)
                blackHole(result.produced)
            }
            benchmark.stopMeasurement()
        }

        Benchmark("speexdsp Q4 resampler 240 frames stereo, \(label)") { benchmark in
            let peer = SpeexResample(
                quality: 4, ratioNumerator: speexRatio.0, ratioDenominator: speexRatio.1, inputRate: UInt32(inputRate),
                outputRate: UInt32(outputRate))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                peer.step()
            }
            benchmark.stopMeasurement()
        }
    }

    // MARK: - SRTP (libsrtp built from source in CSRTP: OpenSSL AES, its own HMAC-SHA1)

    for suite in SRTPSuite.allCases {
        Benchmark("SRTP protect, \(suite.rawValue)") { benchmark in
            let fixture = SRTPFixture(suite: suite)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(fixture.protectNext()) }
            benchmark.stopMeasurement()
        }

        Benchmark("SRTP protect+unprotect, \(suite.rawValue)") { benchmark in
            let fixture = SRTPFixture(suite: suite)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let length = fixture.protectNext()
                blackHole(try? fixture.receiver.unprotectRTP(fixture.packet, length: length))
            }
            benchmark.stopMeasurement()
        }

        Benchmark("SRTP unprotect forged, \(suite.rawValue)") { benchmark in
            let fixture = SRTPFixture(suite: suite)
            let length = fixture.protectNext()
            fixture.packet.storeBytes(of: 0xFF, toByteOffset: 40, as: UInt8.self)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try? fixture.receiver.unprotectRTP(fixture.packet, length: length))
            }
            benchmark.stopMeasurement()
        }
    }
}

/// A sender and a receiver session under one key, and a packet buffer the sender fills with the next packet.
final class SRTPFixture {
    let sender: SRTPSession
    let receiver: SRTPSession
    let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    var sequence: UInt16 = 0

    init(suite: SRTPSuite) {
        let key = SRTPMasterKey.generate(suite: suite)
        sender = try! SRTPSession(key: key, direction: .outbound)
        receiver = try! SRTPSession(key: key, direction: .inbound)
        // Each session's stream state is made at its first packet (3 allocations each): once here, not measured.
        _ = try! receiver.unprotectRTP(packet, length: protectNext())
    }

    deinit { packet.deallocate() }

    /// Writes a 12-byte header (the next sequence number) and a 160-byte payload, protects it; returns its length.
    func protectNext() -> Int {
        let header: [UInt8] = [0x80, 0x60, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]
        header.withUnsafeBytes { packet.copyMemory(from: $0.baseAddress!, byteCount: 12) }
        (packet + 12).initializeMemory(as: UInt8.self, repeating: 0x5A, count: 160)
        sequence &+= 1
        return (try? sender.protectRTP(packet, length: 172, capacity: 2048)) ?? 0
    }
}
