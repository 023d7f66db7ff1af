import EarshotDSP

/// Glass-to-glass latency and glitches of one run, from an `AlignedRecording`.
///
/// Latency: every burst found in the reference is cross-correlated with the output around the run's coarse lag
/// (one correlation of the whole burst channel first, so a system with seconds of backlog is still measured right
/// and never matched to a neighbouring burst). A burst whose best normalised correlation is below
/// `minimumCorrelation` is counted as missed (lost or concealed beyond recognition).
///
/// Glitches, on the output's sine channel between the first and last burst (windows overlapping a burst skipped,
/// since codec stereo coupling may leak burst noise into the sine channel):
/// - dropouts: runs of ≥ 1 ms below −60 dBFS (the sine is −20 dBFS, so only silence gets there);
/// - glitch windows: 10 ms windows whose local sine fit is below 20 dB SNR (dropouts, clicks, concealment).
public struct LatencyAnalysis: Sendable {
    public var burstsExpected: Int
    public var burstsFound: Int
    public var latenciesMs: [Double]
    public var dropouts: Int
    public var dropoutMs: Double
    public var glitchWindows: Int
    public var analysedSeconds: Double

    public static let minimumCorrelation = 0.5
    static let sampleRate = Double(BurstTrain.sampleRate)

    public init(recording: AlignedRecording, burstsExpected: Int, burstFrames: Int) {
        self.burstsExpected = burstsExpected
        let onsets = Self.onsets(in: recording.referenceBursts, burstFrames: burstFrames)
        let coarse = SignalAnalysis.delayByCrossCorrelation(
            reference: recording.referenceBursts, signal: recording.outputBursts,
            maxLag: min(recording.frameCount - 1, Int(5 * Self.sampleRate))
        ).lag
        let pad = 96
        let search = Int(0.09 * Self.sampleRate)
        var latencies: [Double] = []
        var burstSpans: [Range<Int>] = []
        for onset in onsets {
            let start = max(0, onset - pad)
            let end = min(recording.frameCount, onset + burstFrames + pad)
            let signalStart = max(0, start + coarse - search)
            let signalEnd = min(recording.frameCount, signalStart + (end - start) + 2 * search)
            guard end > start, signalEnd > signalStart else { continue }
            let result = SignalAnalysis.delayByCrossCorrelation(
                reference: Array(recording.referenceBursts[start..<end]),
                signal: Array(recording.outputBursts[signalStart..<signalEnd]), maxLag: 2 * search)
            let lag = signalStart + result.lag - start
            burstSpans.append((onset + lag - 480)..<(onset + lag + burstFrames + 480))
            if result.correlation >= Self.minimumCorrelation {
                latencies.append(Double(lag) / Self.sampleRate * 1_000)
            }
        }
        burstsFound = latencies.count
        latenciesMs = latencies.sorted()

        // Glitches between the first and the last burst as heard at the output.
        var dropouts = 0
        var dropoutFrames = 0
        var glitches = 0
        var analysed = 0
        if let first = onsets.first, let last = onsets.last {
            let from = max(0, first + coarse)
            let to = min(recording.frameCount, last + burstFrames + coarse)
            if to > from {
                let region = Array(recording.outputSine[from..<to])
                for run in SignalAnalysis.dropouts(region, threshold: 1e-3, minimumFrames: 48) {
                    dropouts += 1
                    dropoutFrames += run.count
                }
                let window = 480
                var index = 0
                while index + window <= region.count {
                    let span = (from + index)..<(from + index + window)
                    if !burstSpans.contains(where: { $0.overlaps(span) }) {
                        analysed += window
                        let fit = SignalAnalysis.sineFit(
                            region[index..<(index + window)], frequency: BurstTrain.sineFrequency,
                            sampleRate: Self.sampleRate)
                        if fit.snrDB < 20 { glitches += 1 }
                    }
                    index += window
                }
            }
        }
        self.dropouts = dropouts
        self.dropoutMs = Double(dropoutFrames) / Self.sampleRate * 1_000
        self.glitchWindows = glitches
        self.analysedSeconds = Double(analysed) / Self.sampleRate
    }

    /// Burst starts: the first sample above −25 dBFS after at least 50 ms below it.
    static func onsets(in signal: [Float], burstFrames: Int) -> [Int] {
        var onsets: [Int] = []
        var quiet = Int.max / 2
        let threshold: Float = 0.056
        for (index, sample) in signal.enumerated() {
            if abs(sample) >= threshold {
                if quiet >= 2_400 { onsets.append(index) }
                quiet = 0
            } else {
                quiet += 1
            }
        }
        return onsets
    }

    public func percentile(_ p: Double) -> Double? {
        guard !latenciesMs.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(latenciesMs.count - 1)).rounded(.up))
        return latenciesMs[min(latenciesMs.count - 1, max(0, rank))]
    }

    public var medianMs: Double? { percentile(50) }
    public var p99Ms: Double? { percentile(99) }
    public var maxMs: Double? { latenciesMs.last }
    public var missedBursts: Int { burstsExpected - burstsFound }
}
