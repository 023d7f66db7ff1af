import EarshotResample

/// `SpeexResampler` (EarshotResample, libspeexdsp quality 5) as a candidate: what the producer would run.
final class EarshotSpeexCandidate: ResamplerCandidate {
    private var resampler: SpeexResampler
    let latencyMilliseconds: Double

    init(_ conversion: Conversion, channels: Int) {
        do {
            resampler = try SpeexResampler(
                channels: channels, inputRate: conversion.inputRate, outputRate: conversion.outputRate)
        } catch {
            fatalError("SpeexResampler: \(error)")
        }
        if conversion.driftPPM != 0 { resampler.setRatio(conversion.ratio) }
        latencyMilliseconds = Double(resampler.latencyFrames) / Double(conversion.inputRate) * 1_000
    }

    func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> Int {
        let result = resampler.process(input: input, inputFrames: frames, output: output, outputCapacity: outputCapacity)
        precondition(result.consumed == frames, "SpeexResampler: output capacity too small")
        return result.produced
    }

    var ratioInEffect: Double? { resampler.ratio }

    func nudge(ratio: Double) -> Bool {
        resampler.setRatio(ratio)
        return true
    }
}
