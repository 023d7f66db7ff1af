/// A phase-continuous sine generator writing interleaved frames (the same sample on every channel).
///
/// `fill` neither allocates nor locks, so a real-time or pacing thread may call it. One thread owns an instance.
public struct ToneGenerator: Sendable {
    public let frequency: Double
    public let sampleRate: Double
    public let amplitude: Float
    public let channels: Int
    private var phase: Double = 0
    private let increment: Double

    public init(frequency: Double, sampleRate: Double = 48_000, amplitude: Float = 0.5, channels: Int = 2) {
        self.frequency = frequency
        self.sampleRate = sampleRate
        self.amplitude = amplitude
        self.channels = channels
        self.increment = 2 * Double.pi * frequency / sampleRate
    }

    /// Writes `frames` interleaved frames into `buffer` (which holds at least `frames * channels` floats).
    public mutating func fill(_ buffer: UnsafeMutablePointer<Float>, frames: Int) {
        for frame in 0..<frames {
            let value = amplitude * Float(sin(phase))
            for channel in 0..<channels { buffer[frame * channels + channel] = value }
            phase += increment
            // Keeping the phase small keeps sin() exact over hours of tone.
            if phase >= 2 * Double.pi { phase -= 2 * Double.pi }
        }
    }

    /// `frames` interleaved frames as a new array (allocates: for tests and set-up, not for real-time threads).
    public mutating func generate(frames: Int) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        out.withUnsafeMutableBufferPointer { fill($0.baseAddress!, frames: frames) }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
