import EarshotProtocol

/// Hand-made RTP packets for the protocol benchmarks.
enum PacketFixture {
    /// An RTP packet (version 2, PT 96, no CSRC/extension/padding) with `payloadBytes` of payload. Caller frees.
    static func rtpPacket(payloadBytes: Int) -> UnsafeMutableRawBufferPointer {
        let payload = [UInt8](repeating: 0x5A, count: payloadBytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: RTPPacket.fixedHeaderSize + payloadBytes, alignment: 16)
        let header = RTPHeader(marker: false, payloadType: 96, sequenceNumber: 4_711, timestamp: 96_000, ssrc: 0xCAFE)
        let written = payload.withUnsafeBytes { try? RTPPacketWriter.write(header, payload: $0, into: buffer) }
        precondition(written == buffer.count, "fixture packet did not serialize")
        return buffer
    }
}
