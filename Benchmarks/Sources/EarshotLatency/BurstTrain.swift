import Foundation

/// The test signals: stereo, 48 kHz, played into the rig's `ref` device.
///
/// - `primer`: a continuous 997 Hz sine at −20 dBFS on the left channel only. It starts before the system under
///   test, keeps the rig's sinks running (an idle null sink's monitor records nothing) and lets the harness see when
///   the system's output starts flowing; afterwards any gap, click or concealed frame shows as a window where the
///   sine no longer fits.
/// - `bursts`: short noise bursts (band-limited to 3.5 kHz, Hann-windowed) on the right channel only, at irregular (seeded random) intervals, so
///   cross-correlating each burst finds one unambiguous lag (a periodic signal would alias at its period). Played as
///   a second stream once the output flows, mixed with the primer by the server.
public struct BurstTrain: Sendable {
    public static let sampleRate = 48_000
    public static let sineFrequency = 997.0
    public static let sineAmplitude: Float = 0.1

    /// Burst onsets in frames from the start of `bursts`.
    public let onsets: [Int]
    public let burstFrames: Int
    /// Interleaved stereo samples: silence left, bursts right.
    public let bursts: [Float]

    /// `count` noise bursts of `burstMs` each, gaps drawn uniformly from `gapMs`, after `leadMs` of silence.
    public init(
        count: Int, burstMs: Double = 10, gapMs: ClosedRange<Double> = 180...420, leadMs: Double = 100,
        tailMs: Double = 600, seed: UInt64 = 0x5EED
    ) {
        var random = SplitMix64(seed: seed)
        let rate = Double(Self.sampleRate)
        burstFrames = Int(burstMs / 1_000 * rate)
        var onsets: [Int] = []
        var position = Int(leadMs / 1_000 * rate)
        for _ in 0..<count {
            onsets.append(position)
            let gap = gapMs.lowerBound + (gapMs.upperBound - gapMs.lowerBound) * random.nextUnit()
            position += burstFrames + Int(gap / 1_000 * rate)
        }
        var samples = [Float](repeating: 0, count: (position + Int(tailMs / 1_000 * rate)) * 2)
        // Noise low-passed at 3.5 kHz (two RBJ biquads, 4th order) under a Hann window: a low-delay CELT frame keeps
        // the waveform of that band, so every burst that comes through correlates; full-band white noise is coded
        // as band energies above a few kHz and correlated below 0.5 though nothing was lost.
        let w0 = 2 * Double.pi * 3_500 / rate
        let alpha = sin(w0) / (2 * 0.7071)
        let a0 = 1 + alpha
        let b = [(1 - cos(w0)) / 2 / a0, (1 - cos(w0)) / a0, (1 - cos(w0)) / 2 / a0]
        let a = [-2 * cos(w0) / a0, (1 - alpha) / a0]
        for onset in onsets {
            var state = [Double](repeating: 0, count: 8)  // x1 x2 y1 y2 per stage
            for index in 0..<burstFrames {
                var x = random.nextUnit() * 2 - 1
                for stage in 0..<2 {
                    let k = stage * 4
                    let y = b[0] * x + b[1] * state[k] + b[2] * state[k + 1] - a[0] * state[k + 2] - a[1] * state[k + 3]
                    state[k + 1] = state[k]
                    state[k] = x
                    state[k + 3] = state[k + 2]
                    state[k + 2] = y
                    x = y
                }
                let window = 0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(burstFrames - 1))
                samples[(onset + index) * 2 + 1] = Float(1.2 * x * window)
            }
        }
        self.onsets = onsets
        self.bursts = samples
    }

    public var durationSeconds: Double { Double(bursts.count / 2) / Double(Self.sampleRate) }

    /// `seconds` of the primer: sine left, silence right.
    public static func primer(seconds: Double) -> [Float] {
        let frames = Int(seconds * Double(sampleRate))
        let omega = 2 * Double.pi * sineFrequency / Double(sampleRate)
        var samples = [Float](repeating: 0, count: frames * 2)
        for frame in 0..<frames { samples[frame * 2] = sineAmplitude * Float(sin(omega * Double(frame))) }
        return samples
    }
}

/// Small seeded generator (SplitMix64) so the same seed gives the same burst train on every machine.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
