import CSRTP

/// The SRTP protection profiles Earshot speaks (RFC 3711, RFC 7714), each with its key length, its SDES name (the
/// `a=crypto` suite) and its flag value (`--srtp-suite`).
public enum SRTPSuite: String, CaseIterable, Sendable {
    /// AES-128 counter mode with a 80-bit HMAC-SHA1 tag: what ffmpeg and GStreamer speak.
    case aesCM128HMACSHA1_80 = "aes-cm-128-hmac-sha1-80"
    /// AES-128 GCM (encrypts and authenticates in one pass, 16-byte tag).
    case aeadAES128GCM = "aead-aes-128-gcm"

    /// The suite used when none is named: the one every peer speaks.
    public static let `default` = SRTPSuite.aesCM128HMACSHA1_80

    /// The name in SDP's `a=crypto` line (RFC 4568, RFC 7714).
    public var sdpName: String {
        switch self {
        case .aesCM128HMACSHA1_80: "AES_CM_128_HMAC_SHA1_80"
        case .aeadAES128GCM: "AEAD_AES_128_GCM"
        }
    }

    /// Master key plus master salt, bytes: 16 + 14 for AES-CM, 16 + 12 for GCM (libsrtp's `*_KEY_LEN_WSALT`).
    public var masterKeyBytes: Int {
        switch self {
        case .aesCM128HMACSHA1_80: 30
        case .aeadAES128GCM: 28
        }
    }

    /// The authentication tag each SRTP packet carries, bytes.
    public var tagBytes: Int {
        switch self {
        case .aesCM128HMACSHA1_80: 10
        case .aeadAES128GCM: 16
        }
    }

    /// The suite whose `sdpName` or flag value is `name`, nil for any other.
    public init?(named name: String) {
        guard let suite = Self.allCases.first(where: { $0.rawValue == name || $0.sdpName == name }) else {
            return nil
        }
        self = suite
    }

    /// The flag values, for messages: `aes-cm-128-hmac-sha1-80 or aead-aes-128-gcm`.
    public static var flagValues: String { allCases.map(\.rawValue).joined(separator: " or ") }

    func setPolicies(rtp: inout srtp_crypto_policy_t, rtcp: inout srtp_crypto_policy_t) {
        switch self {
        case .aesCM128HMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&rtp)
            srtp_crypto_policy_set_rtcp_default(&rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp)
        }
    }
}
