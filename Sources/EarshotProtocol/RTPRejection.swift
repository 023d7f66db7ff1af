/// Why a datagram was not accepted as an Earshot RTP packet.
///
/// Each case has a stable ``statName`` that receivers use as the counter name in their statistics and that
/// `Protocol/README.md` and the test vectors (`Protocol/vectors/rtp/invalid/<statName>.hex`) refer to. Never rename
/// a stat name: peers' dashboards and the vectors depend on it; add a new case instead.
public enum RTPRejection: Error, CaseIterable, Sendable, Hashable {
    /// Shorter than the 12-byte fixed header.
    case tooShort
    /// Version field is not 2.
    case badVersion
    /// Padding bit set, but the last byte (padding count) is 0 or larger than what follows the header.
    case badPadding
    /// The CSRC list announced by CC does not fit in the datagram.
    case csrcOverrun
    /// The header extension (X bit) or its announced length does not fit in the datagram.
    case extensionOverrun
    /// Payload type is not the one configured for the stream.
    case unexpectedPayloadType
    /// Header is valid but no payload bytes remain (RFC 7587 carries exactly one non-empty Opus packet).
    case emptyPayload
    /// The payload is not a well-formed Opus packet (RFC 6716 section 3 framing rules).
    case malformedOpusPayload
    /// A valid packet from an SSRC other than the locked sender (see ``RTPSourceLock``).
    case foreignSource
    /// The locked sender's SSRC from another transport address (RFC 3550 §8.2: a collision, a loop or a spoof).
    case sourceCollision
    /// From an address outside the receiver's `--allow` ranges.
    case addressNotAllowed

    /// Stable counter name, `snake_case`, prefixed `rtp_`.
    public var statName: String {
        switch self {
        case .tooShort: "rtp_too_short"
        case .badVersion: "rtp_bad_version"
        case .badPadding: "rtp_bad_padding"
        case .csrcOverrun: "rtp_csrc_overrun"
        case .extensionOverrun: "rtp_extension_overrun"
        case .unexpectedPayloadType: "rtp_unexpected_payload_type"
        case .emptyPayload: "rtp_empty_payload"
        case .malformedOpusPayload: "rtp_malformed_opus_payload"
        case .foreignSource: "rtp_foreign_source"
        case .sourceCollision: "rtp_source_collision"
        case .addressNotAllowed: "rtp_address_not_allowed"
        }
    }

    /// Index in `allCases`, so a receiver can keep its counters in a fixed-size array without hashing.
    public var counterIndex: Int {
        switch self {
        case .tooShort: 0
        case .badVersion: 1
        case .badPadding: 2
        case .csrcOverrun: 3
        case .extensionOverrun: 4
        case .unexpectedPayloadType: 5
        case .emptyPayload: 6
        case .malformedOpusPayload: 7
        case .foreignSource: 8
        case .sourceCollision: 9
        case .addressNotAllowed: 10
        }
    }

    /// True for rejections of the datagram itself (a vector in `Protocol/vectors/rtp/invalid` shows each); false
    /// for the receiver's source policy (a well-formed packet from a source it does not play).
    public var isParseRejection: Bool {
        switch self {
        case .foreignSource, .sourceCollision, .addressNotAllowed: false
        default: true
        }
    }
}
