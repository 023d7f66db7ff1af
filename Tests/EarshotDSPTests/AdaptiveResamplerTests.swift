import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// Quality is judged against the analytic signal at the instant each output frame stands for (its input time minus
/// `latencyFrames`), so a wrong delay, a dropped or repeated frame or a phase jump at a block join all count as
/// noise, not only a bad filter.
@Suite struct AdaptiveResamplerTests {
    // MARK: - Helpers

    /// A sine (or one per channel) sampled at `rate`, interleaved.
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

    /// Runs `input` through `resampler` in blocks whose sizes cycle through `blocks`, with output room cycling
    /// through `outputRoom` (so the "output full, offer the rest again" path runs too). `beforeBlock` may adjust
    /// the ratio and sees the output frames produced so far.
    static func run(
        _ resampler: inout AdaptiveResampler, _ input: [Float], blocks: [Int], outputRoom: [Int] = [4_096],
        beforeBlock: (inout AdaptiveResampler, Int) -> Void = { _, _ in }
    ) -> [Float] {
        let channels = resampler.channels
        let frames = input.count / channels
        var output: [Float] = []
        var scratch = [Float](repeating: 0, count: (outputRoom.max()! + 1) * channels)
        var position = 0
        var block = 0
        var room = 0
        while position < frames {
            beforeBlock(&resampler, output.count / channels)
            let count = min(blocks[block % blocks.count], frames - position)
            block += 1
            var offered = 0
            // Offer the block until all of it is taken; each call gets a fresh output room.
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
                if consumed == 0 && produced == 0 { break }
            }
            position += count
        }
        // Drain what the last calls staged but had no room for.
        while true {
            let produced = scratch.withUnsafeMutableBufferPointer { target in
                [Float]().withUnsafeBufferPointer { empty in
                    resampler.process(
                        input: empty.baseAddress ?? UnsafePointer(target.baseAddress!), inputFrames: 0,
                        output: target.baseAddress!, outputCapacity: target.count / channels
                    ).produced
                }
            }
            if produced == 0 { break }
            output += scratch[0..<(produced * channels)]
        }
        return output
    }

    /// SNR in dB of channel `channel` of `output` against `amplitude·sin(2πf·t)`, where `inputTime(k)` is the input
    /// frame output frame `k` stands for; frames `skip ..< count - skip` are compared (the ends hold the ramp-in and
    /// the missing tail).
    static func analyticSNR(
        _ output: [Float], channels: Int = 1, channel: Int = 0, frequency: Double, inputRate: Double,
        amplitude: Double = 0.5, skip: Int, inputTime: (Int) -> Double
    ) -> Double {
        let frames = output.count / channels
        var signal = 0.0
        var noise = 0.0
        for frame in skip..<(frames - skip) {
            let expected = amplitude * sin(2 * Double.pi * frequency * inputTime(frame) / inputRate)
            let error = Double(output[frame * channels + channel]) - expected
            signal += expected * expected
            noise += error * error
        }
        return 10 * log10(signal / noise)
    }

    /// SNR of one second of a 1 kHz sine converted from 44.1 to 48 kHz in 10 ms blocks.
    static func snr44100To48000(quality: AdaptiveResampler.Quality) -> Double {
        var resampler = AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000, quality: quality)
        let input = Self.sine(frequencies: [1_000], rate: 44_100, frames: 44_100)
        let output = Self.run(&resampler, input, blocks: [441])
        let latency = Double(resampler.latencyFrames)
        return Self.analyticSNR(output, frequency: 1_000, inputRate: 44_100, skip: 200) {
            Double($0) * 44_100 / 48_000 - latency
        }
    }

    // MARK: - Quality

    @Test func sine44100To48000IsCleanAndOnTime() {
        let snr = Self.snr44100To48000(quality: .high)
        #expect(snr >= 80, "SNR \(snr) dB")
        print("AdaptiveResampler 1 kHz 44.1 → 48 kHz: SNR \(String(format: "%.1f", snr)) dB")
    }

    @Test func driftRatioKeepsASineClean() {
        var resampler = AdaptiveResampler(channels: 1, inputRate: 48_000, outputRate: 48_000)
        resampler.setRatio(1.0005)
        let input = Self.sine(frequencies: [1_000], rate: 48_000, frames: 48_000)
        let output = Self.run(&resampler, input, blocks: [240])
        let latency = Double(resampler.latencyFrames)
        let snr = Self.analyticSNR(output, frequency: 1_000, inputRate: 48_000, skip: 200) {
            Double($0) / 1.0005 - latency
        }
        #expect(snr >= 80, "SNR \(snr) dB")
        print("AdaptiveResampler 1 kHz at ratio 1.0005: SNR \(String(format: "%.1f", snr)) dB")
    }

    @Test(arguments: [20.0, 1_000, 5_000, 10_000, 15_000, 18_000])
    func passBandIsFlatTo18kHz(frequency: Double) {
        var resampler = AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000)
        let input = Self.sine(frequencies: [frequency], rate: 44_100, frames: 22_050)
        let output = Self.run(&resampler, input, blocks: [1_000])
        let fit = SignalAnalysis.sineFit(output[200..<(output.count - 200)], frequency: frequency, sampleRate: 48_000)
        let gainDB = 20 * log10(fit.amplitude / 0.5)
        #expect(abs(gainDB) <= 0.5, "\(frequency) Hz: \(gainDB) dB")
        #expect(fit.snrDB >= 70, "\(frequency) Hz: SNR \(fit.snrDB) dB")
    }

    /// Downsampling: tones from 1.05 × the output's Nyquist frequency up must not fold back into the band (between
    /// Nyquist and 1.05 × it the transition band still lets some through; that folds to above 0.95 × Nyquist).
    @Test(arguments: [
        (96_000, 48_000, 25_200.0), (96_000, 48_000, 30_000), (96_000, 48_000, 40_000), (96_000, 48_000, 47_000),
        (48_000, 44_100, 23_200), (48_000, 44_100, 23_900), (44_100, 32_000, 16_500), (192_000, 48_000, 60_000),
    ])
    func contentAboveOutputNyquistIsRemoved(inputRate: Int, outputRate: Int, frequency: Double) {
        var resampler = AdaptiveResampler(channels: 1, inputRate: inputRate, outputRate: outputRate)
        let input = Self.sine(frequencies: [frequency], rate: Double(inputRate), frames: inputRate / 2)
        let output = Self.run(&resampler, input, blocks: [512])
        let inputRMS = SignalAnalysis.rms(input)
        let outputRMS = SignalAnalysis.rms(output[500..<(output.count - 500)])
        let attenuationDB = 20 * log10(inputRMS / max(outputRMS, 1e-12))
        #expect(attenuationDB >= 60, "\(inputRate) → \(outputRate) Hz, \(frequency) Hz: \(attenuationDB) dB")
    }

    // MARK: - Quality against libspeexdsp quality 5

    /// One measure of the "Resampler quality" table in Benchmarks/BENCHMARKS.md, with libspeexdsp quality 5's value
    /// there as the limit `.high` must meet. `ratioFactor` is the drift (1.001: +1000 ppm).
    struct SpeexQuality5Limit: Sendable, CustomTestStringConvertible {
        var inputRate: Int
        var outputRate: Int
        var ratioFactor: Double
        var tone: Double
        /// THD+N of the tone (dB, everything but the tone, images included) must be at or below this.
        var thdPlusNdB: Double
        /// The tone's gain (dB) must be at or above this.
        var minimumGainDB: Double
        var testDescription: String { "\(inputRate) → \(outputRate) × \(ratioFactor), \(tone) Hz" }
    }

    /// libspeexdsp 1.2.1 quality 5, measured by `earshot-resampler-quality`: THD+N of 997 Hz and 15 kHz; the
    /// images of a 20 kHz tone (its THD+N, which the image dominates, against speex's worst image of any tone to
    /// 20 kHz); at 48 → 48 kHz the stricter of the +1000 and −1000 ppm rows and a gain within the table's 0.0005 dB.
    /// The gain at 20 kHz is speex's (the table's ripple is its roll-off there); 997 Hz and 15 kHz lie in the flat
    /// part of the pass band, within 0.1 dB.
    static let speexQuality5Limits: [SpeexQuality5Limit] = [
        .init(
            inputRate: 44_100, outputRate: 48_000, ratioFactor: 1, tone: 997,
            thdPlusNdB: -112.4, minimumGainDB: -0.1),
        .init(
            inputRate: 44_100, outputRate: 48_000, ratioFactor: 1, tone: 15_000,
            thdPlusNdB: -111.4, minimumGainDB: -0.1),
        .init(
            inputRate: 44_100, outputRate: 48_000, ratioFactor: 1, tone: 20_000,
            thdPlusNdB: -104.6, minimumGainDB: -0.848),
        .init(
            inputRate: 48_000, outputRate: 48_000, ratioFactor: 1.001, tone: 997,
            thdPlusNdB: -117.3, minimumGainDB: -0.0005),
        .init(
            inputRate: 48_000, outputRate: 48_000, ratioFactor: 0.999, tone: 15_000,
            thdPlusNdB: -114.9, minimumGainDB: -0.0005),
        .init(
            inputRate: 48_000, outputRate: 48_000, ratioFactor: 1.001, tone: 20_000,
            thdPlusNdB: -107.6, minimumGainDB: -0.0005),
        .init(
            inputRate: 48_000, outputRate: 44_100, ratioFactor: 1, tone: 997,
            thdPlusNdB: -114.7, minimumGainDB: -0.1),
        .init(
            inputRate: 48_000, outputRate: 44_100, ratioFactor: 1, tone: 15_000,
            thdPlusNdB: -114.2, minimumGainDB: -0.1),
        .init(
            inputRate: 48_000, outputRate: 44_100, ratioFactor: 1, tone: 20_000,
            thdPlusNdB: -103.5, minimumGainDB: -2.8),
    ]

    /// A ratio near `ratio` whose fixed-point step (2⁻³² input frames) is whole, so the output frequency of a tone
    /// is known exactly: the fit needs it to 1e-11, where rounding the step would leave up to 1e-10 (−100 dB of
    /// phase drift over the window).
    static func exactStepRatio(_ ratio: Double) -> Double {
        let unit = Double(UInt64(1) << 32)
        return unit / (unit / ratio).rounded()
    }

    /// THD+N (dB) and gain (dB) of `tone` through a resampler built for `limit`'s rates with `quality`, then set to
    /// the drifted ratio: 0.25 s in 240-frame blocks, the first 0.05 s of output (ramp-in) left out.
    static func toneThroughResampler(
        _ limit: SpeexQuality5Limit, quality: AdaptiveResampler.Quality
    ) -> (thdPlusNdB: Double, gainDB: Double) {
        var resampler = AdaptiveResampler(
            channels: 1, inputRate: limit.inputRate, outputRate: limit.outputRate, quality: quality)
        let ratio = Self.exactStepRatio(Double(limit.outputRate) / Double(limit.inputRate) * limit.ratioFactor)
        resampler.setRatio(ratio)
        let input = Self.sine(frequencies: [limit.tone], rate: Double(limit.inputRate), frames: limit.inputRate / 4)
        let output = Self.run(&resampler, input, blocks: [240])
        let outputRate = Double(limit.inputRate) * ratio
        let fit = SignalAnalysis.sineFit(
            output[Int(outputRate / 20)..<(output.count - 100)], frequency: limit.tone, sampleRate: outputRate)
        return (-fit.snrDB, 20 * log10(fit.amplitude / 0.5))
    }

    @Test(arguments: speexQuality5Limits)
    func highQualityMeetsSpeexQuality5(limit: SpeexQuality5Limit) {
        let measured = Self.toneThroughResampler(limit, quality: .high)
        #expect(measured.thdPlusNdB <= limit.thdPlusNdB, "THD+N \(measured.thdPlusNdB) dB")
        #expect(measured.gainDB >= limit.minimumGainDB, "gain \(measured.gainDB) dB")
    }

    /// Control: the measure sees a filter that misses the limits (the design `.high` had before: β 8.6, cutoff
    /// 0.91, its images of a 20 kHz tone at 44.1 → 48 kHz about 93 dB down and −5.4 dB at 20 kHz).
    @Test func speexQuality5LimitsRejectAWeakerFilter() {
        let weaker = AdaptiveResampler.Quality(taps: 64, kaiserBeta: 8.6, cutoff: 0.91)
        let measured = Self.toneThroughResampler(Self.speexQuality5Limits[2], quality: weaker)
        #expect(measured.thdPlusNdB > -100 && measured.gainDB < -5, "\(measured)")
    }

    /// Downsampling: a tone at 1.05 × the output's Nyquist frequency, where speex quality 5's aliases begin to be
    /// measured (−103.5 dB at 48 → 44.1 kHz), comes out at least that far down.
    @Test func aliasAt48To44100IsBelowSpeexQuality5() {
        var resampler = AdaptiveResampler(channels: 1, inputRate: 48_000, outputRate: 44_100)
        let input = Self.sine(frequencies: [23_152.5], rate: 48_000, frames: 12_000)
        let output = Self.run(&resampler, input, blocks: [240])
        let levelDB = 20 * log10(SignalAnalysis.rms(output[2_000..<(output.count - 100)]) / SignalAnalysis.rms(input))
        #expect(levelDB <= -103.5, "alias \(levelDB) dB")
    }

    @Test func fastQualityTradesSomeSNR() {
        #expect(AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000, quality: .fast).taps == 32)
        let snr = Self.snr44100To48000(quality: .fast)
        #expect(snr >= 60, "SNR \(snr) dB")
        print("AdaptiveResampler .fast 1 kHz 44.1 → 48 kHz: SNR \(String(format: "%.1f", snr)) dB")
    }

    // MARK: - Streaming

    @Test(arguments: [48_000.0 / 44_100, 44_100.0 / 48_000, 1.0005, 0.9995, 0.25, 6, 8, 2, 0.5])
    func framesOutMatchFramesInTimesRatio(ratio: Double) {
        var resampler = AdaptiveResampler(channels: 2, inputRate: 48_000, outputRate: 48_000)
        resampler.setRatio(ratio)
        var seed: UInt64 = 0x5EED
        var blocks: [Int] = [1, 1, 1]
        for _ in 0..<200 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            blocks.append(Int(seed >> 33) % 700 + 1)
        }
        let frames = 100_003
        let input = [Float](repeating: 0.25, count: frames * 2)
        let output = Self.run(&resampler, input, blocks: blocks, outputRoom: [4_096, 7, 1, 300])
        let produced = output.count / 2
        #expect(abs(Double(produced) - Double(frames) * ratio) <= 1, "\(produced) frames for \(frames) × \(ratio)")
        // A constant passes at unit gain once the ramp-in is over (each kernel phase sums to 1).
        let rampInFrames = Int(Double(resampler.taps) * max(1, ratio))
        let settled = output[(2 * rampInFrames)...]
        #expect(settled.allSatisfy { abs($0 - 0.25) < 1e-5 })
    }

    @Test(arguments: [1, 7, 240, 1_001])
    func blockwiseOutputEqualsOneShotOutput(blockFrames: Int) {
        let input = Self.sine(frequencies: [997, 3_001], rate: 44_100, frames: 9_000)
        var oneShot = AdaptiveResampler(channels: 2, inputRate: 44_100, outputRate: 48_000)
        let whole = Self.run(&oneShot, input, blocks: [9_000], outputRoom: [20_000])
        var blockwise = AdaptiveResampler(channels: 2, inputRate: 44_100, outputRate: 48_000)
        let pieces = Self.run(&blockwise, input, blocks: [blockFrames], outputRoom: [blockFrames, 3, 1_000])
        #expect(pieces == whole)
    }

    /// Mono, stereo and three or more channels take three different code paths; each channel of any of them must
    /// come out bit for bit as that channel alone through a mono resampler (same sums in the same order).
    @Test(arguments: [2, 3, 5])
    func everyChannelCountMatchesMono(channels: Int) {
        let frequencies = (0..<channels).map { 300 + 1_700 * Double($0) }
        let input = Self.sine(frequencies: frequencies, rate: 44_100, frames: 4_410)
        var resampler = AdaptiveResampler(channels: channels, inputRate: 44_100, outputRate: 48_000)
        let output = Self.run(&resampler, input, blocks: [441]) { resampler, _ in resampler.setRatio(1.0885) }
        for channel in 0..<channels {
            var mono = AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000)
            let alone = Self.run(&mono, SignalAnalysis.channel(channel, of: input, channels: channels), blocks: [441]) {
                resampler, _ in resampler.setRatio(1.0885)
            }
            let together = SignalAnalysis.channel(channel, of: output, channels: channels)
            let firstDifference = together.indices.first { $0 >= alone.count || together[$0] != alone[$0] } ?? -1
            #expect(
                together.count == alone.count && firstDifference == -1,
                "channel \(channel): \(together.count) vs \(alone.count) frames, first difference at \(firstDifference)")
        }
    }

    @Test func stereoChannelsStaySeparate() {
        var resampler = AdaptiveResampler(channels: 2, inputRate: 44_100, outputRate: 48_000)
        let input = Self.sine(frequencies: [1_000, 1_500], rate: 44_100, frames: 22_050)
        let output = Self.run(&resampler, input, blocks: [256])
        let latency = Double(resampler.latencyFrames)
        for (channel, frequency) in [(0, 1_000.0), (1, 1_500.0)] {
            let snr = Self.analyticSNR(
                output, channels: 2, channel: channel, frequency: frequency, inputRate: 44_100, skip: 200
            ) { Double($0) * 44_100 / 48_000 - latency }
            #expect(snr >= 80, "channel \(channel): SNR \(snr) dB")
        }
    }

    /// The receiver's drift correction: the ratio wanders around 1 by up to ±0.1 %, changed every 5 ms block. The
    /// output must follow the bent time axis exactly, without a step anywhere.
    @Test func ratioChangedEveryBlockHasNoDiscontinuity() {
        var resampler = AdaptiveResampler(channels: 1, inputRate: 48_000, outputRate: 48_000)
        let frequency = 100.0
        let input = Self.sine(frequencies: [frequency], rate: 48_000, frames: 96_000)
        var ratios: [(fromOutputFrame: Int, ratio: Double)] = []
        var block = 0
        let output = Self.run(&resampler, input, blocks: [240]) { resampler, producedSoFar in
            let ratio = 1 + 0.001 * sin(Double(block) / 40)
            block += 1
            resampler.setRatio(ratio)
            ratios.append((producedSoFar, ratio))
        }
        // The input time of each output frame: the sum of the steps taken before it.
        var times: [Double] = []
        var time = -Double(resampler.latencyFrames)
        var segment = 0
        for frame in 0..<output.count {
            while segment + 1 < ratios.count && ratios[segment + 1].fromOutputFrame <= frame { segment += 1 }
            times.append(time)
            time += 1 / ratios[segment].ratio
        }
        let snr = Self.analyticSNR(output, frequency: frequency, inputRate: 48_000, skip: 200) { times[$0] }
        #expect(snr >= 80, "SNR \(snr) dB")
        let largestStep = zip(output.dropFirst(200), output.dropFirst(201)).map { abs($1 - $0) }.max()!
        // The steepest a 100 Hz sine of amplitude 0.5 gets, sped up by at most 0.1 %.
        let bound = Float(2 * Double.pi * frequency / 48_000 * 0.5 * 1.001)
        #expect(largestStep <= bound * 1.001, "largest step \(largestStep), bound \(bound)")
    }

    @Test func resetForgetsHistory() {
        let input = Self.sine(frequencies: [440], rate: 32_000, frames: 5_000)
        var fresh = AdaptiveResampler(channels: 1, inputRate: 32_000, outputRate: 48_000)
        let expected = Self.run(&fresh, input, blocks: [333])
        var reused = AdaptiveResampler(channels: 1, inputRate: 32_000, outputRate: 48_000)
        _ = Self.run(&reused, Self.sine(frequencies: [3_000], rate: 32_000, frames: 1_234), blocks: [100])
        reused.reset()
        #expect(Self.run(&reused, input, blocks: [333]) == expected)
    }

    /// Whole-file conversion: no ramp-in, the tail flushed, so the output lines up with the input frame for frame.
    @Test(arguments: [(44_100, 48_000), (32_000, 48_000), (96_000, 48_000), (8_000, 48_000), (48_000, 44_100)])
    func convertIsAlignedWithTheInputAndAsLong(inputRate: Int, outputRate: Int) {
        let frames = inputRate / 2 + 17
        let input = Self.sine(frequencies: [997, 1_201], rate: Double(inputRate), frames: frames)
        let output = AdaptiveResampler.convert(input, channels: 2, inputRate: inputRate, outputRate: outputRate)
        let expected = Double(frames) * Double(outputRate) / Double(inputRate)
        #expect(abs(Double(output.count / 2) - expected) <= 1, "\(output.count / 2) frames, expected \(expected)")
        for (channel, frequency) in [(0, 997.0), (1, 1_201.0)] {
            let snr = Self.analyticSNR(
                output, channels: 2, channel: channel, frequency: frequency, inputRate: Double(inputRate),
                skip: 400
            ) { Double($0) * Double(inputRate) / Double(outputRate) }
            #expect(snr >= 80, "\(inputRate) → \(outputRate), channel \(channel): SNR \(snr) dB")
        }
    }

    @Test func drainInSmallPiecesEqualsConvert() {
        let input = Self.sine(frequencies: [997], rate: 44_100, frames: 4_410)
        let expected = AdaptiveResampler.convert(input, channels: 1, inputRate: 44_100, outputRate: 48_000)
        var resampler = AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000, dropsRampIn: true)
        var output = Self.run(&resampler, input, blocks: [441], outputRoom: [100])
        var piece = [Float](repeating: 0, count: 5)
        while true {
            let produced = piece.withUnsafeMutableBufferPointer {
                resampler.drain(output: $0.baseAddress!, outputCapacity: 5)
            }
            if produced == 0 { break }
            output += piece[0..<produced]
        }
        #expect(output == expected)
    }

    @Test func latencyIsHalfTheFilter() {
        let resampler = AdaptiveResampler(channels: 1, inputRate: 44_100, outputRate: 48_000)
        #expect(resampler.taps == 64 && resampler.latencyFrames == 32)
        let downsampler = AdaptiveResampler(channels: 1, inputRate: 96_000, outputRate: 48_000)
        #expect(downsampler.taps == 128 && downsampler.latencyFrames == 64, "the filter widens when downsampling")
    }
}

/// `process` allocates nothing (the compile-time `@_noLocks` proof, checked again at run time with the per-thread
/// malloc counter). Serialized: the counter's hook is process-global.
@Suite(.serialized) struct AdaptiveResamplerAllocationTests {
    @Test func counterSeesAllocationsOfThisThread() {
        var array: [Int] = []
        let allocations = ThreadAllocationCounter.measure {
            array = [Int](repeating: 1, count: Int.random(in: 99...200))
        }
        #expect(array.count >= 99 && allocations >= 1)
    }

    @Test(arguments: [1, 2])
    func processAllocatesNothing(channels: Int) {
        var resampler = AdaptiveResampler(channels: channels, inputRate: 44_100, outputRate: 48_000)
        let input = UnsafeMutablePointer<Float>.allocate(capacity: 441 * channels)
        input.initialize(repeating: 0.125, count: 441 * channels)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 600 * channels)
        defer {
            input.deallocate()
            output.deallocate()
        }
        var produced = 0
        _ = resampler.process(input: input, inputFrames: 441, output: output, outputCapacity: 600)  // warm-up
        let allocations = ThreadAllocationCounter.measure {
            for block in 0..<500 {
                resampler.setRatio(48_000.0 / 44_100 * (1 + 0.0005 * Double(block % 3 - 1)))
                produced += resampler.process(input: input, inputFrames: 441, output: output, outputCapacity: 600)
                    .produced
            }
            resampler.reset()
        }
        #expect(produced > 500 * 470)
        #expect(allocations == 0, "\(allocations) allocations in 500 blocks")
    }
}
