/// What a datagram on a shared port is (rtcp-mux, RFC 5761 section 4).
public enum MultiplexedPacketKind: Equatable, Sendable {
    case rtp
    case rtcp
    /// Too short or not version 2: count as a rejection, do not parse.
    case neither
}

/// Tells RTP from RTCP when both share one port (`a=rtcp-mux`). Earshot sends RTCP on port + 1 by default but
/// accepts rtcp-mux. Stateless, allocation-free, any thread.
public enum RTPRTCPDemultiplexer {
    /// Second-octet values that mean RTCP: RTCP packet types 192–223, which an RTP packet with the marker bit set
    /// would show as payload types 64–95 — a range RFC 5761 forbids for RTP when multiplexing.
    public static let rtcpSecondOctet: ClosedRange<UInt8> = 192...223

    /// Classifies by the first two octets only; full validation is the parser's job.
    public static func classify(_ datagram: UnsafeRawBufferPointer) -> MultiplexedPacketKind {
        guard datagram.count >= 4, datagram[0] >> 6 == 2 else { return .neither }
        // Compared with the bounds rather than through `ClosedRange.contains`, which unspecialized (a debug build)
        // instantiates generic metadata, an allocation, on the receiver's producer thread at the first datagram.
        let second = datagram[1]
        return second >= rtcpSecondOctet.lowerBound && second <= rtcpSecondOctet.upperBound ? .rtcp : .rtp
    }

    /// Whether `payloadType` may be used for RTP on a multiplexed port (not 64–95).
    public static func isUsableWithMultiplexing(payloadType: UInt8) -> Bool { !(64...95).contains(payloadType) }
}
