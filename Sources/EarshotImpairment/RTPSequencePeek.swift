/// Reads the RTP sequence number of a datagram that looks like RTP (version 2, at least the 12-byte fixed header),
/// for logging. Not a validator: EarshotProtocol parses RTP properly.
public func rtpSequenceNumber(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
    guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return nil }
    // RTCP shares version 2; its packet types 200...204 sit where RTP has marker + payload type 72...76.
    let secondByte = bytes[1]
    guard !(200...204).contains(secondByte) else { return nil }
    return UInt16(bytes[2]) << 8 | UInt16(bytes[3])
}
