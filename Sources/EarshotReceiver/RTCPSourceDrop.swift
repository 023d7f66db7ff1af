/// Why a well-formed RTCP packet was not believed: the receiver's source policy, not the packet's shape.
/// Stat names are stable.
public enum RTCPSourceDrop: CaseIterable, Sendable, Hashable {
    /// An SR or BYE about the locked source from another host than the one its RTP comes from.
    case foreignSender
    /// From an address outside the receiver's `--allow` ranges.
    case addressNotAllowed

    public var statName: String {
        switch self {
        case .foreignSender: "rtcp_foreign_sender"
        case .addressNotAllowed: "rtcp_address_not_allowed"
        }
    }

    /// Index in `allCases`, for counters kept in a fixed array.
    public var counterIndex: Int {
        switch self {
        case .foreignSender: 0
        case .addressNotAllowed: 1
        }
    }
}
