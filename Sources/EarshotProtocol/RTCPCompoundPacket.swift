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

    /// Validates the datagram per RFC 3550 appendix A.2 plus the per-type structure checks. Non-throwing for the
    /// real-time path (see ``RTPPacket/parse(_:payloadType:)`` for why).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<RTCPCompoundPacket, RTCPRejection> {
        guard bytes.count >= 4, bytes.count % 4 == 0 else { return .failure(.tooShort) }
        guard bytes[0] >> 6 == 2 else { return .failure(.badVersion) }
        guard bytes[0] & 0x20 == 0,
            bytes[1] == RTCPPacketType.senderReport || bytes[1] == RTCPPacketType.receiverReport
        else { return .failure(.badFirstPacket) }
        var offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { return .failure(.tooShort) }
            let first = bytes[offset]
            guard first >> 6 == 2 else { return .failure(.badVersion) }
            let length = (Int(bytes.loadBigEndianUInt16(at: offset + 2)) + 1) * 4
            guard length <= bytes.count - offset else { return .failure(.lengthOverrun) }
            var bodyEnd = offset + length
            if first & 0x20 != 0 {
                guard bodyEnd == bytes.count else { return .failure(.badPadding) }
                let padding = Int(bytes[bodyEnd - 1])
                guard padding > 0, padding <= length - 4 else { return .failure(.badPadding) }
                bodyEnd -= padding
            }
            if let rejection = Self.bodyRejection(
                type: bytes[offset + 1], count: Int(first & 0x1F),
                body: UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<bodyEnd]))
            {
                return .failure(rejection)
            }
            offset += length
        }
        return .success(RTCPCompoundPacket(bytes: bytes))
    }

    /// Throwing form of ``parse(_:)`` for code off the real-time path.
    public init(validating bytes: UnsafeRawBufferPointer) throws(RTCPRejection) {
        self = try Self.parse(bytes).get()
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private static func bodyRejection(type: UInt8, count: Int, body: UnsafeRawBufferPointer) -> RTCPRejection? {
        switch type {
        case RTCPPacketType.senderReport:
            guard body.count >= 4 + RTCPSenderInfo.size + count * RTCPReportBlock.size else {
                return .reportOverrun
            }
        case RTCPPacketType.receiverReport:
            guard body.count >= 4 + count * RTCPReportBlock.size else { return .reportOverrun }
        case RTCPPacketType.sourceDescription:
            var offset = 0
            for _ in 0..<count {
                guard let next = RTCPSourceDescription.chunkEnd(body, chunkStart: offset) else {
                    return .badSourceDescription
                }
                offset = next
            }
        case RTCPPacketType.goodbye:
            let sources = count * 4
            guard body.count >= sources else { return .badGoodbye }
            if body.count > sources {
                guard sources + 1 + Int(body[sources]) <= body.count else { return .badGoodbye }
            }
        case RTCPPacketType.applicationDefined:
            guard body.count >= 8 else { return .badApplication }
        default:
            break  // Unknown types are skipped by receivers (RFC 3550 section 6.1), not rejected.
        }
        return nil
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
