/// A validated, read-only view of one RTP packet (RFC 3550 section 5.1) over bytes the caller owns.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           timestamp                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           synchronization source (SSRC) identifier            |
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |            contributing source (CSRC) identifiers             |
/// |                             ....                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | extension profile (X=1)       |  extension length (32-bit words)
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 payload ...   | padding ... | padding count   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Invariant: an `RTPPacket` exists only if every length in its header fits inside `bytes`, so every accessor is
/// in bounds. It copies nothing and allocates nothing; it is valid only while the underlying bytes are. Any thread
/// may use it; it holds no state besides the pointer.
public struct RTPPacket {
    /// Size of the fixed header in bytes.
    public static let fixedHeaderSize = 12

    /// The whole datagram.
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the first payload byte (after fixed header, CSRCs and extension).
    public let payloadOffset: Int
    /// Number of payload bytes (padding excluded).
    public let payloadCount: Int

    /// Validates `bytes` as an RTP packet per RFC 3550 section 5.1 and appendix A.1 header checks.
    ///
    /// The real-time receive path uses this non-throwing form: a `throw` calls the runtime's `swift_willThrow`
    /// hook, and a hook installed by a debugger or test harness (Swift Testing records backtraces) may allocate.
    ///
    /// - Parameters:
    ///   - bytes: one received datagram.
    ///   - payloadType: the payload type configured for the stream; `nil` accepts any.
    /// - Returns: the packet, or the first ``RTPRejection`` that applies, in header order.
    public static func parse(_ bytes: UnsafeRawBufferPointer, payloadType: UInt8?) -> Result<RTPPacket, RTPRejection> {
        guard bytes.count >= fixedHeaderSize else { return .failure(.tooShort) }
        let first = bytes[0]
        guard first >> 6 == 2 else { return .failure(.badVersion) }
        var end = bytes.count
        if first & 0x20 != 0 {
            let padding = Int(bytes[end - 1])
            guard padding > 0, padding <= end - fixedHeaderSize else { return .failure(.badPadding) }
            end -= padding
        }
        var offset = fixedHeaderSize + Int(first & 0x0F) * 4
        guard offset <= end else { return .failure(.csrcOverrun) }
        if first & 0x10 != 0 {
            guard offset + 4 <= end else { return .failure(.extensionOverrun) }
            let words = Int(bytes.loadBigEndianUInt16(at: offset + 2))
            offset += 4 + words * 4
            guard offset <= end else { return .failure(.extensionOverrun) }
        }
        if let payloadType, bytes[1] & 0x7F != payloadType { return .failure(.unexpectedPayloadType) }
        guard offset < end else { return .failure(.emptyPayload) }
        return .success(RTPPacket(bytes: bytes, payloadOffset: offset, payloadCount: end - offset))
    }

    /// Throwing form of ``parse(_:payloadType:)`` for code off the real-time path.
    public init(validating bytes: UnsafeRawBufferPointer, payloadType: UInt8?) throws(RTPRejection) {
        self = try Self.parse(bytes, payloadType: payloadType).get()
    }

    private init(bytes: UnsafeRawBufferPointer, payloadOffset: Int, payloadCount: Int) {
        self.bytes = bytes
        self.payloadOffset = payloadOffset
        self.payloadCount = payloadCount
    }

    /// RTP version; always 2 for a validated packet.
    @inlinable public var version: UInt8 { bytes[0] >> 6 }
    /// P bit: the packet ends in padding (already excluded from ``payload``).
    @inlinable public var hasPadding: Bool { bytes[0] & 0x20 != 0 }
    /// X bit: a header extension follows the CSRC list.
    @inlinable public var hasExtension: Bool { bytes[0] & 0x10 != 0 }
    /// CC: number of CSRC identifiers.
    @inlinable public var csrcCount: Int { Int(bytes[0] & 0x0F) }
    /// M bit. For Opus (RFC 7587): first packet of a talkspurt, i.e. after silence or DTX.
    @inlinable public var marker: Bool { bytes[1] & 0x80 != 0 }
    /// PT, 7 bits.
    @inlinable public var payloadType: UInt8 { bytes[1] & 0x7F }
    /// 16-bit sequence number; extend it with ``RTPSequenceTracker``.
    @inlinable public var sequenceNumber: UInt16 { bytes.loadBigEndianUInt16(at: 2) }
    /// Media timestamp; 48 kHz for Opus regardless of the coded bandwidth.
    @inlinable public var timestamp: UInt32 { bytes.loadBigEndianUInt32(at: 4) }
    /// Synchronization source identifier.
    @inlinable public var ssrc: UInt32 { bytes.loadBigEndianUInt32(at: 8) }

    /// CSRC identifier `index` (`0 ..< csrcCount`).
    @inlinable
    public func csrc(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < csrcCount, "CSRC index out of range")
        return bytes.loadBigEndianUInt32(at: Self.fixedHeaderSize + index * 4)
    }

    /// Header extension profile word (RFC 3550 5.3.1), or `nil` without the X bit.
    @inlinable
    public var extensionProfile: UInt16? {
        hasExtension ? bytes.loadBigEndianUInt16(at: Self.fixedHeaderSize + csrcCount * 4) : nil
    }

    /// Header extension body (without the 4-byte extension header); empty without the X bit.
    @inlinable
    public var extensionData: UnsafeRawBufferPointer {
        guard hasExtension else { return UnsafeRawBufferPointer(rebasing: bytes[0..<0]) }
        let start = Self.fixedHeaderSize + csrcCount * 4 + 4
        return UnsafeRawBufferPointer(rebasing: bytes[start..<payloadOffset])
    }

    /// Number of padding bytes at the end, including the count byte; 0 without the P bit.
    @inlinable public var paddingCount: Int { bytes.count - payloadOffset - payloadCount }

    /// The payload (one Opus packet for Earshot), a slice of ``bytes``.
    @inlinable
    public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[payloadOffset..<(payloadOffset + payloadCount)])
    }
}
