internal import COpus

/// A libopus status code (`OPUS_BAD_ARG` ... `OPUS_ALLOC_FAIL`), named so call sites read without magic numbers.
///
/// Invariant: `rawValue` is the negative value libopus returned; it is never `OPUS_OK`.
public struct OpusErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `OPUS_BAD_ARG`: a parameter was out of range.
    public static let badArgument = OpusErrorCode(rawValue: OPUS_BAD_ARG)
    /// `OPUS_BUFFER_TOO_SMALL`: the output buffer cannot hold the packet or the decoded frames.
    public static let bufferTooSmall = OpusErrorCode(rawValue: OPUS_BUFFER_TOO_SMALL)
    /// `OPUS_INTERNAL_ERROR`: libopus detected an internal inconsistency.
    public static let internalError = OpusErrorCode(rawValue: OPUS_INTERNAL_ERROR)
    /// `OPUS_INVALID_PACKET`: the compressed data is corrupted or not Opus.
    public static let invalidPacket = OpusErrorCode(rawValue: OPUS_INVALID_PACKET)
    /// `OPUS_UNIMPLEMENTED`: the request is not implemented by this libopus build.
    public static let unimplemented = OpusErrorCode(rawValue: OPUS_UNIMPLEMENTED)
    /// `OPUS_INVALID_STATE`: the encoder or decoder state is invalid or already freed.
    public static let invalidState = OpusErrorCode(rawValue: OPUS_INVALID_STATE)
    /// `OPUS_ALLOC_FAIL`: libopus could not allocate its state.
    public static let allocationFailed = OpusErrorCode(rawValue: OPUS_ALLOC_FAIL)

    /// libopus's own text for the code (`opus_strerror`); a static C string, so reading it never fails.
    public var libraryMessage: String { String(cString: opus_strerror(rawValue)) }

    /// What the caller should do about this code.
    public var remedy: String {
        switch self {
        case .badArgument:
            return "check channels (1 or 2), frame size (2.5, 5, 10, 20, 40 or 60 ms at 48 kHz) and setting ranges"
        case .bufferTooSmall:
            return "pass a larger buffer: OpusEncoder.maximumPacketBytes bytes for a packet, "
                + "OpusDecoder.maximumFramesPerPacket frames for decoded audio"
        case .invalidPacket:
            return "drop the packet, count it as malformed and conceal the gap with OpusDecoder.conceal(into:frames:)"
        case .internalError, .invalidState:
            return "reset or recreate the encoder/decoder; if it repeats, report it as a libopus bug"
        case .unimplemented:
            return "this libopus build does not support the request; choose another setting"
        case .allocationFailed:
            return "free memory or run fewer streams; libopus could not allocate its state"
        default:
            return "unexpected libopus status; recreate the encoder/decoder"
        }
    }

    public var description: String { "\(rawValue) (\(libraryMessage))" }
}
