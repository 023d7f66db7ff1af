/// The frame durations Opus accepts at 48 kHz; one encoder frame becomes one RTP packet.
///
/// `rawValue` is the frame length in samples per channel at 48 kHz, the unit libopus's `frame_size` uses.
/// 2.5 and 5 ms frames are CELT-only, so in-band FEC (a SILK feature) needs 10 ms or longer.
public enum OpusFrameDuration: Int, CaseIterable, Sendable, CustomStringConvertible {
    case ms2_5 = 120
    case ms5 = 240
    case ms10 = 480
    case ms20 = 960
    case ms40 = 1920
    case ms60 = 2880

    /// Parses a duration in milliseconds (2.5, 5, 10, 20, 40, 60); nil for any other value.
    public init?(milliseconds: Double) {
        guard let match = Self.allCases.first(where: { $0.milliseconds == milliseconds }) else { return nil }
        self = match
    }

    /// Samples per channel in one frame at 48 kHz.
    public var samplesPerChannel: Int { rawValue }

    public var milliseconds: Double { Double(rawValue) / 48.0 }

    /// Exact duration in nanoseconds (every case is a whole number of nanoseconds at 48 kHz).
    public var nanoseconds: Int64 { Int64(rawValue) * 1_000_000_000 / 48_000 }

    public var description: String {
        self == .ms2_5 ? "2.5 ms" : "\(rawValue / 48) ms"
    }
}
