import CSoxrBaseline

/// libsoxr at its high quality (`SOXR_HQ`: 20-bit precision, pass band to 0.913 of the lower Nyquist frequency,
/// stop band from it). Fixed rate: created for the drifted rates, it cannot change its ratio. Variable rate
/// (`SOXR_VR`, its example 5): created for a maximum input/output ratio 1 % above the conversion's, the ratio set by
/// `soxr_set_io_ratio`, and `nudge` slews to a new ratio over the next block.
final class SoxrCandidate: ResamplerCandidate {
    private let state: soxr_t
    private let channels: Int
    private let outputRate: Double
    private let variableRate: Bool
    /// Frames of the last block, the slew length of a ratio change.
    private var lastBlockFrames = 240

    init(_ conversion: Conversion, channels: Int, variableRate: Bool) {
        var error: soxr_error_t?
        var quality = soxr_quality_spec(UInt(SOXR_HQ), variableRate ? UInt(SOXR_VR) : 0)
        var runtime = soxr_runtime_spec(1)
        let state: soxr_t?
        if variableRate {
            state = soxr_create(1.01 / conversion.ratio, 1, UInt32(channels), &error, nil, &quality, &runtime)
        } else {
            state = soxr_create(
                Double(conversion.inputRate), conversion.effectiveOutputRate, UInt32(channels), &error, nil, &quality,
                &runtime)
        }
        guard let state, error == nil else { fatalError("soxr_create failed: \(String(cString: error!))") }
        self.state = state
        self.channels = channels
        self.outputRate = conversion.effectiveOutputRate
        self.variableRate = variableRate
        if variableRate, let failed = soxr_set_io_ratio(state, 1 / conversion.ratio, 0) {
            fatalError("soxr_set_io_ratio failed: \(String(cString: failed))")
        }
    }

    deinit { soxr_delete(state) }

    func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> Int {
        var taken = 0
        var written = 0
        while taken < frames {
            var inputDone = 0
            var outputDone = 0
            if let failed = soxr_process(
                state, input + taken * channels, frames - taken, &inputDone, output + written * channels,
                outputCapacity - written, &outputDone)
            {
                fatalError("soxr_process failed: \(String(cString: failed))")
            }
            taken += inputDone
            written += outputDone
            precondition(inputDone + outputDone > 0, "soxr: output capacity too small")
        }
        lastBlockFrames = frames
        return written
    }

    /// `soxr_delay`: output frames still inside the resampler (its latency once a stream has filled it).
    var latencyMilliseconds: Double { soxr_delay(state) / outputRate * 1_000 }

    func nudge(ratio: Double) -> Bool {
        guard variableRate else { return false }
        return soxr_set_io_ratio(state, 1 / ratio, lastBlockFrames) == nil
    }
}
