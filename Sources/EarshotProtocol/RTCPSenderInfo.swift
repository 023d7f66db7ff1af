/// The sender information section of an SR (RFC 3550 section 6.4.1), 20 bytes on the wire.
public struct RTCPSenderInfo: Equatable, Sendable {
    public static let size = 20

    /// Wallclock time when the report was sent.
    public var ntpTimestamp: NTPTimestamp
    /// The RTP timestamp corresponding to the same instant as `ntpTimestamp` (48 kHz for Opus).
    public var rtpTimestamp: UInt32
    /// Packets sent since the start of transmission (wraps).
    public var packetCount: UInt32
    /// Payload octets sent since the start of transmission (wraps), headers and padding excluded.
    public var octetCount: UInt32

    public init(ntpTimestamp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32) {
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
    }
}
