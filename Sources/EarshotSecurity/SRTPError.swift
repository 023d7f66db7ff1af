import CSRTP

/// What libsrtp said about a packet or a session (`srtp_err_status_t`), in the terms a caller acts on.
public enum SRTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The tag did not match: tampered, forged, another key, or not SRTP at all (`srtp_err_status_auth_fail`).
    case authenticationFailed
    /// The index was seen already or lies behind the replay window (`replay_fail`, `replay_old`, `pkt_idx_old`).
    case replay
    /// Too short or not an RTP/RTCP header libsrtp can read (`bad_param`, `parse_err`).
    case malformed
    /// A buffer without room for the trailer `protect` appends.
    case noRoom
    /// A session could not be created (a key or policy libsrtp refused).
    case sessionSetup(status: Int32)
    /// Anything else libsrtp reported (`status` is its `srtp_err_status_t`).
    case other(status: Int32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old, srtp_err_status_pkt_idx_old: self = .replay
        case srtp_err_status_bad_param, srtp_err_status_parse_err: self = .malformed
        default: self = .other(status: Int32(bitPattern: status.rawValue))
        }
    }

    public var description: String {
        switch self {
        case .authenticationFailed: "SRTP authentication failed (another key, tampered, or not SRTP)"
        case .replay: "SRTP replay: index already seen or behind the replay window"
        case .malformed: "not an SRTP packet libsrtp can read (too short or a bad header)"
        case .noRoom: "the buffer has no room for the SRTP trailer"
        case .sessionSetup(let status): "libsrtp refused the session (srtp_err_status_t \(status)); check the key"
        case .other(let status): "libsrtp error (srtp_err_status_t \(status))"
        }
    }
}
