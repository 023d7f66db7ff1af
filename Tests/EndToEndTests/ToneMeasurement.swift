import Foundation
import EarshotDSP

/// How well a decoded recording reproduces the test tone, measured on its steady part.
struct ToneMeasurement: CustomStringConvertible {
    let frequency: Double
    let levelDBFS: Double
    let snrDB: Double
    let frames: Int

    /// Left channel of `interleaved`, minus `skipSeconds` at both ends (start-up, jitter buffers, fade-out).
    init(_ interleaved: [Float], channels: Int, tone: Double = 997, skipSeconds: Double = 0.5) {
        let left = SignalAnalysis.channel(0, of: interleaved, channels: channels)
        frames = left.count
        let skip = Int(skipSeconds * 48_000)
        let steady = left.count > 2 * skip + 4_800 ? Array(left[skip..<(left.count - skip)]) : left
        let fit = SignalAnalysis.sineFit(steady, frequency: tone, sampleRate: 48_000)
        snrDB = fit.snrDB
        levelDBFS = 20 * log10(max(fit.amplitude, 1e-10))
        var crossings = 0
        for index in 1..<max(1, steady.count) where (steady[index - 1] < 0) != (steady[index] < 0) { crossings += 1 }
        frequency = Double(crossings) / 2 / (Double(max(1, steady.count)) / 48_000)
    }

    var description: String {
        String(format: "%.1f Hz, %.2f dBFS, SNR %.1f dB over %d frames", frequency, levelDBFS, snrDB, frames)
    }
}
