/// Why a datagram was refused at the receiver's security gate (`SRTPReceiveGate`), before anything parsed it.
/// Counted once per datagram, separately for RTP (`srtp_…`) and RTCP (`srtcp_…`); stat names are stable.
public enum SRTPRejection: CaseIterable, Sendable, Hashable {
    /// Shorter than a header plus the suite's tag (and, for SRTCP, its index word).
    case tooShort
    /// The tag did not match for a source that has authenticated before: tampered, truncated, or forged.
    case authenticationFailed
    /// The tag did not match for an SSRC that never authenticated: plain RTP/RTCP, or SRTP under another key.
    case unauthenticatedSource
    /// Authenticated before (replay window), or older than the window reaches.
    case replayed
    /// SRTP/SRTCP at a receiver without a key: its audio cannot be decrypted (see `SRTPReceiveGate`).
    case encryptedWithoutKey

    /// Whether the datagram was RTP or RTCP.
    public enum Channel: CaseIterable, Sendable {
        case rtp
        case rtcp
    }

    public func statName(_ channel: Channel) -> String {
        let prefix = channel == .rtp ? "srtp_" : "srtcp_"
        switch self {
        case .tooShort: return prefix + "too_short"
        case .authenticationFailed: return prefix + "auth_failed"
        case .unauthenticatedSource: return prefix + "unauthenticated_source"
        case .replayed: return prefix + "replayed"
        case .encryptedWithoutKey: return prefix + "without_key"
        }
    }

    /// Index among `allCases` × `Channel.allCases` (RTP first), for counters kept in a fixed array.
    public func counterIndex(_ channel: Channel) -> Int {
        let index: Int
        switch self {
        case .tooShort: index = 0
        case .authenticationFailed: index = 1
        case .unauthenticatedSource: index = 2
        case .replayed: index = 3
        case .encryptedWithoutKey: index = 4
        }
        return (channel == .rtp ? 0 : Self.allCases.count) + index
    }

    /// Every stat name, in counter order.
    public static var statNames: [String] {
        Channel.allCases.flatMap { channel in allCases.map { $0.statName(channel) } }
    }
}
