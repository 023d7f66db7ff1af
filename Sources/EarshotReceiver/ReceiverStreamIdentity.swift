import EarshotNet

/// Who the receiver is playing: the locked sender's address, SSRC, RTCP CNAME and Opus frame size, as
/// `ReceiverStreamMailbox` hands them from the producer thread to readers (`/status`, logs). A value; any thread.
public struct ReceiverStreamIdentity: Sendable, Equatable {
    /// Where the stream's RTP comes from.
    public var sender: SocketAddress
    public var ssrc: UInt32
    /// The sender's canonical name from its RTCP SDES (nil until one about this SSRC arrived from its host).
    /// Remote input: up to 255 bytes, decoded as UTF-8 with invalid bytes replaced.
    public var cname: String?
    /// Samples per channel in one RTP packet's Opus payload, at 48 kHz (240 = 5 ms).
    public var frameSamples: Int

    public init(sender: SocketAddress, ssrc: UInt32, cname: String?, frameSamples: Int) {
        self.sender = sender
        self.ssrc = ssrc
        self.cname = cname
        self.frameSamples = frameSamples
    }
}
