import EarshotDSP
import EarshotResample
import EarshotTestRig
import Foundation
import Testing

/// Tones through `SpeexResampler` in 240-frame blocks (the producer's 5 ms), judged against the analytic signal:
/// the frequency the ratio in effect predicts, the SNR of a sine fit, and for ratio changes the exact input time of
/// every output frame, so a click, a phase jump or a wrong step all count as noise.
@Suite struct SpeexResamplerTests {
    // MARK: - Helpers

    /// A sine (one per channel) sampled at `rate`, interleaved.
    static func sine(frequencies: [Double], rate: Double, frames: Int, amplitude: Double = 0.5) -> [Float] {
        var samples = [Float](repeating: 0, count: frames * frequencies.count)
        for frame in 0..<frames {
            for (channel, frequency) in frequencies.enumerated() {
                samples[frame * frequencies.count + channel] =
                    Float(amplitude * sin(2 * Double.pi * frequency * Double(frame) / rate))
            }
        }
        return samples
    }

    /// Runs `input` through `resampler` in `blockFrames` blocks, each offered until taken, with output room cycling
    /// through `outputRoom`. `beforeBlock` may change the ratio and sees the output frames produced so far.
    static func run(
        _ resampler: inout SpeexResampler, _ input: [Float], blockFrames: Int, outputRoom: [Int] = [4_096],
        beforeBlock: (inout SpeexResampler, Int) -> Void = { _, _ in }
    ) -> [Float] {
        let channels = resampler.channels
        let frames = input.count / channels
        var output: [Float] = []
        var scratch = [Float](repeating: 0, count: outputRoom.max()! * channels)
        var position = 0
        var room = 0
        while position < frames {
            beforeBlock(&resampler, output.count / channels)
            let count = min(blockFrames, frames - position)
            var offered = 0
            while offered < count {
                let capacity = outputRoom[room % outputRoom.count]
                room += 1
                let (consumed, produced) = input.withUnsafeBufferPointer { source in
                    scratch.withUnsafeMutableBufferPointer { target in
                        resampler.process(
                            input: source.baseAddress! + (position + offered) * channels,
                            inputFrames: count - offered, output: target.baseAddress!, outputCapacity: capacity)
                    }
                }
                output += scratch[0..<(produced * channels)]
                offered += consumed
                #expect(consumed > 0 || produced > 0, "no progress with \(capacity) frames of room")
                if consumed == 0 && produced == 0 { return output }
            }
            position += count
        }
        return output
    }

    /// The frequency of `signal`'s tone near `nominal` (Hz at `rate`): from the phase a sine fit finds in its first
    /// and its last `window` samples, `span` samples apart.
    static func measuredFrequency(_ signal: [Float], nominal: Double, rate: Double, window: Int) -> Double {
        let span = signal.count - window
        let first = SignalAnalysis.sineFit(signal[0..<window], frequency: nominal, sampleRate: rate)
        let last = SignalAnalysis.sineFit(signal[span...], frequency: nominal, sampleRate: rate)
        let advance = 2 * Double.pi * nominal * Double(span) / rate
        var drift = (last.phase - first.phase - advance).truncatingRemainder(dividingBy: 2 * Double.pi)
        if drift > Double.pi { drift -= 2 * Double.pi }
        if drift < -Double.pi { drift += 2 * Double.pi }
        return nominal + drift / (2 * Double.pi * Double(span) / rate)
    }

    // MARK: - Quality

    /// 997 Hz through the conversions a receiver needs: out at exactly the frequency the ratio in effect says (a
    /// wrong step or fraction would show as hundredths of a Hz), and clean. The 100 dB floor is libspeexdsp quality
    /// 5's THD+N (−110 to −117 dB in Benchmarks/BENCHMARKS.md) with 10 dB to spare; AdaptiveResampler .high reaches
    /// −106 there.
    @Test(arguments: [(44_100, 48_000, 1.0), (48_000, 44_100, 1.0), (48_000, 48_000, 1.001), (48_000, 48_000, 0.999)])
    func toneComesOutAtTheRatiosFrequencyAndClean(inputRate: Int, outputRate: Int, drift: Double) throws {
        var resampler = try SpeexResampler(channels: 2, inputRate: inputRate, outputRate: outputRate)
        resampler.setRatio(Double(outputRate) / Double(inputRate) * drift)
        let input = Self.sine(frequencies: [997, 997], rate: Double(inputRate), frames: inputRate * 2)
        let output = Self.run(&resampler, input, blockFrames: 240)
        // Output frame k is input time k / ratio: played at the output rate, 997 Hz scaled by nominal / ratio.
        let expected = 997 * Double(outputRate) / (resampler.ratio * Double(inputRate))
        let left = Array(SignalAnalysis.channel(0, of: output, channels: 2).dropFirst(outputRate / 10))
        let frequency = Self.measuredFrequency(left, nominal: expected, rate: Double(outputRate), window: 4_800)
        #expect(abs(frequency - expected) < 0.001, "\(frequency) Hz, expected \(expected) Hz")
        let fit = SignalAnalysis.sineFit(left, frequency: expected, sampleRate: Double(outputRate))
        #expect(fit.snrDB >= 100, "SNR \(fit.snrDB) dB")
        #expect(abs(20 * log10(fit.amplitude / 0.5)) < 0.01, "gain \(20 * log10(fit.amplitude / 0.5)) dB")
        print(
            "SpeexResampler 997 Hz, \(inputRate) → \(outputRate) × \(drift): \(String(format: "%.5f", frequency)) Hz "
                + "(expected \(String(format: "%.5f", expected))), SNR \(String(format: "%.1f", fit.snrDB)) dB")
        let right = Array(SignalAnalysis.channel(1, of: output, channels: 2).dropFirst(outputRate / 10))
        #expect(zip(right, left).allSatisfy { $0 == $1 }, "both channels carry the same tone")
    }

    // MARK: - Ratio changes

    /// A drift loop's use: the ratio wanders over ±1000 ppm, set before every 5 ms block. Every output frame must
    /// be the input at the time the steps in effect put it (fitted once on the first 0.1 s), and no sample may
    /// jump further than the steepest slope of the tone allows: a click would break both.
    @Test func ratioChangedEveryBlockMakesNoClick() throws {
        var resampler = try SpeexResampler(channels: 1, inputRate: 48_000, outputRate: 48_000)
        let frequency = 100.0
        let input = Self.sine(frequencies: [frequency], rate: 48_000, frames: 96_000)
        var ratios: [(fromOutputFrame: Int, ratio: Double)] = []
        var block = 0
        var distinct: Set<Double> = []
        let output = Self.run(&resampler, input, blockFrames: 240) { resampler, producedSoFar in
            // Constant for the first 0.1 s (20 blocks; 1 is one step above, see `setRatio`), then ±1000 ppm in a
            // slow wave that passes 1 twice.
            let ratio = block < 20 ? 1 : 1 + 0.001 * sin(Double(block - 20) / 40)
            block += 1
            resampler.setRatio(ratio)
            ratios.append((producedSoFar, resampler.ratio))
            distinct.insert(resampler.ratio)
        }
        #expect(distinct.count > 100, "the ratio in effect took \(distinct.count) values")
        // Input time of output frame 0, from the phase of the constant-ratio start (beyond the ramp-in): there
        // output frame k is the input at origin + k / ratio.
        let omega = 2 * Double.pi * frequency / 48_000
        let first = ratios[0].ratio
        let start = SignalAnalysis.sineFit(output[1_000..<4_600], frequency: frequency / first, sampleRate: 48_000)
        var origin = start.phase / omega - 1_000 / first
        let latency = Double(resampler.latencyFrames)
        while origin > -latency + 240 { origin -= 480 }
        while origin < -latency - 240 { origin += 480 }
        var time = origin
        var segment = 0
        var signal = 0.0
        var noise = 0.0
        for frame in output.indices {
            while segment + 1 < ratios.count && ratios[segment + 1].fromOutputFrame <= frame { segment += 1 }
            if frame >= 1_000 {
                let expected = 0.5 * sin(omega * time)
                signal += expected * expected
                noise += (Double(output[frame]) - expected) * (Double(output[frame]) - expected)
            }
            time += 1 / ratios[segment].ratio
        }
        let snr = 10 * log10(signal / noise)
        print("SpeexResampler ratio changed every block: SNR \(String(format: "%.1f", snr)) dB against the bent time axis")
        #expect(snr >= 90, "SNR against the analytic bent time axis: \(snr) dB")
        let largestStep = zip(output.dropFirst(1_000), output.dropFirst(1_001)).map { abs($1 - $0) }.max()!
        // The steepest a 100 Hz sine of amplitude 0.5 gets, sped up by at most 0.1 %.
        let bound = Float(omega * 0.5 * 1.001)
        #expect(largestStep <= bound * 1.001, "largest step \(largestStep), bound \(bound)")
    }

    @Test func ratioMovesInStepsOfRatioStep() throws {
        var resampler = try SpeexResampler(channels: 1, inputRate: 44_100, outputRate: 48_000)
        let nominal = 48_000.0 / 44_100
        #expect(resampler.ratio == nominal)
        #expect(resampler.ratioStep < 20e-6 && resampler.ratioStep > 10e-6, "step \(resampler.ratioStep)")
        var previous = resampler.ratio
        for steps in [3.0, 3.2, 2.8, -100, 640, -640] {
            let requested = nominal * (1 + steps * resampler.ratioStep)
            resampler.setRatio(requested)
            // Rounded to the nearest step: within half a step of the request.
            #expect(abs(resampler.ratio / requested - 1) <= resampler.ratioStep * 0.51, "\(steps) steps")
            #expect(resampler.ratio != previous || steps == 3.2 || steps == 2.8)
            previous = resampler.ratio
        }
    }

    // MARK: - Streaming

    /// Output room smaller than a block: the rest is taken on the next offer, and the output is the same as with
    /// room to spare. Over the stream, frames out = frames in × ratio.
    @Test(arguments: [(44_100, 48_000), (48_000, 44_100), (48_000, 48_000)])
    func smallOutputRoomGivesTheSameOutput(inputRate: Int, outputRate: Int) throws {
        let input = Self.sine(frequencies: [997, 1_201], rate: Double(inputRate), frames: 20_000)
        var roomy = try SpeexResampler(channels: 2, inputRate: inputRate, outputRate: outputRate)
        let whole = Self.run(&roomy, input, blockFrames: 240)
        var cramped = try SpeexResampler(channels: 2, inputRate: inputRate, outputRate: outputRate)
        let pieces = Self.run(&cramped, input, blockFrames: 240, outputRoom: [7, 1, 100, 3])
        let expected = 20_000 * roomy.ratio
        #expect(abs(Double(whole.count / 2) - expected) <= 2, "\(whole.count / 2) frames, expected \(expected)")
        #expect(pieces.count == whole.count)
        #expect(zip(pieces, whole).allSatisfy { $0 == $1 }, "cramped output differs from roomy output")
    }

    /// Stereo on purpose: libspeexdsp's own `reset_mem` leaves the second channel's filter memory as it was.
    @Test func resetForgetsHistory() throws {
        let input = Self.sine(frequencies: [440, 660], rate: 48_000, frames: 4_800)
        var fresh = try SpeexResampler(channels: 2, inputRate: 48_000, outputRate: 44_100)
        let expected = Self.run(&fresh, input, blockFrames: 240)
        var reused = try SpeexResampler(channels: 2, inputRate: 48_000, outputRate: 44_100)
        _ = Self.run(&reused, Self.sine(frequencies: [3_000, 5_000], rate: 48_000, frames: 1_234), blockFrames: 240)
        reused.reset()
        let output = Self.run(&reused, input, blockFrames: 240)
        #expect(output.count == expected.count)
        let firstDifference = zip(output, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at sample \(firstDifference ?? -1) (channel \((firstDifference ?? 0) % 2))")
    }

    @Test func latencyIsHalfTheFilter() throws {
        let upsampler = try SpeexResampler(channels: 1, inputRate: 44_100, outputRate: 48_000)
        #expect(upsampler.latencyFrames == 40, "quality 5: 80 taps")
        let downsampler = try SpeexResampler(channels: 1, inputRate: 48_000, outputRate: 44_100)
        #expect(downsampler.latencyFrames == 44, "the filter widens by 48/44.1 and rounds up to 8")
    }

    // MARK: - Bad settings

    @Test func badSettingsNameTheSettingAndTheRange() {
        #expect(throws: SpeexResamplerError.invalidSetting(name: "quality", value: "11", allowed: "0 ... 10")) {
            _ = try SpeexResampler.Quality(level: 11)
        }
        #expect(throws: SpeexResamplerError.invalidSetting(name: "channels", value: "0", allowed: "1 ... 8")) {
            _ = try SpeexResampler(channels: 0, inputRate: 48_000, outputRate: 48_000)
        }
        do {
            _ = try SpeexResampler(channels: 2, inputRate: 96_000, outputRate: 44_100)
            Issue.record("96 → 44.1 kHz accepted")
        } catch {
            #expect("\(error)".contains("outputRate / inputRate = 44100 / 96000 is invalid: allowed 0.51 ... 8"))
        }
    }
}

/// `process`, `setRatio` and `reset` allocate nothing after `init`, libspeexdsp's own calls included (the counter
/// interposes malloc process-wide and counts this thread's calls). Serialized: the counter's hook is global.
@Suite(.serialized) struct SpeexResamplerAllocationTests {
    @Test func counterSeesLibspeexdspAllocations() throws {
        var allocations = 0
        allocations = try ThreadAllocationCounter.measure {
            _ = try SpeexResampler(channels: 2, inputRate: 48_000, outputRate: 48_000)
        }
        #expect(allocations >= 3, "init allocates the state, the filter and its memory")
    }

    /// The whole adjustment range, extremes first: the lowest ratio needs the longest filter (downsampling), which
    /// libspeexdsp would reallocate on the spot if `init` had not sized it.
    @Test(arguments: [(48_000, 48_000), (48_000, 44_100), (44_100, 48_000)])
    func processSetRatioAndResetAllocateNothing(inputRate: Int, outputRate: Int) throws {
        var resampler = try SpeexResampler(channels: 2, inputRate: inputRate, outputRate: outputRate)
        let nominal = Double(outputRate) / Double(inputRate)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: 240 * 2)
        input.initialize(repeating: 0.125, count: 240 * 2)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 600 * 2)
        defer {
            input.deallocate()
            output.deallocate()
        }
        var produced = 0
        let allocations = ThreadAllocationCounter.measure {
            for block in 0..<500 {
                let relative = block == 0 ? 0.99 : block == 1 ? 1.01 : 1 + 0.01 * sin(Double(block) / 10)
                resampler.setRatio(nominal * relative)
                produced += resampler.process(input: input, inputFrames: 240, output: output, outputCapacity: 600)
                    .produced
            }
            resampler.reset()
        }
        #expect(produced > Int(500 * 240 * nominal * 0.98))
        #expect(allocations == 0, "\(allocations) allocations in 500 blocks")
    }
}
