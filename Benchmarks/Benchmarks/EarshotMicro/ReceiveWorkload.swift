#if canImport(Glibc)
import Glibc
#endif
import EarshotCodec
import EarshotDSP
import EarshotRealtime
import EarshotReceiver

/// The receiver's producer-thread work for one device frame, driven by a virtual clock on which packets arrive
/// exactly on time: insert the packet that just arrived, ask for the playout decision, and (when `decodes`) decode
/// it, resample it at a drift ratio (1.0005, as the producer's `PlayoutResampler` does with `AdaptiveResampler` at
/// `.high`) and write the PCM into the playback ring, which a skip immediately drains as the device would.
///
/// Shared across benchmark iterations so the stream stays in steady playout; start-up buffering happens in `init`.
final class ReceiveWorkload: @unchecked Sendable {
    static let decoding = ReceiveWorkload(decodes: true)
    static let bookkeepingOnly = ReceiveWorkload(decodes: false)

    private static let frameNanos: UInt64 = 5_000_000
    private static let clockBase: UInt64 = 1_000_000_000

    private let decodes: Bool
    private let stream = EncodedStream.shared
    private var jitterBuffer: JitterBuffer
    private var decoder: OpusDecoder
    private let ring: RingBuffer
    private let pcm: UnsafeMutablePointer<Float>
    private var resampler: AdaptiveResampler
    private let resampled: UnsafeMutablePointer<Float>
    private static let resampledFrames = OpusDecoder.maximumFramesPerPacket + 64
    private var sequence: Int64 = 0
    private var plays = 0
    private var others = 0

    init(decodes: Bool) {
        self.decodes = decodes
        jitterBuffer = JitterBuffer(configuration: .init(frameSamples: EncodedStream.shared.frameSamples))
        do {
            decoder = try OpusDecoder(channels: EncodedStream.channels)
        } catch {
            fatalError("cannot create the Opus decoder: \(error)")
        }
        ring = RingBuffer(minimumCapacity: 8_192, channels: EncodedStream.channels)
        pcm = .allocate(capacity: OpusDecoder.maximumFramesPerPacket * EncodedStream.channels)
        pcm.initialize(repeating: 0, count: OpusDecoder.maximumFramesPerPacket * EncodedStream.channels)
        resampler = AdaptiveResampler(
            channels: EncodedStream.channels, inputRate: 48_000, outputRate: 48_000, quality: .high)
        resampler.setRatio(1.0005)
        resampled = .allocate(capacity: Self.resampledFrames * EncodedStream.channels)
        for _ in 0..<2_000 { step() }  // 10 s of virtual time: buffering done, target settled
        plays = 0
        others = 0
    }

    deinit {
        ring.deallocate()
        pcm.deallocate()
        resampled.deallocate()
    }

    @inline(never)
    func step() {
        let now = Self.clockBase + UInt64(sequence) * Self.frameNanos
        let payload = stream.packet(Int(sequence))
        _ = jitterBuffer.insert(
            sequence: sequence, timestamp: sequence * Int64(stream.frameSamples), arrivalNanos: now, payload: payload)
        sequence += 1
        let decision = jitterBuffer.nextDecision(nowNanos: now)
        if case .play = decision { plays += 1 } else { others += 1 }
        guard decodes else { return }
        let frames: Int
        do {
            switch decision {
            case .play(let payload, _, let samples):
                frames = try decoder.decode(payload, into: pcm, capacityFrames: samples)
            case .recoverWithFEC(let next, _, let samples):
                frames = try decoder.decodeFEC(fromNextPacket: next, into: pcm, frames: samples)
            case .conceal(let samples), .stretch(let samples):
                frames = try decoder.conceal(into: pcm, frames: samples)
            case .waiting(let samples):
                pcm.update(repeating: 0, count: samples * EncodedStream.channels)
                frames = samples
            }
        } catch {
            others += 1
            return
        }
        let produced = resampler.process(
            input: pcm, inputFrames: frames, output: resampled, outputCapacity: Self.resampledFrames
        ).produced
        _ = ring.write(resampled, frames: produced)
        _ = ring.skip(frames: produced)
    }

    /// Warns (stderr) when the measured frames were not nearly all plain `.play`, i.e. the benchmark measured
    /// concealment rather than the steady state.
    func checkSteadyPlayout() {
        if others * 100 > plays + others {
            FileHandleStderr.write("warning: \(others) of \(plays + others) decisions were not .play\n")
        }
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = fwrite(bytes.baseAddress, 1, bytes.count, stderr) }
    }
}
