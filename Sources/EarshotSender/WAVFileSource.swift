import EarshotDSP

/// Plays a WAV file (16/24/32-bit PCM or float, any rate in `audioSourceInputRates`) once, converted to the
/// requested channel count and to 48 kHz.
///
/// The whole file is decoded, channel-converted and resampled in `init`, so `read` only copies memory. Resampling
/// is aligned with the file (no filter ramp-in, the tail flushed): it plays as long as the file lasts.
public struct WAVFileSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let path: String
    private let samples: [Float]
    private var position = 0

    /// Throws `.unsupportedSampleRate` naming the file's rate when it is outside `audioSourceInputRates`.
    public init(path: String, channels: Int, framesPerBlock: Int) throws(AudioSourceError) {
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: path, channels: channels) }
        guard framesPerBlock > 0 else { throw .invalidBlockSize(frames: framesPerBlock) }
        let file: WAVFile
        do {
            file = try WAVFile.read(path: path)
        } catch {
            throw .unreadableFile(path: path, detail: error.description)
        }
        guard audioSourceInputRates.contains(file.sampleRate) else {
            throw .unsupportedSampleRate(source: path, rate: file.sampleRate)
        }
        guard file.channels > 0 else { throw .unsupportedChannels(source: path, channels: file.channels) }
        let mixer = ChannelMixer(inputChannels: file.channels, outputChannels: channels)
        var converted = [Float](repeating: 0, count: file.frameCount * channels)
        file.samples.withUnsafeBufferPointer { input in
            converted.withUnsafeMutableBufferPointer { output in
                guard let source = input.baseAddress, let destination = output.baseAddress else { return }
                mixer.mix(source, into: destination, frames: file.frameCount)
            }
        }
        self.path = path
        self.channels = channels
        self.framesPerBlock = framesPerBlock
        // Channels first: mixing down before resampling halves the filter work for stereo files sent as mono.
        self.samples = file.sampleRate == audioSourceSampleRate
            ? converted
            : AdaptiveResampler.convert(
                converted, channels: channels, inputRate: file.sampleRate, outputRate: audioSourceSampleRate)
    }

    public mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead {
        let blockSamples = framesPerBlock * channels
        let remaining = samples.count - position
        guard remaining > 0 else { return .endOfStream }
        let copied = min(remaining, blockSamples)
        samples.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + position, count: copied) }
        position += copied
        guard copied == blockSamples else {
            (buffer + copied).update(repeating: 0, count: blockSamples - copied)
            return .lastBlock(frames: copied / channels)
        }
        return .block
    }
}
