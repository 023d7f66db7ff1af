import EarshotDSP

/// The producer's sample-rate converter between decode and the ring: plays decoded audio a little faster or slower
/// by the drift loop's ratio (`PlayoutDriftLoop`). A seam: the engine behind it (`AdaptiveResampler` today) can be
/// exchanged for a library's without touching the producer, as long as it keeps this contract.
///
/// Contract: consecutive blocks join seamlessly and a ratio change bends the time axis without a click; over a
/// stream, `N` input frames come out as about `N · ratio` frames, `latencyFrames` later; `surplusFrames` counts
/// exactly how many frames more came out than went in (what the resampler added to the playout delay).
///
/// Invariant: allocates only in `init`; `process`, `setRatio` and `reset` allocate nothing. Thread: the producer.
struct PlayoutResampler: ~Copyable {
    private var engine: AdaptiveResampler
    /// Output frames produced minus input frames consumed since `init` (not reset by `reset`: the drift loop reads
    /// its differences).
    private(set) var surplusFrames = 0

    /// The most a ratio may differ from 1 here: the drift loop's range with room to spare.
    static let maximumDeviation = 0.01

    init(channels: Int) {
        engine = AdaptiveResampler(channels: channels, inputRate: 48_000, outputRate: 48_000, quality: .high)
    }

    /// Input frames the filter delays by.
    var latencyFrames: Int { engine.latencyFrames }

    /// Output room enough for `inputFrames` at any allowed ratio (and the frame a block boundary may add).
    static func outputCapacity(forInputFrames inputFrames: Int) -> Int {
        Int(Double(inputFrames) * (1 + maximumDeviation)) + 2
    }

    /// Output frames per input frame from the next output frame on, clamped to 1 ± `maximumDeviation`.
    mutating func setRatio(_ ratio: Double) {
        engine.setRatio(min(1 + Self.maximumDeviation, max(1 - Self.maximumDeviation, ratio)))
    }

    /// Converts `frames` interleaved frames at `input` into `output` (room for `capacity` frames, at least
    /// `outputCapacity(forInputFrames: frames)`); returns the frames written. All input is taken.
    mutating func process(
        _ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, capacity: Int
    ) -> Int {
        let (consumed, produced) = engine.process(
            input: input, inputFrames: frames, output: output, outputCapacity: capacity)
        surplusFrames += produced - consumed
        return produced
    }

    /// Forgets the audio history (a new stream); the ratio stays.
    mutating func reset() {
        engine.reset()
    }
}
