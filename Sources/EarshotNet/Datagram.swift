import CEarshotLinux

#if canImport(Glibc)
import Glibc
#endif

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

    public init(
        byteCount: Int, source: SocketAddress, receiveTime: Int64, receiveTimeIsFromKernel: Bool,
        arrival: MonotonicInstant, truncated: Bool
    ) {
        self.byteCount = byteCount
        self.source = source
        self.receiveTime = receiveTime
        self.receiveTimeIsFromKernel = receiveTimeIsFromKernel
        self.arrival = arrival
        self.truncated = truncated
    }

    /// Reads one completed `recvmsg`/`recvmmsg` message: `received` bytes returned by the kernel into a buffer of
    /// `bufferSize` bytes, the source address in `header.msg_name`, the `SCM_TIMESTAMPNS` control message, and
    /// `MSG_TRUNC` in `header.msg_flags`. `readInstant` and `readWallclock` are the clocks read once the call returned
    /// (one reading serves a whole batch).
    ///
    /// Allocation-free (the receive paths rely on it); any thread.
    @inline(__always)
    init(
        received: Int, bufferSize: Int, header: UnsafePointer<msghdr>, readInstant: MonotonicInstant,
        readWallclock: Int64
    ) {
        var kernelTime = timespec()
        let fromKernel = earshot_receive_timestamp(header, &kernelTime) == 1
        let receiveTime = fromKernel
            ? Int64(kernelTime.tv_sec) * 1_000_000_000 + Int64(kernelTime.tv_nsec)
            : readWallclock
        // The kernel stamps CLOCK_REALTIME only; its age at read time carries it over to the monotonic clock. A
        // reader that drains the socket on its own schedule (the receiver's producer) would otherwise see its own
        // wake-ups as network jitter. An age outside 0 ... 1 s means the wall clock was stepped in between.
        let age = readWallclock - receiveTime
        // Two comparisons, not `(0...1_000_000_000).contains(age)`: unspecialized (a debug build), the range's generic
        // metadata is instantiated on the first datagram, which allocates on the receiving thread.
        let arrival = age >= 0 && age <= 1_000_000_000 ? readInstant + (-age) : readInstant
        let name = UnsafeRawPointer(header.pointee.msg_name!)
        let sourceAddress: SocketAddress
        if Int32(name.assumingMemoryBound(to: sockaddr.self).pointee.sa_family) == AF_INET6 {
            sourceAddress = .v6(name.load(as: sockaddr_in6.self))
        } else {
            sourceAddress = .v4(name.load(as: sockaddr_in.self))
        }
        self.init(
            byteCount: min(received, bufferSize), source: sourceAddress, receiveTime: receiveTime,
            receiveTimeIsFromKernel: fromKernel, arrival: arrival,
            truncated: header.pointee.msg_flags & Int32(MSG_TRUNC) != 0)
    }
}
