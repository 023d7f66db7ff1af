import EarshotDSP
import Foundation

/// The latency probe played into the aligned rig's `ref`: stereo, 48 kHz.
///
/// - Left: a continuous 997 Hz sine at −20 dBFS. It keeps every stream of the rig running (an idle null sink's
///   monitor records nothing) and shows gaps, clicks and concealment at the output as windows where the sine no
///   longer fits.
/// - Right: Hann-windowed linear chirps (300 → 3000 Hz, 20 ms) after a lead-in, at seeded irregular gaps, so the
///   whole train correlates at one unambiguous lag, and each chirp, correlated on its own near that lag, gives one
///   glass-to-glass latency. A chirp survives a perceptual codec nearly intact (correlation ≈ 1), white noise does
///   not (waveform SNR ≈ 5 dB through Opus).
struct ChirpTrain {
    static let sampleRate = 48_000
    static let sineFrequency = 997.0
    static let sineAmplitude: Float = 0.1
    static let chirpFrames = 960

    /// Chirp onsets, frames from the start of `samples`.
    let onsets: [Int]
    /// Interleaved stereo.
    let samples: [Float]

    init(leadSeconds: Double, count: Int, gapMs: ClosedRange<Double> = 150...330, tailSeconds: Double = 0.6) {
        var state: UInt64 = 0x5EED
        func nextUnit() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var onsets: [Int] = []
        var position = Int(leadSeconds * Double(Self.sampleRate))
        for _ in 0..<count {
            onsets.append(position)
            let gap = gapMs.lowerBound + (gapMs.upperBound - gapMs.lowerBound) * nextUnit()
            position += Self.chirpFrames + Int(gap / 1_000 * Double(Self.sampleRate))
        }
        let frames = position + Int(tailSeconds * Double(Self.sampleRate))
        var samples = [Float](repeating: 0, count: frames * 2)
        let omega = 2 * Double.pi * Self.sineFrequency / Double(Self.sampleRate)
        for frame in 0..<frames { samples[frame * 2] = Self.sineAmplitude * Float(sin(omega * Double(frame))) }
        let chirp = Self.chirp()
        for onset in onsets {
            for index in 0..<Self.chirpFrames { samples[(onset + index) * 2 + 1] = chirp[index] }
        }
        self.onsets = onsets
        self.samples = samples
    }

    static func chirp() -> [Float] {
        let duration = Double(chirpFrames) / Double(sampleRate)
        return (0..<chirpFrames).map { index in
            let t = Double(index) / Double(sampleRate)
            let phase = 2 * Double.pi * (300 * t + (3000 - 300) / (2 * duration) * t * t)
            let window = 0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(chirpFrames - 1))
            return Float(0.5 * window * sin(phase))
        }
    }

    /// Raw interleaved float32 for `aplay -t raw -f FLOAT_LE -c 2 -r 48000`.
    func write(to url: URL) throws {
        try samples.withUnsafeBytes { try Data($0).write(to: url) }
    }
}

/// Glass-to-glass latency and glitches from one 4-channel recording of the aligned rig (`ref` left/right, `out`
/// left/right).
///
/// Latency: the first two chirps are correlated with the output (coarse lag, unambiguous thanks to the irregular gap),
/// then every chirp whose output region carries the sine (the system was flowing) is correlated on its own within
/// ±40 ms of the coarse lag: an adaptive receiver may grow its delay by a capture stall's worth (10–20 ms) mid-run,
/// and the chirps after that must still be found (gaps of 150 ms or more keep the match unambiguous). Glitches: 10 ms windows of the output sine, from the first to the last analysed chirp,
/// whose local sine fit is below 20 dB SNR (windows touching a chirp skipped: stereo coupling may leak it).
struct ChirpLatency: CustomStringConvertible {
    var latenciesMs: [Double] = []
    var correlations: [Double] = []
    var glitchWindows = 0
    var windowsAnalysed = 0
    var chirpsInReference = 0

    init(recording interleaved: [Float]) {
        let referenceChirps = SignalAnalysis.channel(1, of: interleaved, channels: 4)
        let outputSine = SignalAnalysis.channel(2, of: interleaved, channels: 4)
        let outputChirps = SignalAnalysis.channel(3, of: interleaved, channels: 4)
        let onsets = Self.onsets(in: referenceChirps)
        chirpsInReference = onsets.count
        guard let firstOnset = onsets.first else { return }
        // Coarse lag from the first two chirps (irregular gaps: one unambiguous peak), up to 0.3 s; a short FFT.
        let start = max(0, firstOnset - 480)
        let referenceEnd = min(referenceChirps.count, (onsets.count > 1 ? onsets[1] : firstOnset) + 2 * ChirpTrain.chirpFrames)
        let signalEnd = min(outputChirps.count, referenceEnd + 14_400)
        guard referenceEnd > start, signalEnd > start else { return }
        let coarse = SignalAnalysis.delayByCrossCorrelation(
            reference: Array(referenceChirps[start..<referenceEnd]), signal: Array(outputChirps[start..<signalEnd]),
            maxLag: 14_400
        ).lag
        let search = 1_920
        var spans: [Range<Int>] = []
        for onset in onsets {
            let from = onset - 96
            let to = onset + ChirpTrain.chirpFrames + 96
            let signalFrom = from + coarse - search
            let signalTo = to + coarse + search
            guard from >= 0, signalFrom >= 0, signalTo <= outputChirps.count else { continue }
            // Only where the system was already playing: the sine is present around the chirp at the output.
            guard SignalAnalysis.rms(outputSine[signalFrom..<signalTo]) > 0.03 else { continue }
            let result = SignalAnalysis.delayByCrossCorrelation(
                reference: Array(referenceChirps[from..<to]), signal: Array(outputChirps[signalFrom..<signalTo]),
                maxLag: 2 * search)
            let lag = coarse - search + result.lag
            latenciesMs.append(Double(lag) / 48)
            correlations.append(result.correlation)
            spans.append((onset + lag - 480)..<(onset + lag + ChirpTrain.chirpFrames + 480))
        }
        guard let first = spans.first, let last = spans.last else { return }
        var index = first.lowerBound
        while index + 480 <= last.upperBound && index + 480 <= outputSine.count {
            let window = index..<(index + 480)
            if !spans.contains(where: { $0.overlaps(window) }) {
                windowsAnalysed += 1
                let fit = SignalAnalysis.sineFit(outputSine[window], frequency: ChirpTrain.sineFrequency, sampleRate: 48_000)
                if fit.snrDB < 20 { glitchWindows += 1 }
            }
            index += 480
        }
    }

    /// Chirp starts: the first sample above 0.01 after at least 50 ms below it.
    static func onsets(in signal: [Float]) -> [Int] {
        var onsets: [Int] = []
        var quiet = Int.max / 2
        for (index, sample) in signal.enumerated() {
            if abs(sample) >= 0.01 {
                if quiet >= 2_400 { onsets.append(index) }
                quiet = 0
            } else {
                quiet += 1
            }
        }
        return onsets
    }

    var medianMs: Double { latenciesMs.isEmpty ? .nan : latenciesMs.sorted()[latenciesMs.count / 2] }
    var spreadMs: Double { (latenciesMs.max() ?? .nan) - (latenciesMs.min() ?? .nan) }
    var minimumCorrelation: Double { correlations.min() ?? 0 }

    var description: String {
        String(
            format: "%d/%d chirps, latency median %.2f ms (min %.2f, max %.2f), min correlation %.3f, glitch windows %d/%d",
            latenciesMs.count, chirpsInReference, medianMs, latenciesMs.min() ?? .nan, latenciesMs.max() ?? .nan,
            minimumCorrelation, glitchWindows, windowsAnalysed)
    }
}
