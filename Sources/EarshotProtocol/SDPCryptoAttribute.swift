/// An SDES-SRTP `a=crypto` attribute (RFC 4568): the suite and the base64 key a keyed `earshot-send` announces, so
/// that ffmpeg and GStreamer peers can be configured from one file. Pure text; the keys are EarshotSecurity's.
public struct SDPCryptoAttribute: Equatable, Sendable {
    /// The suite assumed when none is named (`SRTPSuite.default`'s SDP name).
    public static let defaultSuite = "AES_CM_128_HMAC_SHA1_80"

    public var tag: Int
    public var suite: String
    /// Base64 of the master key + salt (the part after `inline:`; 30 bytes for AES-CM-128, 28 for AES-GCM-128).
    public var inlineKey: String

    public init(tag: Int = 1, suite: String = Self.defaultSuite, inlineKey: String) {
        self.tag = tag
        self.suite = suite
        self.inlineKey = inlineKey
    }

    var rendered: String { "\(tag) \(suite) inline:\(inlineKey)" }

    init?(parsing value: Substring) {
        let fields = value.split(separator: " ")
        guard fields.count >= 3, let tag = Int(fields[0]), fields[2].hasPrefix("inline:") else { return nil }
        self.tag = tag
        suite = String(fields[1])
        inlineKey = String(fields[2].dropFirst("inline:".count).split(separator: "|").first ?? "")
    }
}
