#if canImport(Glibc)
import Glibc
#endif
import EarshotCodec
import EarshotDSP

/// Encodes `input` (interleaved, whole frames) frame by frame and returns the packets.
func encodePackets(_ input: [Float], configuration: OpusEncoder.Configuration) throws -> [[UInt8]] {
    var encoder = try OpusEncoder(configuration)
    let frameSamples = configuration.samplesPerFrame
    var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
    var packets: [[UInt8]] = []
    for start in stride(from: 0, to: input.count - frameSamples + 1, by: frameSamples) {
        let bytes = try input.withUnsafeBufferPointer { pcm in
            try packet.withUnsafeMutableBytes { try encoder.encode(pcm.baseAddress! + start, into: $0) }
        }
        packets.append(Array(packet[0..<bytes]))
    }
    return packets
}

/// How a lost packet is filled in by `decodeStream`.
enum LossRecovery { case concealment, forwardErrorCorrection }

/// Decodes `packets` in order; indices in `lost` are treated as missing and filled by `recovery`.
func decodeStream(
    _ packets: [[UInt8]], channels: Int, frames: Int, lost: Set<Int> = [], recovery: LossRecovery = .concealment
) throws -> [Float] {
    var decoder = try OpusDecoder(channels: channels)
    var pcm = [Float](repeating: 0, count: OpusDecoder.maximumFramesPerPacket * channels)
    var output: [Float] = []
    for (index, packet) in packets.enumerated() {
        let written: Int
        if lost.contains(index) {
            if recovery == .forwardErrorCorrection, index + 1 < packets.count, !lost.contains(index + 1) {
                written = try packets[index + 1].withUnsafeBytes { next in
                    try decoder.decodeFEC(fromNextPacket: next, into: &pcm, frames: frames)
                }
            } else {
                written = try decoder.conceal(into: &pcm, frames: frames)
            }
        } else {
            written = try packet.withUnsafeBytes { bytes in
                try decoder.decode(bytes, into: &pcm, capacityFrames: OpusDecoder.maximumFramesPerPacket)
            }
        }
        output.append(contentsOf: pcm[0..<(written * channels)])
    }
    return output
}

/// Waveform SNR of `signal` against `reference` over the same samples, in dB.
func waveformSNR(reference: ArraySlice<Float>, signal: ArraySlice<Float>) -> Double {
    var power = 0.0, error = 0.0
    for (r, s) in zip(reference, signal) {
        power += Double(r) * Double(r)
        error += (Double(r) - Double(s)) * (Double(r) - Double(s))
    }
    return 10 * log10(power / max(error, 1e-20))
}

func tone(frequency: Double = 997, amplitude: Float = 0.5, channels: Int, frames: Int) -> [Float] {
    var generator = ToneGenerator(frequency: frequency, amplitude: amplitude, channels: channels)
    return generator.generate(frames: frames)
}
