/// Why a datagram was not accepted as an RTCP compound packet (RFC 3550 section 6.1 and appendix A.2).
///
/// Stat names are stable (`Protocol/vectors/rtcp/invalid/<statName>.hex`); add cases, never rename.
public enum RTCPRejection: Error, CaseIterable, Sendable, Hashable {
    /// Shorter than one 4-byte common header, or not a whole number of 32-bit words.
    case tooShort
    /// A packet's version field is not 2.
    case badVersion
    /// The first packet is not SR or RR, or it has the padding bit (A.2 validity mask).
    case badFirstPacket
    /// A packet's length field runs past the end of the datagram.
    case lengthOverrun
    /// Padding bit on a packet that is not the last, or a padding count of 0 or larger than the packet body.
    case badPadding
    /// SR/RR too short for its fixed fields and its report count.
    case reportOverrun
    /// SDES chunks or items run past the packet, or a chunk is not terminated.
    case badSourceDescription
    /// BYE source list or reason runs past the packet.
    case badGoodbye
    /// APP shorter than its SSRC and name.
    case badApplication

    /// Stable counter name, `snake_case`, prefixed `rtcp_`.
    public var statName: String {
        switch self {
        case .tooShort: "rtcp_too_short"
        case .badVersion: "rtcp_bad_version"
        case .badFirstPacket: "rtcp_bad_first_packet"
        case .lengthOverrun: "rtcp_length_overrun"
        case .badPadding: "rtcp_bad_padding"
        case .reportOverrun: "rtcp_report_overrun"
        case .badSourceDescription: "rtcp_bad_sdes"
        case .badGoodbye: "rtcp_bad_bye"
        case .badApplication: "rtcp_bad_app"
        }
    }
}
