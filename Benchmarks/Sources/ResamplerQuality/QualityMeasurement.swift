#if canImport(Glibc)
import Glibc
#endif

/// The quality measures of one candidate on one conversion, each from tones through the resampler in 240-frame
/// blocks (mono), the first 0.3 s of output (ramp-in, any start-up transient) left out.
///
/// - THD+N: everything but the tone, relative to the tone: residual power over fitted tone power after a
///   least-squares fit of sine + constant (frequency refined by golden-section search) over 1 s of output.
/// - Pass band: the gain of tones at 20, 50 and every 100 Hz to 20 kHz (joint fit, 0.2 s each); ripple = highest
///   minus lowest gain.
/// - Images and aliases: for the same tones, the level of the input-rate images (`fs_in ± f`) where they fold into
///   the output band, and when downsampling the alias of tones between 1.05× the output Nyquist frequency and 0.98×
///   the input's; the worst (highest) level relative to the input tone.
public enum QualityMeasurement {
    public static let toneAmplitude: Float = 0.5
    static let blockFrames = 240
    static let settleSeconds = 0.3

    public struct Response: Sendable {
        /// Highest minus lowest gain over 20 Hz–20 kHz, dB.
        public var rippleDB: Double
        /// Gain at 20 kHz, dB.
        public var gainAt20kHzDB: Double
        /// The worst image or alias, dB relative to the input tone, and the tone that made it.
        public var worstSpuriousDB: Double
        public var worstSpuriousToneHz: Double
    }

    /// THD+N in dB (negative: how far below the tone everything else is).
    public static func thdPlusN(_ kind: CandidateKind, _ conversion: Conversion, frequency: Double) -> Double {
        let output = render(kind, conversion, tone: frequency, seconds: settleSeconds + 1.3)
        let window = analysisWindow(output, conversion, seconds: 1)
        let nominal = frequency / kind.outputRate(conversion)
        // The residual as a function of the assumed frequency is smooth with one minimum near the nominal value;
        // ±1 ppm covers every candidate's rounding of its ratio.
        var low = nominal * (1 - 1e-6)
        var high = nominal * (1 + 1e-6)
        let golden = (5.0.squareRoot() - 1) / 2
        func residual(_ f: Double) -> MultiSineFit { MultiSineFit(window, frequencies: [f]) }
        var a = high - golden * (high - low)
        var b = low + golden * (high - low)
        var fitA = residual(a)
        var fitB = residual(b)
        for _ in 0..<40 {
            if fitA.residualPower < fitB.residualPower {
                high = b
                b = a
                fitB = fitA
                a = high - golden * (high - low)
                fitA = residual(a)
            } else {
                low = a
                a = b
                fitA = fitB
                b = low + golden * (high - low)
                fitB = residual(b)
            }
        }
        let best = fitA.residualPower < fitB.residualPower ? fitA : fitB
        let tonePower = best.amplitudes[0] * best.amplitudes[0] / 2
        return 10 * log10(best.residualPower / tonePower)
    }

    /// Pass band and images/aliases from a sweep of tones.
    public static func response(_ kind: CandidateKind, _ conversion: Conversion) -> Response {
        let outputRate = kind.outputRate(conversion)
        let inputRate = Double(conversion.inputRate)
        var tones: [Double] = [20, 50] + stride(from: 100.0, through: 20_000, by: 100).map { $0 }
        if conversion.isDownsampling {
            tones += stride(from: (outputRate / 2 * 1.05 / 100).rounded(.up) * 100, through: inputRate / 2 * 0.98,
                            by: 100).map { $0 }
        }
        var gains: [Double] = []
        var gainAt20kHz = 0.0
        var worst = -Double.infinity
        var worstTone = 0.0
        for tone in tones {
            let output = render(kind, conversion, tone: tone, seconds: settleSeconds + 0.5)
            let window = analysisWindow(output, conversion, seconds: 0.2)
            let wanted: Double? = tone < outputRate / 2 ? tone : nil
            var spurious: [Double] = [fold(inputRate - tone, outputRate), fold(inputRate + tone, outputRate)]
            if wanted == nil { spurious.append(fold(tone, outputRate)) }
            // Components that cannot be told apart from the tone, from DC or from each other over 0.2 s are left out.
            var components = wanted.map { [$0] } ?? []
            for frequency in spurious
            where frequency > 20 && frequency < outputRate / 2 - 20
                && components.allSatisfy({ abs($0 - frequency) > 20 })
            {
                components.append(frequency)
            }
            let fit = MultiSineFit(window, frequencies: components.map { $0 / outputRate })
            let reference = Double(toneAmplitude)
            var first = 0
            if wanted != nil {
                let gain = 20 * log10(fit.amplitudes[0] / reference)
                gains.append(gain)
                if tone == 20_000 { gainAt20kHz = gain }
                first = 1
            }
            for index in first..<components.count {
                let level = 20 * log10(max(fit.amplitudes[index], 1e-12) / reference)
                if level > worst {
                    worst = level
                    worstTone = tone
                }
            }
        }
        return Response(
            rippleDB: (gains.max() ?? 0) - (gains.min() ?? 0), gainAt20kHzDB: gainAt20kHz, worstSpuriousDB: worst,
            worstSpuriousToneHz: worstTone)
    }

    /// The delay from input to output as the producer sees it, in ms: where the output stream puts the input (the
    /// phase of a 5 Hz tone, output frames counted from the first call) plus the most output held back at a block's
    /// end (a resampler that hides its filter delay by starting its output late holds that much back).
    public static func latencyMilliseconds(_ kind: CandidateKind, _ conversion: Conversion) -> Double {
        let tone = 5.0
        let (output, holdBack) = renderMeasuringHoldBack(kind, conversion, tone: tone, seconds: settleSeconds + 1.3)
        let window = analysisWindow(output, conversion, seconds: 1)
        let outputOmega = 2 * Double.pi * tone / kind.outputRate(conversion)
        let inputOmega = 2 * Double.pi * tone / Double(conversion.inputRate)
        let fit = MultiSineFit(window, frequencies: [tone / kind.outputRate(conversion)])
        // Output frame k is the input at frame k / ratio − d: its phase at the window's start is ω_out·start − ω_in·d.
        var lag = outputOmega * Double(window.startIndex) - fit.phases[0]
        lag = lag.truncatingRemainder(dividingBy: 2 * Double.pi)
        if lag < -Double.pi / 2 { lag += 2 * Double.pi }
        if lag > 3 * Double.pi / 2 { lag -= 2 * Double.pi }
        return (lag / inputOmega / Double(conversion.inputRate) + holdBack) * 1_000
    }

    /// `frequency` (Hz, at `rate` samples per second) where it lands in 0 ... rate/2 after sampling.
    static func fold(_ frequency: Double, _ rate: Double) -> Double {
        let wrapped = frequency.truncatingRemainder(dividingBy: rate)
        let positive = wrapped < 0 ? wrapped + rate : wrapped
        return positive > rate / 2 ? rate - positive : positive
    }

    /// `seconds` of a tone at the input rate through a fresh candidate, in 240-frame blocks; the output.
    static func render(_ kind: CandidateKind, _ conversion: Conversion, tone: Double, seconds: Double) -> [Float] {
        renderMeasuringHoldBack(kind, conversion, tone: tone, seconds: seconds).output
    }

    /// `render`, and the most output the candidate held back at the end of any block after the settling time: the
    /// input's duration so far minus the output's, in seconds.
    static func renderMeasuringHoldBack(
        _ kind: CandidateKind, _ conversion: Conversion, tone: Double, seconds: Double
    ) -> (output: [Float], holdBack: Double) {
        let candidate = kind.make(conversion, channels: 1)
        let frames = Int(seconds * Double(conversion.inputRate))
        let omega = 2 * Double.pi * tone / Double(conversion.inputRate)
        let input = (0..<frames).map { Float(Double(toneAmplitude) * sin(omega * Double($0))) }
        let capacity = Int(Double(blockFrames) * conversion.ratio * 4) + 4_096
        var output: [Float] = []
        output.reserveCapacity(Int(Double(frames) * conversion.ratio) + capacity)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { block.deallocate() }
        var holdBack = -Double.infinity
        input.withUnsafeBufferPointer { samples in
            var start = 0
            while start < frames {
                let count = min(blockFrames, frames - start)
                let produced = candidate.process(
                    samples.baseAddress! + start, frames: count, into: block, outputCapacity: capacity)
                output.append(contentsOf: UnsafeBufferPointer(start: block, count: produced))
                start += count
                let inputSeconds = Double(start) / Double(conversion.inputRate)
                if inputSeconds >= settleSeconds {
                    holdBack = max(holdBack, inputSeconds - Double(output.count) / conversion.effectiveOutputRate)
                }
            }
        }
        return (output, holdBack)
    }

    /// `seconds` of output after the settling time.
    static func analysisWindow(_ output: [Float], _ conversion: Conversion, seconds: Double) -> ArraySlice<Float> {
        let start = Int(settleSeconds * conversion.effectiveOutputRate)
        let end = start + Int(seconds * conversion.effectiveOutputRate)
        precondition(end <= output.count, "candidate produced \(output.count) frames, the window needs \(end)")
        return output[start..<end]
    }
}
