/// RTCP packet type numbers (RFC 3550 section 12.1).
public enum RTCPPacketType {
    /// SR, sender report.
    public static let senderReport: UInt8 = 200
    /// RR, receiver report.
    public static let receiverReport: UInt8 = 201
    /// SDES, source description.
    public static let sourceDescription: UInt8 = 202
    /// BYE, goodbye.
    public static let goodbye: UInt8 = 203
    /// APP, application-defined.
    public static let applicationDefined: UInt8 = 204
}
