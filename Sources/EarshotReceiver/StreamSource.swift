import EarshotNet

/// The sender a receiver is locked onto: one SSRC from one address (see `RTPSourceLock`), as `STATUS=` and the log
/// report it. A value; any thread.
public struct StreamSource: Sendable, Equatable {
    public var ssrc: UInt32
    public var address: SocketAddress
    /// Whether its stream plays now (false once it went silent and the jitter buffer ran empty; the lock may still
    /// hold it until `--source-timeout`).
    public var isPlaying: Bool

    public init(ssrc: UInt32, address: SocketAddress, isPlaying: Bool) {
        self.ssrc = ssrc
        self.address = address
        self.isPlaying = isPlaying
    }
}
