import EarshotDSP
import Testing

@Suite struct SignalAnalysisTests {
    @Test func sineFitRecoversAmplitudeAndSeparatesNoise() {
        var tone = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 1)
        var clean = tone.generate(frames: 48_000)
        #expect(abs(SignalAnalysis.sineFit(clean, frequency: 997, sampleRate: 48_000).amplitude - 0.5) < 1e-4)
        #expect(SignalAnalysis.sineFit(clean, frequency: 997, sampleRate: 48_000).snrDB > 100)
        // Add noise 40 dB below the tone's power: the fit must report about 40 dB.
        var seed: UInt64 = 1
        let noiseRMS = 0.5 / 2.squareRoot() / 100
        for i in clean.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let uniform = Double(seed >> 11) / Double(1 << 53) - 0.5  // variance 1/12
            clean[i] += Float(uniform * noiseRMS * 12.squareRoot())
        }
        let snr = SignalAnalysis.sineFit(clean, frequency: 997, sampleRate: 48_000).snrDB
        #expect(abs(snr - 40) < 1, "measured \(snr) dB")
    }

    @Test func glitchWindowsFindsAZeroedBlock() {
        var tone = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 1)
        var signal = tone.generate(frames: 48_000)
        for i in 24_000..<24_240 { signal[i] = 0 }
        let windows = SignalAnalysis.glitchWindows(
            signal, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        #expect(windows == [50])
        #expect(SignalAnalysis.dropouts(signal, minimumFrames: 48) == [24_000..<24_240])
    }

    @Test func crossCorrelationFindsDelay() {
        var seed: UInt32 = 7
        let reference = (0..<4_800).map { _ -> Float in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: seed)) / Float(Int32.max) * 0.5
        }
        let signal = [Float](repeating: 0, count: 1_234) + reference.map { $0 * 0.7 } + [Float](repeating: 0, count: 500)
        let found = SignalAnalysis.delayByCrossCorrelation(reference: reference, signal: signal, maxLag: 3_000)
        #expect(found.lag == 1_234)
        #expect(found.correlation > 0.99)
    }
}

@Suite struct WAVFileTests {
    @Test(arguments: [WAVFile.SampleEncoding.int16, .int24, .int32, .float32])
    func roundTrip(encoding: WAVFile.SampleEncoding) throws {
        var tone = ToneGenerator(frequency: 440, amplitude: 0.25, channels: 2)
        let original = WAVFile(sampleRate: 48_000, channels: 2, samples: tone.generate(frames: 4_800))
        let decoded = try WAVFile.decode(original.encoded(as: encoding))
        #expect(decoded.sampleRate == 48_000)
        #expect(decoded.channels == 2)
        #expect(decoded.encoding == encoding)
        #expect(decoded.samples.count == original.samples.count)
        let worst = zip(decoded.samples, original.samples).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < (encoding == .int16 ? 1e-4 : 1e-6))
    }

    @Test func rejectsGarbageWithAReason() {
        #expect(throws: WAVError.notWAV(path: "<memory>")) { try WAVFile.decode(Array("hello world!".utf8)) }
        #expect(throws: WAVError.unreadable(path: "/nonexistent.wav")) { try WAVFile.read(path: "/nonexistent.wav") }
    }
}
