import EarshotDSP

/// The producer's sample-rate converter between decode (48 kHz) and the ring (the device's rate): converts to the
/// device's rate (`nominalRatio`: 1 for a 48 kHz device, 0.91875 for a 44.1 kHz DAC) times the drift loop's ratio
/// (`PlayoutDriftLoop`), which plays decoded audio a little faster or slower. A seam: the engine behind it
/// (`AdaptiveResampler`) can be exchanged for a library's without touching the producer, as long as it keeps this
/// contract.
///
/// Contract: consecutive blocks join seamlessly and a ratio change bends the time axis without a click; over a
/// stream, `N` input frames come out as about `N · nominalRatio · ratio` frames, `latencyFrames` later;
/// `surplusFrames` counts exactly how much more came out than the nominal conversion makes, in input (48 kHz) frames
/// (what the resampler added to the playout delay).
///
/// Invariant: allocates only in `init`; `process`, `setRatio` and `reset` allocate nothing. Thread: the producer.
struct PlayoutResampler: ~Copyable {
    private var engine: AdaptiveResampler
    /// Output frames per input frame without drift: the device's rate over the stream's.
    let nominalRatio: Double
    /// Output frames produced, counted at the input's rate, minus input frames consumed since `init` (not reset by
    /// `reset`: the drift loop reads its differences).
    private(set) var surplusFrames = 0.0

    /// The most a drift ratio may differ from 1 here: the drift loop's range with room to spare.
    static let maximumDeviation = 0.01

    /// A converter from the stream's 48 kHz to `outputRate` (Hz, within `AdaptiveResampler.ratioRange` of it).
    init(channels: Int, outputRate: Int = 48_000) {
        engine = AdaptiveResampler(channels: channels, inputRate: 48_000, outputRate: outputRate, quality: .high)
        nominalRatio = Double(outputRate) / 48_000
    }

    /// Input frames the filter delays by.
    var latencyFrames: Int { engine.latencyFrames }

    /// Output room enough for `inputFrames` at any allowed ratio (and the frame a block boundary may add), converting
    /// to `outputRate`.
    static func outputCapacity(forInputFrames inputFrames: Int, outputRate: Int = 48_000) -> Int {
        Int(Double(inputFrames) * Double(outputRate) / 48_000 * (1 + maximumDeviation)) + 2
    }

    /// Output frames per input frame from the next output frame on, relative to `nominalRatio`, clamped to
    /// 1 ± `maximumDeviation`.
    mutating func setRatio(_ ratio: Double) {
        engine.setRatio(nominalRatio * min(1 + Self.maximumDeviation, max(1 - Self.maximumDeviation, ratio)))
    }

    /// Converts `frames` interleaved frames at `input` into `output` (room for `capacity` frames, at least
    /// `outputCapacity(forInputFrames: frames, outputRate:)`); returns the frames written. All input is taken.
    mutating func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, capacity: Int
    ) -> Int {
        let (consumed, produced) = engine.process(
            input: input, inputFrames: frames, output: output, outputCapacity: capacity)
        surplusFrames += Double(produced) / nominalRatio - Double(consumed)
        return produced
    }

    /// Forgets the audio history (a new stream); the ratio stays.
    mutating func reset() {
        engine.reset()
    }
}
