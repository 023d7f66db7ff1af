/// Why an audio source could not be opened or read, naming the input and what to do.
public enum AudioSourceError: Error, Equatable, CustomStringConvertible {
    /// The input runs at a rate outside `audioSourceInputRates`, which the resampler does not take.
    case unsupportedSampleRate(source: String, rate: Int)
    /// A channel count outside what the source can produce or read.
    case unsupportedChannels(source: String, channels: Int)
    case invalidBlockSize(frames: Int)
    /// The WAV file could not be read or parsed (`detail` is EarshotDSP's `WAVError` text).
    case unreadableFile(path: String, detail: String)
    /// `read(2)` failed with `errno`.
    case readFailed(source: String, errno: Int32)
    /// The capture device delivered nothing for `seconds` (its thread stopped on an ALSA error, or the device hung).
    case captureStalled(device: String, seconds: Int)

    public var description: String {
        switch self {
        case .unsupportedSampleRate(let source, let rate):
            return "\(source): sample rate is \(rate) Hz; supported: \(audioSourceInputRates.lowerBound) ... "
                + "\(audioSourceInputRates.upperBound) Hz; convert it first, e.g. `sox in.wav -r 48000 out.wav`"
        case .unsupportedChannels(let source, let channels):
            return "\(source): \(channels) channels not supported; use 1 or 2 (input files may have more)"
        case .invalidBlockSize(let frames):
            return "block size \(frames) frames is invalid; use one Opus frame (120, 240, 480, 960, 1920 or 2880)"
        case .unreadableFile(let path, let detail):
            return "\(path): cannot read WAV file: \(detail)"
        case .readFailed(let source, let errno):
            return "\(source): read failed with errno \(errno); check the pipe or file is still open"
        case .captureStalled(let device, let seconds):
            return "capture device \(device) delivered no audio for \(seconds) s; check it with `arecord -D \(device)`"
        }
    }
}
