/// The header fields an Earshot sender chooses for each packet. Earshot never sends CSRCs, header extensions or
/// padding, so those are not representable here.
public struct RTPHeader: Equatable, Sendable {
    /// M bit: set on the first packet after silence or DTX (see ``OpusRTPProfile/marker(afterSilence:)``).
    public var marker: Bool
    /// 7-bit payload type; dynamic 96 by default.
    public var payloadType: UInt8
    /// Sequence number; random start, +1 per packet, wraps at 65535.
    public var sequenceNumber: UInt16
    /// 48 kHz sample count of the first sample in the packet, from a random start, wrapping.
    public var timestamp: UInt32
    /// Random synchronization source identifier.
    public var ssrc: UInt32

    public init(marker: Bool, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }
}
