/// Reads the RTP sequence number of a datagram that looks like RTP (`RTPDemultiplexing` says `.rtp`), for logging.
/// Not a validator: EarshotProtocol parses RTP properly.
public func rtpSequenceNumber(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
    guard RTPDemultiplexing.classify(bytes) == .rtp else { return nil }
    return UInt16(bytes[2]) << 8 | UInt16(bytes[3])
}
