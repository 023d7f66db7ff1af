import Benchmark
import CLibOpusBaseline
import EarshotCodec
import EarshotProtocol
import EarshotRealtime
import EarshotReceiver

/// Micro benchmarks of the receive hot path, each measured per operation (inner loop of 1000, `scalingFactor`),
/// with malloc counts (target: zero on every hot path).
///
/// `Receiver per-frame` is what the producer thread does for one device frame — jitter-buffer insert, playout
/// decision, Opus decode, ring write (plus the consumer's ring skip so the ring never fills) — and
/// `libopus decode (bare)` is `opus_decode_float` on the same packets with no Earshot code around it. Their ratio
/// is the receiver's overhead over the codec (target ≤ 1.2×); `run.sh` prints it. No resampler yet: when
/// EarshotCodec gains one, add it to the per-frame work.
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

    Benchmark("Receiver per-frame (insert+decision+decode+ring)") { benchmark in
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
}
