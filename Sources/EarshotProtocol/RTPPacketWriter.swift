/// Serializes RTP packets into a buffer the caller owns. Stateless; any thread; allocation-free.
public enum RTPPacketWriter {
    /// Why a packet could not be written. Both are caller bugs or configuration errors, not network conditions.
    public enum WriteError: Error, Sendable, Equatable {
        /// The output buffer holds fewer than `required` bytes: give a buffer of at least header + payload size.
        case bufferTooSmall(required: Int)
        /// The payload type does not fit in 7 bits: configure a payload type in 0...127 (dynamic: 96...127).
        case payloadTypeOutOfRange(UInt8)
    }

    /// Writes the 12-byte header and copies `payload` after it.
    ///
    /// - Returns: the number of bytes written (12 + payload size).
    @inlinable
    public static func write(
        _ header: RTPHeader,
        payload: UnsafeRawBufferPointer,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(WriteError) -> Int {
        let total = RTPPacket.fixedHeaderSize + payload.count
        guard header.payloadType < 128 else { throw .payloadTypeOutOfRange(header.payloadType) }
        guard buffer.count >= total else { throw .bufferTooSmall(required: total) }
        buffer[0] = 0x80
        buffer[1] = (header.marker ? 0x80 : 0) | header.payloadType
        buffer.storeBigEndian(header.sequenceNumber, at: 2)
        buffer.storeBigEndian(header.timestamp, at: 4)
        buffer.storeBigEndian(header.ssrc, at: 8)
        if payload.count > 0, let source = payload.baseAddress {
            (buffer.baseAddress! + RTPPacket.fixedHeaderSize).copyMemory(from: source, byteCount: payload.count)
        }
        return total
    }
}
