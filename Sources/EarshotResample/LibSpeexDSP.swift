internal import CSpeexDSP

/// The libspeexdsp resampler calls made after set-up, behind the one boundary the `@_noLocks` checker cannot see
/// through.
///
/// Why this is sound: the float resampler filters from its own state and the caller's buffers (no malloc, no locks);
/// `set_rate_frac` reallocates only when the new ratio needs a longer filter than any before, and `SpeexResampler`
/// sizes the filter for its whole ratio range in `init`.
enum LibSpeexDSP {
    @_semantics("no_performance_analysis")
    static func processInterleaved(
        _ state: OpaquePointer, _ input: UnsafePointer<Float>, _ inputFrames: inout UInt32,
        _ output: UnsafeMutablePointer<Float>, _ outputFrames: inout UInt32
    ) -> Int32 {
        speex_resampler_process_interleaved_float(state, input, &inputFrames, output, &outputFrames)
    }

    @_semantics("no_performance_analysis")
    static func setRateFraction(
        _ state: OpaquePointer, _ numerator: UInt32, _ denominator: UInt32, _ inputRate: UInt32, _ outputRate: UInt32
    ) -> Int32 {
        speex_resampler_set_rate_frac(state, numerator, denominator, inputRate, outputRate)
    }

    @_semantics("no_performance_analysis")
    static func resetMemory(_ state: OpaquePointer) {
        _ = speex_resampler_reset_mem(state)
    }

    @_semantics("no_performance_analysis")
    static func inputLatency(_ state: OpaquePointer) -> Int32 {
        speex_resampler_get_input_latency(state)
    }

    /// libspeexdsp's text for a `RESAMPLER_ERR_*` code.
    static func message(_ status: Int32) -> String { String(cString: speex_resampler_strerror(status)) }
}
