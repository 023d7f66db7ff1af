#if canImport(Glibc)
import Glibc
#endif
import EarshotCodec
import EarshotDSP
import Testing

@Suite struct OpusCodecTests {
    /// Measured on libopus 1.3.1 (997 Hz sine at −6 dBFS, 128 kbps, low delay, SNR past the first 100 ms):
    /// mono 5 ms 44.8 dB, mono 10 ms 47.8 dB, stereo 5 ms 42.9 dB, stereo 10 ms 39.0 dB. Thresholds sit ~3 dB below.
    @Test(arguments: [
        (channels: 1, duration: OpusFrameDuration.ms5, minimumSNR: 42.0),
        (channels: 1, duration: OpusFrameDuration.ms10, minimumSNR: 45.0),
        (channels: 2, duration: OpusFrameDuration.ms5, minimumSNR: 40.0),
        (channels: 2, duration: OpusFrameDuration.ms10, minimumSNR: 36.0),
    ])
    func roundTripSNR(channels: Int, duration: OpusFrameDuration, minimumSNR: Double) throws {
        let configuration = OpusEncoder.Configuration(channels: channels, frameDuration: duration, bitrate: 128_000)
        let packets = try encodePackets(tone(channels: channels, frames: 48_000), configuration: configuration)
        #expect(packets.count == 48_000 / duration.samplesPerChannel)
        let output = try decodeStream(packets, channels: channels, frames: duration.samplesPerChannel)
        #expect(output.count == 48_000 * channels)
        for channel in 0..<channels {
            let decoded = SignalAnalysis.channel(channel, of: output, channels: channels)
            let fit = SignalAnalysis.sineFit(decoded[4_800...], frequency: 997, sampleRate: 48_000)
            #expect(fit.snrDB > minimumSNR, "channel \(channel)")
            #expect(abs(fit.amplitude - 0.5) < 0.02, "channel \(channel)")
        }
    }

    @Test(arguments: OpusFrameDuration.allCases)
    func frameCountOfEncodedPacketIsTheFrameDuration(duration: OpusFrameDuration) throws {
        let configuration = OpusEncoder.Configuration(channels: 2, frameDuration: duration)
        let packets = try encodePackets(
            tone(channels: 2, frames: duration.samplesPerChannel * 3), configuration: configuration)
        #expect(packets.count == 3)
        for packet in packets {
            let frames = try packet.withUnsafeBytes { try OpusDecoder.frameCount(of: $0) }
            #expect(frames == duration.samplesPerChannel)
        }
    }

    @Test func lookaheadMatchesPlatformNotes() throws {
        #expect(try OpusEncoder(.init(application: .restrictedLowDelay)).lookahead == 120)
        #expect(try OpusEncoder(.init(application: .audio)).lookahead == 312)
        #expect(try OpusEncoder(.init(frameDuration: .ms10, application: .restrictedLowDelay)).algorithmicDelay == 600)
    }

    /// Five consecutive 10 ms frames lost in a sine: the concealment must join the real audio without a click
    /// on either side and fade out smoothly instead of cutting to silence or bursting.
    @Test(arguments: [OpusApplication.restrictedLowDelay, .voip])
    func concealmentIsContinuous(application: OpusApplication) throws {
        let frames = OpusFrameDuration.ms10.samplesPerChannel
        let configuration = OpusEncoder.Configuration(
            channels: 1, frameDuration: .ms10, bitrate: 128_000, application: application)
        let packets = try encodePackets(tone(channels: 1, frames: 48_000), configuration: configuration)
        let lost = 50..<55
        let output = try decodeStream(packets, channels: 1, frames: frames, lost: Set(lost))
        #expect(output.count == 48_000)

        func largestStep(_ range: Range<Int>) -> Float {
            range.reduce(0) { max($0, abs(output[$1] - output[$1 - 1])) }
        }
        // A 997 Hz sine at amplitude 0.5 never steps more than 2π·997/48000·0.5 ≈ 0.065 per sample.
        let cleanStep = largestStep(1_000..<(lost.lowerBound * frames))
        let lossStep = largestStep((lost.lowerBound * frames - 10)..<((lost.upperBound + 1) * frames))
        #expect(cleanStep < 0.07)
        #expect(lossStep <= cleanStep * 1.25, "click at a concealment boundary: step \(lossStep) vs \(cleanStep)")

        let blockRMS = stride(from: lost.lowerBound * frames, to: lost.upperBound * frames, by: 120).map {
            SignalAnalysis.rms(output[$0..<($0 + 120)])
        }
        let cleanRMS = SignalAnalysis.rms(output[(40 * frames)..<(50 * frames)])
        // Measured: first concealed block ≈ clean level, then a steady fade to ≈ 0.41 of it after 50 ms.
        #expect(blockRMS[0] > 0.8 * cleanRMS, "concealment starts with a dropout")
        for (previous, next) in zip(blockRMS, blockRMS.dropFirst()) {
            #expect(next <= previous * 1.05, "concealment energy jumps up: \(previous) → \(next)")
            #expect(next >= previous * 0.7, "concealment energy falls off a cliff: \(previous) → \(next)")
        }
        #expect(blockRMS.last! < 0.6 * blockRMS[0], "concealment does not fade")
    }

    /// The lost frame rebuilt from the next packet's LBRR must be closer to the original than concealment.
    /// A vibrato tone (400 ± 300 Hz at 3 Hz) keeps concealment from simply extrapolating a steady period.
    /// Measured (mean over 20 losses): voip 32 kbps 20 ms: FEC 7.1 dB, PLC −0.6 dB; audio 32 kbps 10 ms: FEC 11.7 dB,
    /// PLC 4.8 dB. Without FEC the same call falls back to concealment and gains nothing.
    @Test(arguments: [
        (application: OpusApplication.voip, duration: OpusFrameDuration.ms20),
        (application: OpusApplication.audio, duration: OpusFrameDuration.ms10),
    ])
    func fecRecoversALostFrameBetterThanConcealment(application: OpusApplication, duration: OpusFrameDuration) throws {
        let input = vibratoTone(frames: 48_000)
        func meanRecoverySNR(fec: Bool) throws -> (fec: Double, plc: Double, clean: Double) {
            let configuration = OpusEncoder.Configuration(
                channels: 1, frameDuration: duration, bitrate: 32_000, application: application, inBandFEC: fec,
                expectedPacketLossPercent: 20)
            let delay = try OpusEncoder(configuration).lookahead
            let packets = try encodePackets(input, configuration: configuration)
            let reference = [Float](repeating: 0, count: delay) + input
            let frames = duration.samplesPerChannel
            let clean = try decodeStream(packets, channels: 1, frames: frames)
            var total = (fec: 0.0, plc: 0.0, clean: 0.0)
            let losses = Array(stride(from: 20, to: packets.count - 2, by: 7))
            for index in losses {
                let concealed = try decodeStream(packets, channels: 1, frames: frames, lost: [index])
                let recovered = try decodeStream(
                    packets, channels: 1, frames: frames, lost: [index], recovery: .forwardErrorCorrection)
                let span = (index * frames)..<((index + 1) * frames)
                total.fec += waveformSNR(reference: reference[span], signal: recovered[span])
                total.plc += waveformSNR(reference: reference[span], signal: concealed[span])
                total.clean += waveformSNR(reference: reference[span], signal: clean[span])
            }
            let count = Double(losses.count)
            return (total.fec / count, total.plc / count, total.clean / count)
        }
        let withFEC = try meanRecoverySNR(fec: true)
        #expect(withFEC.clean > withFEC.fec, "reference misaligned: even the clean decode does not match it")
        #expect(withFEC.fec > withFEC.plc + 4, "FEC \(withFEC.fec) dB vs PLC \(withFEC.plc) dB")
        let withoutFEC = try meanRecoverySNR(fec: false)
        #expect(abs(withoutFEC.fec - withoutFEC.plc) < 0.5, "decodeFEC without LBRR should equal concealment")
    }

    @Test func invalidSettingsAreTypedErrors() throws {
        let invalid: [OpusEncoder.Configuration] = [
            .init(channels: 3), .init(channels: 0), .init(bitrate: 500), .init(bitrate: 600_000),
            .init(complexity: 11), .init(complexity: -1), .init(expectedPacketLossPercent: 101),
        ]
        for configuration in invalid {
            #expect(throws: OpusError.self) { try OpusEncoder(configuration) }
            do {
                _ = try OpusEncoder(configuration)
            } catch {
                guard case .invalidSetting = error else { Issue.record("expected invalidSetting, got \(error)"); continue }
                #expect(error.code == .badArgument)
                #expect(error.libraryMessage == "invalid argument")
                #expect(error.description.contains("allowed"))
            }
        }
        #expect(throws: OpusError.self) { try OpusDecoder(channels: 3) }
        #expect(OpusFrameDuration(milliseconds: 7) == nil)
        #expect(OpusFrameDuration(milliseconds: 2.5) == .ms2_5)

        var decoder = try OpusDecoder(channels: 2)
        var pcm = [Float](repeating: 0, count: OpusDecoder.maximumFramesPerPacket * 2)
        for frames in [0, 100, 121, 5_880] {
            #expect(throws: OpusError.self) { try decoder.conceal(into: &pcm, frames: frames) }
        }
    }

    @Test func buffersTooSmallAreTypedErrors() throws {
        var encoder = try OpusEncoder(.init(channels: 2, frameDuration: .ms20))
        let input = tone(channels: 2, frames: 960)
        var empty = [UInt8]()
        do {
            _ = try input.withUnsafeBufferPointer { pcm in
                try empty.withUnsafeMutableBytes { bytes in try encoder.encode(pcm.baseAddress!, into: bytes) }
            }
            Issue.record("encoding into an empty buffer succeeded")
        } catch let error as OpusError {
            #expect(error.code == .bufferTooSmall)
        }
        let packets = try encodePackets(input, configuration: encoder.configuration)
        var decoder = try OpusDecoder(channels: 2)
        var pcm = [Float](repeating: 0, count: 480 * 2)
        do {
            _ = try packets[0].withUnsafeBytes { bytes in
                try decoder.decode(bytes, into: &pcm, capacityFrames: 480)
            }
            Issue.record("decoding 20 ms into a 10 ms buffer succeeded")
        } catch let error as OpusError {
            #expect(error.code == .bufferTooSmall)
        }
    }

    /// Garbage must produce errors (or, when the bytes happen to parse, a bounded decode), never a crash, and the
    /// decoder must still decode real audio afterwards.
    @Test func garbagePacketsAreErrorsNotCrashes() throws {
        var decoder = try OpusDecoder(channels: 2)
        var pcm = [Float](repeating: 0, count: OpusDecoder.maximumFramesPerPacket * 2)
        // Code-3 packet declaring 0 frames, code-3 declaring 64 frames (> 120 ms), truncated code-2 length,
        // code-1 with an odd payload (two equal halves impossible).
        let knownBad: [[UInt8]] = [[0x03, 0x00], [0x03, 0x3F], [0x02, 0xFF], [0x01, 0x00], []]
        for packet in knownBad {
            #expect(throws: OpusError.self, "\(packet)") {
                try packet.withUnsafeBytes { try decoder.decode($0, into: &pcm, capacityFrames: 5_760) }
            }
            #expect(throws: OpusError.self, "\(packet)") { try packet.withUnsafeBytes { try OpusDecoder.frameCount(of: $0) } }
        }

        var generator = SystemRandomNumberGenerator()
        var rejected = 0
        for _ in 0..<2_000 {
            let packet = (0..<Int.random(in: 1...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            do {
                let frames = try packet.withUnsafeBytes { bytes in
                    try decoder.decode(bytes, into: &pcm, capacityFrames: 5_760)
                }
                #expect((0...5_760).contains(frames))
            } catch let error as OpusError {
                #expect(error.code == .invalidPacket, "\(error)")
                rejected += 1
            }
        }
        #expect(rejected > 0)

        decoder.reset()
        let configuration = OpusEncoder.Configuration(channels: 2, frameDuration: .ms10)
        let packets = try encodePackets(tone(channels: 2, frames: 48_00 * 2), configuration: configuration)
        var output: [Float] = []
        for packet in packets {
            let frames = try packet.withUnsafeBytes { try decoder.decode($0, into: &pcm, capacityFrames: 5_760) }
            output += pcm[0..<(frames * 2)]
        }
        let left = SignalAnalysis.channel(0, of: output, channels: 2)
        #expect(SignalAnalysis.sineFit(left[2_400...], frequency: 997, sampleRate: 48_000).snrDB > 30)
    }

    private func vibratoTone(frames: Int) -> [Float] {
        var phase = 0.0
        return (0..<frames).map { index in
            let frequency = 400 + 300 * sin(2 * Double.pi * 3 * Double(index) / 48_000)
            phase += 2 * Double.pi * frequency / 48_000
            return Float(0.4 * sin(phase))
        }
    }
}
