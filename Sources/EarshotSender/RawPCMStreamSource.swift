#if canImport(Glibc)
import Glibc
#endif

/// Raw interleaved PCM from a file descriptor (stdin, a pipe or a file), e.g. `ffmpeg ... -f s16le - | earshot-send`.
///
/// `read` blocks in `read(2)` until a whole block arrived or the writer closed the stream, so the pacing thread
/// should not drive it directly when the writer is slower than real time. Buffers are allocated in `init` only.
/// The caller owns the descriptor and closes it.
public struct RawPCMStreamSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let format: RawPCMFormat
    public let inputChannels: Int
    public let fileDescriptor: Int32
    private let name: String
    private let mixer: ChannelMixer
    private var bytes: [UInt8]
    private var decoded: [Float]
    private var ended = false

    /// Throws `.unsupportedSampleRate` unless `sampleRate` is 48000 (no resampler yet).
    public init(
        fileDescriptor: Int32, name: String = "stdin", format: RawPCMFormat, sampleRate: Int, inputChannels: Int,
        channels: Int, framesPerBlock: Int
    ) throws(AudioSourceError) {
        guard sampleRate == audioSourceSampleRate else { throw .unsupportedSampleRate(source: name, rate: sampleRate) }
        guard (1...8).contains(inputChannels) else { throw .unsupportedChannels(source: name, channels: inputChannels) }
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: name, channels: channels) }
        guard framesPerBlock > 0 else { throw .invalidBlockSize(frames: framesPerBlock) }
        self.fileDescriptor = fileDescriptor
        self.name = name
        self.format = format
        self.inputChannels = inputChannels
        self.channels = channels
        self.framesPerBlock = framesPerBlock
        self.mixer = ChannelMixer(inputChannels: inputChannels, outputChannels: channels)
        self.bytes = [UInt8](repeating: 0, count: framesPerBlock * inputChannels * format.bytesPerSample)
        self.decoded = [Float](repeating: 0, count: framesPerBlock * inputChannels)
    }

    public mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead {
        guard !ended else { return .endOfStream }
        let filled = try fillBlock()
        let frameBytes = inputChannels * format.bytesPerSample
        // A torn frame at the very end (writer stopped mid-frame) is dropped rather than half-decoded.
        let frames = filled / frameBytes
        if filled < bytes.count { ended = true }
        guard frames > 0 else { return .endOfStream }
        let format = self.format, inputChannels = self.inputChannels, mixer = self.mixer
        bytes.withUnsafeBytes { raw in
            decoded.withUnsafeMutableBufferPointer { samples in
                for index in 0..<(frames * inputChannels) {
                    samples[index] = format.sample(at: raw.baseAddress! + index * format.bytesPerSample)
                }
                mixer.mix(samples.baseAddress!, into: buffer, frames: frames)
            }
        }
        guard frames == framesPerBlock else {
            (buffer + frames * channels).update(repeating: 0, count: (framesPerBlock - frames) * channels)
            return .lastBlock(frames: frames)
        }
        return .block
    }

    /// Reads until the byte buffer is full or end of file; returns bytes read. Retries EINTR.
    private mutating func fillBlock() throws(AudioSourceError) -> Int {
        let descriptor = fileDescriptor
        var filled = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { raw in
            while filled < raw.count {
                let result = Glibc.read(descriptor, raw.baseAddress! + filled, raw.count - filled)
                if result > 0 {
                    filled += result
                } else if result == 0 {
                    return
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        guard failure == 0 else { throw .readFailed(source: name, errno: failure) }
        return filled
    }
}
