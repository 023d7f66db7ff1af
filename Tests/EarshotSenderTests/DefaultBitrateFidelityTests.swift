import EarshotCodec
import EarshotDSP
import EarshotSender
import Foundation
import Testing

/// The sender's default bitrate keeps a tone's fidelity at every frame size (`SenderConfiguration.defaultBitrateKbps`):
/// a 997 Hz tone at −6 dBFS, encoded with the encoder settings `SenderConfiguration` makes and decoded, judged by a
/// sine fit per 10 ms window. No device, network or host in the way: only the codec at those settings.
@Suite struct DefaultBitrateFidelityTests {
    struct Fidelity {
        var medianSNR: Double
        var windowsUnder20dB: Int
        var windows: Int
    }

    /// The left channel of 2 s of tone through encoder and decoder, without the first 50 ms (the codec's start).
    static func toneThroughCodec(_ settings: OpusEncoder.Configuration) throws -> Fidelity {
        var encoder = try OpusEncoder(settings)
        var decoder = try OpusDecoder(channels: 2)
        let frame = settings.frameDuration.samplesPerChannel
        let input = UnsafeMutablePointer<Float>.allocate(capacity: frame * 2)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: OpusDecoder.maximumFramesPerPacket * 2)
        let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 1)
        defer {
            input.deallocate()
            output.deallocate()
            packet.deallocate()
        }
        var left: [Float] = []
        var sample = 0
        while sample < 96_000 {
            for index in 0..<frame {
                let phase: Double = 2 * Double.pi * 997 * Double(sample + index) / 48_000
                let value = Float(0.5011872 * sin(phase))
                input[2 * index] = value
                input[2 * index + 1] = value
            }
            let bytes = try encoder.encode(input, into: packet)
            let frames = try decoder.decode(
                UnsafeRawBufferPointer(rebasing: packet[0..<bytes]), into: output,
                capacityFrames: OpusDecoder.maximumFramesPerPacket)
            for index in 0..<frames { left.append(output[2 * index]) }
            sample += frame
        }
        let snrs = SignalAnalysis.windowSNRs(
            Array(left.dropFirst(2_400)), frequency: 997, sampleRate: 48_000, windowFrames: 480
        ).sorted()
        return Fidelity(
            medianSNR: snrs[snrs.count / 2], windowsUnder20dB: snrs.filter { $0 < 20 }.count, windows: snrs.count)
    }

    private func settings(frameMs: Double, bitrateKbps: Int? = nil) throws -> OpusEncoder.Configuration {
        try SenderConfiguration(SenderOptions.tone {
            $0.frameMilliseconds = frameMs
            $0.bitrateKbps = bitrateKbps
        }).encoder
    }

    @Test(arguments: [2.5, 5, 10, 20])
    func defaultBitrateKeepsAToneClean(frameMs: Double) throws {
        let fidelity = try Self.toneThroughCodec(try settings(frameMs: frameMs))
        print("codec fidelity, --frame \(frameMs) at the default bitrate: median \(fidelity.medianSNR) dB, "
            + "\(fidelity.windowsUnder20dB) of \(fidelity.windows) windows under 20 dB")
        #expect(fidelity.medianSNR > 40, "median \(fidelity.medianSNR) dB")
        #expect(fidelity.windowsUnder20dB == 0)
    }

    /// The control, and why 2.5 ms frames got their own default: at 128 kbit/s they color the tone.
    @Test func twoAndAHalfMillisecondFramesAt128KbpsColorTheTone() throws {
        let fidelity = try Self.toneThroughCodec(try settings(frameMs: 2.5, bitrateKbps: 128))
        print("codec fidelity, --frame 2.5 --bitrate 128: median \(fidelity.medianSNR) dB, "
            + "\(fidelity.windowsUnder20dB) of \(fidelity.windows) windows under 20 dB")
        #expect(fidelity.medianSNR < 30, "median \(fidelity.medianSNR) dB")
    }
}
