import EarshotDSP

/// `AdaptiveResampler` as a candidate: built for the nominal rates, then `setRatio` to the drifted ratio.
final class EarshotCandidate: ResamplerCandidate {
    private var resampler: AdaptiveResampler
    let latencyMilliseconds: Double

    init(_ conversion: Conversion, channels: Int, quality: AdaptiveResampler.Quality) {
        resampler = AdaptiveResampler(
            channels: channels, inputRate: conversion.inputRate, outputRate: conversion.outputRate, quality: quality)
        resampler.setRatio(conversion.ratio)
        latencyMilliseconds = Double(resampler.latencyFrames) / Double(conversion.inputRate) * 1_000
    }

    func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> Int {
        let result = resampler.process(input: input, inputFrames: frames, output: output, outputCapacity: outputCapacity)
        precondition(result.consumed == frames, "AdaptiveResampler: output capacity too small")
        return result.produced
    }

    func nudge(ratio: Double) -> Bool {
        resampler.setRatio(ratio)
        return true
    }
}
