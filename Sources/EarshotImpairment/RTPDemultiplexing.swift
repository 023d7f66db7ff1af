/// Tells RTP from RTCP in one datagram by the rule of RFC 5761 section 4 as the proxy applies it: a version-2
/// datagram whose second octet is 200...204 (SR, RR, SDES, BYE, APP: the types a compound RTCP packet starts
/// with) is RTCP; any other version-2 datagram of at least the 12-byte fixed header is RTP.
///
/// Stateless and allocation-free; any thread.
public enum RTPDemultiplexing {
    /// Second-octet values read as RTCP.
    public static let rtcpSecondOctets: ClosedRange<UInt8> = 200...204

    public enum Kind: Sendable, Equatable {
        case rtp
        case rtcp
        /// Not version 2, or too short for its kind (RTP: 12 bytes, RTCP: 4).
        case other
    }

    public static func classify(_ bytes: UnsafeRawBufferPointer) -> Kind {
        guard bytes.count >= 4, bytes[0] >> 6 == 2 else { return .other }
        if bytes[1] >= rtcpSecondOctets.lowerBound && bytes[1] <= rtcpSecondOctets.upperBound { return .rtcp }
        return bytes.count >= 12 ? .rtp : .other
    }

    public static func classify(_ bytes: [UInt8]) -> Kind { bytes.withUnsafeBytes { classify($0) } }
}
