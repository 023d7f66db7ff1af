import CSpeexDSPBaseline

/// libspeexdsp's resampler as a candidate: `speex_resampler_init_frac` with the exact ratio as a fraction; `nudge`
/// is `speex_resampler_set_rate_frac` with the finest ratio it survives.
final class SpeexCandidate: ResamplerCandidate {
    private let state: OpaquePointer
    private let inputRate: Int
    private let outputRate: Int
    private var lastDenominator: UInt32 = 0
    let latencyMilliseconds: Double

    init(_ conversion: Conversion, channels: Int, quality: Int32) {
        var status: Int32 = 0
        let fraction = conversion.inputPerOutputFraction
        guard
            let state = speex_resampler_init_frac(
                UInt32(channels), fraction.numerator, fraction.denominator, UInt32(conversion.inputRate),
                UInt32(conversion.outputRate), quality, &status),
            status == Int32(RESAMPLER_ERR_SUCCESS)
        else { fatalError("speex_resampler_init_frac failed: \(status)") }
        self.state = state
        inputRate = conversion.inputRate
        outputRate = conversion.outputRate
        latencyMilliseconds = Double(speex_resampler_get_input_latency(state)) / Double(conversion.inputRate) * 1_000
    }

    deinit { speex_resampler_destroy(state) }

    func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> Int {
        var inputFrames = UInt32(frames)
        var outputFrames = UInt32(outputCapacity)
        let status = speex_resampler_process_interleaved_float(state, input, &inputFrames, output, &outputFrames)
        guard status == 0 && inputFrames == UInt32(frames) else {
            fatalError("speexdsp: status \(status), took \(inputFrames) of \(frames) frames, wrote \(outputFrames)")
        }
        return Int(outputFrames)
    }

    func nudge(ratio: Double) -> Bool {
        // In/out as input rate over the input rate times the ratio, as PulseAudio sets it (a step of 1/48 000, about
        // 21 ppm, at 48 kHz). Finer fractions break libspeexdsp 1.2.1: rescaling its phase to a new denominator
        // overflows 32 bits once the old times the new denominator passes 2³², `set_rate_frac` fails half way and
        // the next `process` reads outside its filter table (SIGSEGV here). libspeexdsp recomputes its filter table
        // on every call whose fraction differs from the stored, reduced one, so an unchanged fraction is skipped.
        let denominator = UInt32((Double(inputRate) * ratio).rounded())
        if denominator == lastDenominator { return true }
        lastDenominator = denominator
        return speex_resampler_set_rate_frac(
            state, UInt32(inputRate), denominator, UInt32(inputRate), UInt32(outputRate)) == Int32(RESAMPLER_ERR_SUCCESS)
    }
}
