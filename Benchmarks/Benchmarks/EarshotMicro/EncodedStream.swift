#if canImport(Glibc)
import Glibc
#endif
import EarshotCodec

/// One second and a bit of stereo music-like audio (two sines plus a little noise), Opus-encoded once at start-up
/// with the sender's default settings (48 kHz stereo, 5 ms frames, 128 kbps, restricted low delay). Every decode
/// benchmark cycles through these same packets, so the Earshot and bare-libopus numbers decode identical input.
final class EncodedStream: @unchecked Sendable {
    static let shared = EncodedStream(frames: 256)

    static let channels = 2
    let frameSamples: Int
    let count: Int
    private let storage: UnsafeMutableRawPointer
    private let offsets: UnsafeMutablePointer<Int>
    private let lengths: UnsafeMutablePointer<Int>

    init(frames: Int) {
        let configuration = OpusEncoder.Configuration()
        var encoder: OpusEncoder
        do {
            encoder = try OpusEncoder(configuration)
        } catch {
            fatalError("cannot create the Opus encoder for the fixture: \(error)")
        }
        frameSamples = configuration.frameDuration.samplesPerChannel
        count = frames
        storage = .allocate(byteCount: frames * OpusEncoder.maximumPacketBytes, alignment: 16)
        offsets = .allocate(capacity: frames)
        lengths = .allocate(capacity: frames)
        var pcm = [Float](repeating: 0, count: frameSamples * Self.channels)
        var noise: UInt32 = 12_345
        var used = 0
        for frame in 0..<frames {
            for index in 0..<frameSamples {
                let time = Double(frame * frameSamples + index) / 48_000
                noise = noise &* 1_664_525 &+ 1_013_904_223
                let hiss = (Double(noise >> 8) / Double(1 << 24) - 0.5) * 0.02
                let left = 0.3 * sin(2 * .pi * 440 * time) + 0.1 * sin(2 * .pi * 3_520 * time) + hiss
                let right = 0.3 * sin(2 * .pi * 554.37 * time) + 0.1 * sin(2 * .pi * 2_000 * time) - hiss
                pcm[index * 2] = Float(left)
                pcm[index * 2 + 1] = Float(right)
            }
            let output = UnsafeMutableRawBufferPointer(start: storage + used, count: OpusEncoder.maximumPacketBytes)
            let bytes: Int
            do {
                bytes = try pcm.withUnsafeBufferPointer { try encoder.encode($0.baseAddress!, into: output) }
            } catch {
                fatalError("fixture encode failed: \(error)")
            }
            offsets[frame] = used
            lengths[frame] = bytes
            used += bytes
        }
    }

    /// Packet `index % count`.
    @inline(__always)
    func packet(_ index: Int) -> UnsafeRawBufferPointer {
        let slot = index % count
        return UnsafeRawBufferPointer(start: storage + offsets[slot], count: lengths[slot])
    }
}
