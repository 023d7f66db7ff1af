/// Metadata of one received datagram; the payload is in the caller's buffer (first `byteCount` bytes).
public struct Datagram: Sendable, Equatable {
    /// Payload length. Equal to the buffer size when `truncated` (the datagram was larger).
    public var byteCount: Int
    public var source: SocketAddress
    /// Wall-clock (CLOCK_REALTIME) time the kernel received the datagram, nanoseconds since the Unix epoch.
    public var receiveTime: Int64
    /// True when `receiveTime` came from `SCM_TIMESTAMPNS`; false when it is a user-space fallback.
    public var receiveTimeIsFromKernel: Bool
    /// CLOCK_MONOTONIC time the datagram arrived: the kernel's receive timestamp carried over to the monotonic
    /// clock (when `recvmsg` returned if there is none). The clock jitter math should use.
    public var arrival: MonotonicInstant
    /// The datagram did not fit the buffer and was cut (`MSG_TRUNC`).
    public var truncated: Bool
}
