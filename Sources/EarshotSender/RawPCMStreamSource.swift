import EarshotDSP

#if canImport(Glibc)
import Glibc
#endif

/// Raw interleaved PCM from a file descriptor (stdin, a pipe or a file), e.g. `ffmpeg ... -f s16le - | earshot-send`.
///
/// `read` blocks in `read(2)` until a whole block arrived or the writer closed the stream, so the pacing thread
/// should not drive it directly when the writer is slower than real time. Input at a rate other than 48 kHz is
/// resampled as it streams, aligned with the input (no filter ramp-in; the tail is flushed at the end), so the
/// stream lasts as long as the input. Buffers are allocated in `init` only. The caller owns the descriptor and
/// closes it.
public struct RawPCMStreamSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let format: RawPCMFormat
    public let sampleRate: Int
    public let inputChannels: Int
    public let fileDescriptor: Int32
    private let name: String
    private let mixer: ChannelMixer
    /// Input frames read from the descriptor at a time: one output block's worth at the input rate.
    private let inputBlockFrames: Int
    private var bytes: [UInt8]
    private var decoded: [Float]
    /// Set once `read(2)` returned short: the writer closed the stream.
    private var ended = false
    /// nil at 48 kHz.
    private let resampling: Resampling?

    /// Throws `.unsupportedSampleRate` unless `sampleRate` is in `audioSourceInputRates`.
    public init(
        fileDescriptor: Int32, name: String = "stdin", format: RawPCMFormat, sampleRate: Int, inputChannels: Int,
        channels: Int, framesPerBlock: Int
    ) throws(AudioSourceError) {
        guard audioSourceInputRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(source: name, rate: sampleRate)
        }
        guard (1...8).contains(inputChannels) else { throw .unsupportedChannels(source: name, channels: inputChannels) }
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: name, channels: channels) }
        guard framesPerBlock > 0 else { throw .invalidBlockSize(frames: framesPerBlock) }
        self.fileDescriptor = fileDescriptor
        self.name = name
        self.format = format
        self.sampleRate = sampleRate
        self.inputChannels = inputChannels
        self.channels = channels
        self.framesPerBlock = framesPerBlock
        self.mixer = ChannelMixer(inputChannels: inputChannels, outputChannels: channels)
        inputBlockFrames = (framesPerBlock * sampleRate + audioSourceSampleRate - 1) / audioSourceSampleRate
        self.bytes = [UInt8](repeating: 0, count: inputBlockFrames * inputChannels * format.bytesPerSample)
        self.decoded = [Float](repeating: 0, count: inputBlockFrames * inputChannels)
        resampling = sampleRate == audioSourceSampleRate
            ? nil : Resampling(channels: channels, inputRate: sampleRate, blockFrames: inputBlockFrames)
    }

    public mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead {
        let frames: Int
        if let resampling {
            frames = try readResampled(into: buffer, resampling)
        } else {
            frames = ended ? 0 : try readFrames(into: buffer)
        }
        guard frames > 0 else { return .endOfStream }
        guard frames == framesPerBlock else {
            (buffer + frames * channels).update(repeating: 0, count: (framesPerBlock - frames) * channels)
            return .lastBlock(frames: frames)
        }
        return .block
    }

    /// Fills `buffer` with up to one block at 48 kHz from the resampler, reading input as it needs it and flushing
    /// the filter once the input ended. Returns the frames written (fewer than a block only at the end).
    private mutating func readResampled(
        into buffer: UnsafeMutablePointer<Float>, _ resampling: Resampling
    ) throws(AudioSourceError) -> Int {
        var produced = 0
        while produced < framesPerBlock {
            let room = framesPerBlock - produced
            if resampling.pendingFrames > 0 {
                let (consumed, made) = resampling.resampler.process(
                    input: resampling.pending + resampling.pendingStart * channels,
                    inputFrames: resampling.pendingFrames, output: buffer + produced * channels, outputCapacity: room)
                resampling.pendingStart += consumed
                resampling.pendingFrames -= consumed
                produced += made
            } else if !ended {
                resampling.pendingFrames = try readFrames(into: resampling.pending)
                resampling.pendingStart = 0
            } else {
                let made = resampling.resampler.drain(output: buffer + produced * channels, outputCapacity: room)
                if made == 0 { break }
                produced += made
            }
        }
        return produced
    }

    /// Reads up to `inputBlockFrames` frames and writes them to `target`, converted to `channels`. Returns the
    /// frames read; sets `ended` when the stream ended.
    private mutating func readFrames(into target: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> Int {
        let filled = try fillBlock()
        let frameBytes = inputChannels * format.bytesPerSample
        // A torn frame at the very end (writer stopped mid-frame) is dropped rather than half-decoded.
        let frames = filled / frameBytes
        if filled < bytes.count { ended = true }
        guard frames > 0 else { return 0 }
        let format = self.format, inputChannels = self.inputChannels, mixer = self.mixer
        bytes.withUnsafeBytes { raw in
            decoded.withUnsafeMutableBufferPointer { samples in
                for index in 0..<(frames * inputChannels) {
                    samples[index] = format.sample(at: raw.baseAddress! + index * format.bytesPerSample)
                }
                mixer.mix(samples.baseAddress!, into: target, frames: frames)
            }
        }
        return frames
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

/// The resampler and the input frames it has not taken yet. A class because the resampler is noncopyable and
/// sources are values: copies of a source share it, so only one copy may read (the send loop's).
private final class Resampling {
    var resampler: AdaptiveResampler
    /// Input frames at the input rate, already converted to the output channel count.
    let pending: UnsafeMutablePointer<Float>
    var pendingStart = 0
    var pendingFrames = 0

    init(channels: Int, inputRate: Int, blockFrames: Int) {
        resampler = AdaptiveResampler(
            channels: channels, inputRate: inputRate, outputRate: audioSourceSampleRate, dropsRampIn: true)
        pending = .allocate(capacity: blockFrames * channels)
        pending.initialize(repeating: 0, count: blockFrames * channels)
    }

    deinit { pending.deallocate() }
}
