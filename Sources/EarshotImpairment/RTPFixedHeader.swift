/// The fields of an RTP fixed header (RFC 3550 section 5.1) the proxy reads from genuine packets and writes into
/// hostile ones, with the payload's position in the datagram it was read from.
///
/// Reading is lenient (the proxy is not a validator; EarshotProtocol is): a datagram is read if
/// `RTPDemultiplexing` says `.rtp` and its CSRC list, extension and padding fit. Written packets always have
/// version 2 and no padding, extension or CSRCs. Value type; any thread.
public struct RTPFixedHeader: Sendable, Equatable {
    public static let size = 12

    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// Where the payload starts and ends (padding excluded) in the datagram read; `size..<size` for a built header.
    public var payloadRange: Range<Int>

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        payloadRange = Self.size..<Self.size
    }

    /// Reads the header of an RTP datagram; nil for RTCP, non-version-2 or inconsistent lengths.
    public init?(parsing bytes: UnsafeRawBufferPointer) {
        guard RTPDemultiplexing.classify(bytes) == .rtp else { return nil }
        var end = bytes.count
        if bytes[0] & 0x20 != 0 {
            let padding = Int(bytes[end - 1])
            guard padding > 0, padding <= end - Self.size else { return nil }
            end -= padding
        }
        var start = Self.size + Int(bytes[0] & 0x0F) * 4
        if bytes[0] & 0x10 != 0 {
            guard start + 4 <= end else { return nil }
            start += 4 + (Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])) * 4
        }
        guard start <= end else { return nil }
        marker = bytes[1] & 0x80 != 0
        payloadType = bytes[1] & 0x7F
        sequenceNumber = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = Self.loadUInt32(bytes, at: 4)
        ssrc = Self.loadUInt32(bytes, at: 8)
        payloadRange = start..<end
    }

    public init?(parsing bytes: [UInt8]) {
        guard let header = bytes.withUnsafeBytes({ Self(parsing: $0) }) else { return nil }
        self = header
    }

    /// This header (version 2, no padding, extension or CSRCs) followed by `payload`.
    public func packet(payload: some Collection<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size + payload.count)
        bytes.append(0x80)
        bytes.append((marker ? 0x80 : 0) | payloadType & 0x7F)
        bytes.append(UInt8(sequenceNumber >> 8))
        bytes.append(UInt8(sequenceNumber & 0xFF))
        Self.appendUInt32(timestamp, to: &bytes)
        Self.appendUInt32(ssrc, to: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Overwrites the timestamp field (bytes 4...7) of an RTP datagram in place. The caller checked it is RTP.
    public static func rewriteTimestamp(_ timestamp: UInt32, in bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= size, "not an RTP datagram")
        bytes[4] = UInt8(timestamp >> 24)
        bytes[5] = UInt8(timestamp >> 16 & 0xFF)
        bytes[6] = UInt8(timestamp >> 8 & 0xFF)
        bytes[7] = UInt8(timestamp & 0xFF)
    }

    static func loadUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8(value >> 16 & 0xFF))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }
}
