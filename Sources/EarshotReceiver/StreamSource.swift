import EarshotNet

/// The sender a receiver is locked onto: one SSRC from one address (see `RTPSourceLock`), as `STATUS=` and the log
/// report it. A value; any thread.
public struct StreamSource: Sendable, Equatable {
    public var ssrc: UInt32
    public var address: SocketAddress
    /// Whether a stream plays now (`ReceiverPipeline.isStreamActive`; the lock may hold a silent sender until
    /// `--source-timeout`).
    public var isPlaying: Bool

    public init(ssrc: UInt32, address: SocketAddress, isPlaying: Bool) {
        self.ssrc = ssrc
        self.address = address
        self.isPlaying = isPlaying
    }
}
