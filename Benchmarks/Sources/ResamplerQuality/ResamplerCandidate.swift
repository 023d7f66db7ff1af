/// One resampler under test, driven as the producer thread would drive it: interleaved Float blocks in, output
/// written to the caller's buffer, the ratio nudged between blocks.
///
/// Contract for implementations: `process` takes every input frame offered (buffering internally what it cannot
/// output yet) and writes at most `outputCapacity` frames; after `init`, `process` and `nudge` are what the cost and
/// allocation measurements time and count.
public protocol ResamplerCandidate: AnyObject {
    /// Converts `frames` interleaved frames; returns the frames written to `output`.
    func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> Int
    /// Sets the ratio (output frames per input frame) to `ratio` for the following blocks, a small change from the
    /// conversion's ratio (drift correction). Returns false where the candidate cannot change its ratio.
    func nudge(ratio: Double) -> Bool
    /// The delay the candidate adds, in milliseconds of input.
    var latencyMilliseconds: Double { get }
    /// The ratio the candidate applies when it rounds the one asked for (nil: exactly the conversion's).
    var ratioInEffect: Double? { get }
}

extension ResamplerCandidate {
    public var ratioInEffect: Double? { nil }
}

/// The resamplers compared, each at a named quality setting.
public enum CandidateKind: String, Sendable, CaseIterable {
    case earshotHigh, earshotFast, speex5, speex10, soxrHQ, soxrHQVariable, earshotSpeex

    public var name: String {
        switch self {
        case .earshotHigh: "AdaptiveResampler .high"
        case .earshotFast: "AdaptiveResampler .fast"
        case .speex5: "speexdsp quality 5"
        case .speex10: "speexdsp quality 10"
        case .soxrHQ: "soxr HQ (fixed rate)"
        case .soxrHQVariable: "soxr HQ variable-rate"
        case .earshotSpeex: "SpeexResampler (EarshotResample)"
        }
    }

    /// The output rate the candidate's output is to be judged at: the input rate times the ratio in effect.
    public func outputRate(_ conversion: Conversion) -> Double {
        Double(conversion.inputRate) * (make(conversion, channels: 1).ratioInEffect ?? conversion.ratio)
    }

    public func make(_ conversion: Conversion, channels: Int) -> any ResamplerCandidate {
        switch self {
        case .earshotHigh: EarshotCandidate(conversion, channels: channels, quality: .high)
        case .earshotFast: EarshotCandidate(conversion, channels: channels, quality: .fast)
        case .speex5: SpeexCandidate(conversion, channels: channels, quality: 5)
        case .speex10: SpeexCandidate(conversion, channels: channels, quality: 10)
        case .soxrHQ: SoxrCandidate(conversion, channels: channels, variableRate: false)
        case .soxrHQVariable: SoxrCandidate(conversion, channels: channels, variableRate: true)
        case .earshotSpeex: EarshotSpeexCandidate(conversion, channels: channels)
        }
    }
}
