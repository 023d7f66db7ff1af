import EarshotDSP

/// A phase-continuous sine at 48 kHz on every channel, endless or for a fixed number of frames.
public struct ToneSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let frequency: Double
    public let amplitude: Float
    private var generator: ToneGenerator
    /// Frames still to produce; nil means endless.
    private var remainingFrames: Int?

    public init(
        frequency: Double, amplitude: Float, channels: Int, framesPerBlock: Int, durationFrames: Int? = nil
    ) throws(AudioSourceError) {
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: "tone", channels: channels) }
        guard framesPerBlock > 0 else { throw .invalidBlockSize(frames: framesPerBlock) }
        self.channels = channels
        self.framesPerBlock = framesPerBlock
        self.frequency = frequency
        self.amplitude = amplitude
        self.generator = ToneGenerator(
            frequency: frequency, sampleRate: Double(audioSourceSampleRate), amplitude: amplitude, channels: channels)
        self.remainingFrames = durationFrames
    }

    public mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead {
        guard let remaining = remainingFrames else {
            generator.fill(buffer, frames: framesPerBlock)
            return .block
        }
        guard remaining > 0 else { return .endOfStream }
        let frames = min(remaining, framesPerBlock)
        generator.fill(buffer, frames: frames)
        remainingFrames = remaining - frames
        guard frames == framesPerBlock else {
            (buffer + frames * channels).update(repeating: 0, count: (framesPerBlock - frames) * channels)
            return .lastBlock(frames: frames)
        }
        return .block
    }
}
