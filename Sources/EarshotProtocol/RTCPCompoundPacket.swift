/// A validated RTCP compound packet (RFC 3550 section 6.1): one or more RTCP packets back to back in one datagram.
/// Iterating yields each packet as a typed view.
///
/// Common header of every RTCP packet:
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  count  |      PT       |   length (32-bit words − 1)   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Invariant: every packet, and every structure inside SR, RR, SDES, BYE and APP packets, lies within `bytes`, so
/// the views never fail. Copies and allocates nothing; valid while the bytes are. Any thread.
public struct RTCPCompoundPacket: Sequence {
    public let bytes: UnsafeRawBufferPointer

    /// Validates the datagram per RFC 3550 appendix A.2 plus the per-type structure checks.
    public init(validating bytes: UnsafeRawBufferPointer) throws(RTCPRejection) {
        guard bytes.count >= 4, bytes.count % 4 == 0 else { throw .tooShort }
        guard bytes[0] >> 6 == 2 else { throw .badVersion }
        guard bytes[0] & 0x20 == 0,
            bytes[1] == RTCPPacketType.senderReport || bytes[1] == RTCPPacketType.receiverReport
        else { throw .badFirstPacket }
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .tooShort }
            let first = bytes[offset]
            guard first >> 6 == 2 else { throw .badVersion }
            let length = (Int(bytes.loadBigEndianUInt16(at: offset + 2)) + 1) * 4
            guard length <= bytes.count - offset else { throw .lengthOverrun }
            var bodyEnd = offset + length
            if first & 0x20 != 0 {
                guard bodyEnd == bytes.count else { throw .badPadding }
                let padding = Int(bytes[bodyEnd - 1])
                guard padding > 0, padding <= length - 4 else { throw .badPadding }
                bodyEnd -= padding
            }
            try Self.validateBody(
                type: bytes[offset + 1], count: Int(first & 0x1F),
                body: UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<bodyEnd]))
            offset += length
        }
        self.bytes = bytes
    }

    private static func validateBody(type: UInt8, count: Int, body: UnsafeRawBufferPointer) throws(RTCPRejection) {
        switch type {
        case RTCPPacketType.senderReport:
            guard body.count >= 4 + RTCPSenderInfo.size + count * RTCPReportBlock.size else { throw .reportOverrun }
        case RTCPPacketType.receiverReport:
            guard body.count >= 4 + count * RTCPReportBlock.size else { throw .reportOverrun }
        case RTCPPacketType.sourceDescription:
            var offset = 0
            for _ in 0..<count {
                guard let next = RTCPSourceDescription.chunkEnd(body, chunkStart: offset) else {
                    throw .badSourceDescription
                }
                offset = next
            }
        case RTCPPacketType.goodbye:
            let sources = count * 4
            guard body.count >= sources else { throw .badGoodbye }
            if body.count > sources {
                guard sources + 1 + Int(body[sources]) <= body.count else { throw .badGoodbye }
            }
        case RTCPPacketType.applicationDefined:
            guard body.count >= 8 else { throw .badApplication }
        default:
            break  // Unknown types are skipped by receivers (RFC 3550 section 6.1), not rejected.
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    /// Walks the packets; relies on the validation done at init.
    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        public mutating func next() -> RTCPPacket? {
            guard offset < bytes.count else { return nil }
            let first = bytes[offset]
            let length = (Int(bytes.loadBigEndianUInt16(at: offset + 2)) + 1) * 4
            var end = offset + length
            if first & 0x20 != 0 { end -= Int(bytes[end - 1]) }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<end])
            let count = Int(first & 0x1F)
            let type = bytes[offset + 1]
            offset += length
            switch type {
            case RTCPPacketType.senderReport: return .senderReport(RTCPSenderReport(body: body, count: count))
            case RTCPPacketType.receiverReport: return .receiverReport(RTCPReceiverReport(body: body, count: count))
            case RTCPPacketType.sourceDescription:
                return .sourceDescription(RTCPSourceDescription(body: body, count: count))
            case RTCPPacketType.goodbye: return .goodbye(RTCPGoodbye(body: body, count: count))
            case RTCPPacketType.applicationDefined:
                return .applicationDefined(RTCPApplicationPacket(body: body, subtype: UInt8(count)))
            default: return .unknown(type: type, count: UInt8(count), body: body)
            }
        }
    }
}

/// One packet of a validated compound, as a typed view.
public enum RTCPPacket {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    case applicationDefined(RTCPApplicationPacket)
    /// A type this module does not interpret (e.g. RTPFB/PSFB feedback); `body` follows the common header.
    case unknown(type: UInt8, count: UInt8, body: UnsafeRawBufferPointer)
}
