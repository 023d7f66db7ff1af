/// A producer of 48 kHz interleaved Float audio in fixed blocks of one encoder frame.
///
/// Invariant: every `read` fills exactly `framesPerBlock * channels` floats; audio shorter than a block is
/// zero-padded and reported as `.lastBlock`, after which every call returns `.endOfStream`.
/// Owned by the sender's pacing thread; implementations allocate only in their initialisers.
public protocol AudioSource {
    /// Channels in each output frame (1 or 2), chosen by the caller, not by the input.
    var channels: Int { get }
    /// Frames per block: one Opus frame (e.g. 240 for 5 ms).
    var framesPerBlock: Int { get }
    /// Fills `buffer` (room for `framesPerBlock * channels` floats) with the next block.
    mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead
    /// Frames already produced but not yet read (see the default in the extension below).
    var bufferedFrames: Int { get }
    /// For a capture device: the frame `framesAhead` frames after the last one read entered the device at
    /// `nanoseconds` (CLOCK_MONOTONIC); nil for sources the sender paces (see the default below).
    var captureInstant: (framesAhead: Int, nanoseconds: Int64)? { get }
}

/// What one `AudioSource.read` produced.
public enum AudioSourceRead: Equatable, Sendable {
    /// A whole block of audio.
    case block
    /// The stream ended inside this block: `frames` real frames, the rest of the block is silence.
    case lastBlock(frames: Int)
    /// No more audio; the buffer was not written.
    case endOfStream
}

/// Sample rate every source produces: Opus runs at 48 kHz end to end.
public let audioSourceSampleRate = 48_000

/// Sample rates a WAV file or raw stdin input may have; anything but 48 kHz is resampled (`AdaptiveResampler`).
/// 8 kHz (telephone) to 192 kHz (studio): beyond them the filter would grow long for no audible use.
public let audioSourceInputRates: ClosedRange<Int> = 8_000...192_000

extension AudioSource {
    /// Frames already produced but not yet read (a capture ring's backlog); 0 for sources generated on demand.
    /// The sender uses it to map wall-clock time to RTP time for device-paced sources.
    public var bufferedFrames: Int { 0 }

    /// Nil: the sender's pacer stamps the audio.
    public var captureInstant: (framesAhead: Int, nanoseconds: Int64)? { nil }
}
