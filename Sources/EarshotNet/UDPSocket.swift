import CEarshotLinux

#if canImport(Glibc)
import Glibc
#endif

/// A bound UDP socket (IPv4 or IPv6) with kernel receive timestamps and an optional receive timeout.
///
/// Invariant: the receive path (`receive(into:)`) reuses the `msghdr`, `iovec`, source-address and control
/// buffers allocated in `init`, and the batch receive (`receive(into: DatagramBatch)`) those of the batch, so neither
/// allocates. One thread receives at a time (the producer thread); `send` may be called from another thread. Closes
/// the descriptor on deinit.
public final class UDPSocket {
    /// The kernel file descriptor, for readiness polling.
    public let fileDescriptor: Int32
    /// The address actually bound (port 0 replaced with the port the kernel chose).
    public let localAddress: SocketAddress
    /// False when the kernel refused `SO_TIMESTAMPNS`; receive times then come from CLOCK_REALTIME in user space.
    public let hasKernelTimestamps: Bool

    private let message: UnsafeMutablePointer<msghdr>
    private let vector: UnsafeMutablePointer<iovec>
    private let source: UnsafeMutablePointer<sockaddr_storage>
    private let control: UnsafeMutableRawBufferPointer

    /// Opens a socket of `address`'s family, sets `SO_REUSEADDR`, enables receive timestamps and binds.
    ///
    /// - Parameters:
    ///   - address: Where to bind; port 0 lets the kernel choose (read it back from `localAddress`).
    ///     To receive multicast, bind the group address (or the wildcard) and then `joinMulticastGroup`.
    ///   - receiveTimeoutNanoseconds: When set, `receive(into:)` returns nil after this long without data, so a
    ///     producer loop can check its stop flag.
    /// - Throws: `SocketError` naming the failed call; `EADDRINUSE` carries a hint to pick another port.
    public init(bindingTo address: SocketAddress, reuseAddress: Bool = true, receiveTimeoutNanoseconds: Int64? = nil)
        throws(SocketError)
    {
        let created = try syscallChecked(.create, address: address) {
            Int(socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
        }
        let descriptor = Int32(created)
        var ok = false
        defer { if !ok { close(descriptor) } }

        if reuseAddress {
            try Self.setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, Int32(1), "SO_REUSEADDR")
        }
        hasKernelTimestamps = earshot_enable_receive_timestamps(descriptor) == 0
        try address.withSockAddr { (pointer, length) throws(SocketError) in
            _ = try syscallChecked(.bind, address: address) { Int(bind(descriptor, pointer, length)) }
        }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &bound) { (pointer) throws(SocketError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SocketError) in
                try syscallChecked(.getsockname, address: address) { Int(getsockname(descriptor, raw, &boundLength)) }
            }
        }
        localAddress = withUnsafePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        } ?? address
        fileDescriptor = descriptor

        message = .allocate(capacity: 1)
        message.initialize(to: msghdr())
        vector = .allocate(capacity: 1)
        vector.initialize(to: iovec())
        source = .allocate(capacity: 1)
        source.initialize(to: sockaddr_storage())
        // Room for the timestamp plus slack for any other control message the kernel adds.
        control = .allocate(byteCount: earshot_timestamp_control_length() + 64, alignment: 16)
        control.initializeMemory(as: UInt8.self, repeating: 0)
        ok = true

        if let receiveTimeoutNanoseconds { try setReceiveTimeout(nanoseconds: receiveTimeoutNanoseconds) }
    }

    deinit {
        close(fileDescriptor)
        message.deallocate()
        vector.deallocate()
        source.deallocate()
        control.deallocate()
    }

    // MARK: - Receive

    /// Receives one datagram into `buffer`. Returns nil when the receive timeout expired with no data.
    ///
    /// Allocation-free and lock-free in user space (one `recvmsg`, one `clock_gettime`). Call from one thread.
    /// Proven at run time by a malloc-counting test (`@_noAllocation` cannot be used: Swift 6.3 rejects every call
    /// into C and every copy of an imported C struct such as `sockaddr_in` as "not available in this module").
    /// - Throws: `SocketError(.receive, errno)`; `EINTR` is retried.
    /// - Parameter wait: false: return nil at once when no datagram is queued (`MSG_DONTWAIT`), for draining a
    ///   socket after a readiness poll without paying the receive timeout.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, wait: Bool = true) throws(SocketError)
        -> Datagram?
    {
        vector.pointee.iov_base = buffer.baseAddress
        vector.pointee.iov_len = buffer.count
        message.pointee.msg_name = UnsafeMutableRawPointer(source)
        message.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        message.pointee.msg_iov = vector
        message.pointee.msg_iovlen = 1
        message.pointee.msg_control = control.baseAddress
        message.pointee.msg_controllen = control.count
        message.pointee.msg_flags = 0

        let descriptor = fileDescriptor
        let header = message
        let flags = wait ? 0 : Int32(MSG_DONTWAIT)
        guard let received = try syscall(blocking: false, .receive, { recvmsg(descriptor, header, flags) }) else {
            return nil
        }
        return Datagram(
            received: Int(received), bufferSize: buffer.count, header: header, readInstant: MonotonicInstant.now(),
            readWallclock: realtimeNanoseconds())
    }

    /// Receives up to `batch.capacity` datagrams with one `recvmmsg` into `batch`'s preallocated slots; returns how
    /// many arrived (also `batch.count`). Read each with `batch[index]` and `batch.payload(at:)`, in arrival order,
    /// before the next receive into the same batch overwrites them.
    ///
    /// Bounded work per call: at most `batch.capacity` datagrams, whatever is queued; the rest stay queued for the
    /// next call (nothing is dropped). Each datagram carries its own kernel receive timestamp, carried over to the
    /// monotonic clock as `receive(into:)` does (one clock reading per call serves the whole batch), and its own
    /// `truncated` flag (larger than `batch.slotByteCount`).
    ///
    /// Allocation-free and lock-free in user space (one `recvmmsg`, two `clock_gettime`); proven at run time by a
    /// malloc-counting test. Call from one thread (the one owning `batch`); independent of `receive(into:)`'s
    /// buffers, so the two may be mixed on one thread.
    /// - Parameter wait: true: block until at least one datagram is queued or the receive timeout expires
    ///   (`MSG_WAITFORONE`: the ones after the first are taken only if already queued); false: never block
    ///   (`MSG_DONTWAIT`). Returns 0 on timeout or when nothing is queued.
    /// - Throws: `SocketError(.receiveBatch, errno)`; `EINTR` is retried. An error the kernel hits after some
    ///   datagrams were received is reported by the next call, after those datagrams are returned.
    @discardableResult
    public func receive(into batch: DatagramBatch, wait: Bool = true) throws(SocketError) -> Int {
        batch.prepareForReceive()
        let descriptor = fileDescriptor
        let messages = batch.messages
        let capacity = UInt32(batch.capacity)
        let flags = wait ? Int32(MSG_WAITFORONE) : Int32(MSG_DONTWAIT)
        guard
            let received = try syscall(
                blocking: false, .receiveBatch, { Int(earshot_recvmmsg(descriptor, messages, capacity, flags)) })
        else {
            return 0
        }
        batch.complete(count: received, readInstant: MonotonicInstant.now(), readWallclock: realtimeNanoseconds())
        return received
    }

    /// Sets `SO_RCVTIMEO`: `receive(into:)` returns nil after this long without data. 0 waits forever.
    /// The kernel rounds it up to its tick (4 ms at HZ=250): use it for stop-flag checks, not for pacing.
    public func setReceiveTimeout(nanoseconds: Int64) throws(SocketError) {
        let time = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
        try Self.setOption(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, time, "SO_RCVTIMEO")
    }

    // MARK: - Send

    /// Sends one datagram; returns the bytes sent. Allocation-free. `EINTR` is retried.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(SocketError) -> Int {
        let descriptor = fileDescriptor
        return try destination.withSockAddr { (pointer, length) throws(SocketError) -> Int in
            try syscallChecked(.send, address: destination) {
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), pointer, length)
            }
        }
    }

    @discardableResult
    public func send(_ bytes: [UInt8], to destination: SocketAddress) throws(SocketError) -> Int {
        // `withUnsafeBytes` rethrows untyped; carry the typed error out through a Result.
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SocketError) -> Int in try send(raw, to: destination) } }
        return try result.get()
    }

    // MARK: - Multicast

    /// Joins `group` (IPv4 224.0.0.0/4 or IPv6 ff00::/8) on `interface` (nil: the kernel's choice by route).
    /// The socket's family must match the group's.
    public func joinMulticastGroup(_ group: SocketAddress, interface: NetworkInterface? = nil) throws(SocketError) {
        guard group.isMulticast, group.family == localAddress.family else {
            throw SocketError(operation: .joinGroup, code: EINVAL, address: group)
        }
        switch group {
        case .v4(let address):
            var request = ip_mreqn()
            request.imr_multiaddr = address.sin_addr
            request.imr_ifindex = Int32(interface?.index ?? 0)
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, request, "IP_ADD_MEMBERSHIP")
        case .v6(let address):
            var request = ipv6_mreq()
            request.ipv6mr_multiaddr = address.sin6_addr
            request.ipv6mr_interface = interface?.index ?? 0
            try Self.setOption(
                fileDescriptor, Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, request, "IPV6_ADD_MEMBERSHIP")
        }
    }

    /// Hop limit of multicast datagrams this socket sends (IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS).
    public func setMulticastHops(_ hops: Int32) throws(SocketError) {
        if localAddress.family == AF_INET {
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_TTL, hops, "IP_MULTICAST_TTL")
        } else {
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, hops, "IPV6_MULTICAST_HOPS")
        }
    }

    /// Whether multicast this socket sends is looped back to local receivers.
    public func setMulticastLoopback(_ enabled: Bool) throws(SocketError) {
        let value: Int32 = enabled ? 1 : 0
        if localAddress.family == AF_INET {
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, value, "IP_MULTICAST_LOOP")
        } else {
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, value, "IPV6_MULTICAST_LOOP")
        }
    }

    /// The interface multicast this socket sends leaves through (`--interface` on the sender).
    public func setMulticastInterface(_ interface: NetworkInterface) throws(SocketError) {
        if localAddress.family == AF_INET {
            var request = ip_mreqn()
            request.imr_ifindex = Int32(interface.index)
            try Self.setOption(fileDescriptor, Int32(IPPROTO_IP), IP_MULTICAST_IF, request, "IP_MULTICAST_IF")
        } else {
            try Self.setOption(
                fileDescriptor, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, Int32(interface.index), "IPV6_MULTICAST_IF")
        }
    }

    // MARK: - Buffers

    /// Requests a kernel receive buffer of `bytes` and returns the size the kernel granted, as `getsockopt(SO_RCVBUF)`
    /// reads it back: Linux doubles the request (the extra half pays for its per-datagram bookkeeping, so fewer payload
    /// bytes than the granted size fit) after capping it at `net.core.rmem_max`; a granted size under `2 × bytes` means
    /// the cap applied.
    ///
    /// - Parameter beyondSystemLimit: ask with `SO_RCVBUFFORCE`, which ignores `rmem_max` but needs `CAP_NET_ADMIN`;
    ///   when refused (`EPERM`) the plain, capped `SO_RCVBUF` request is made instead (compare the result).
    /// - Throws: `SocketError` naming the option (`EINVAL` for a negative size).
    @discardableResult
    public func setReceiveBufferSize(_ bytes: Int32, beyondSystemLimit: Bool = false) throws(SocketError) -> Int32 {
        if beyondSystemLimit {
            do {
                try Self.setOption(fileDescriptor, SOL_SOCKET, SO_RCVBUFFORCE, bytes, "SO_RCVBUFFORCE")
                return try receiveBufferSize
            } catch where error.code == EPERM {
                // Not privileged: the capped request below.
            }
        }
        try Self.setOption(fileDescriptor, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF")
        return try receiveBufferSize
    }

    /// The kernel receive buffer size now (`getsockopt(SO_RCVBUF)`), in the kernel's doubled accounting: by default
    /// `net.core.rmem_default`, after `setReceiveBufferSize` what was granted.
    public var receiveBufferSize: Int32 {
        get throws(SocketError) { try Self.getOption(fileDescriptor, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF") }
    }

    /// Requests a kernel send buffer of `bytes`; returns what the kernel granted.
    @discardableResult
    public func setSendBufferSize(_ bytes: Int32) throws(SocketError) -> Int32 {
        try Self.setOption(fileDescriptor, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF")
        return try Self.getOption(fileDescriptor, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF")
    }

    // MARK: - Options

    private static func setOption<Value>(
        _ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Value, _ label: String
    ) throws(SocketError) {
        var value = value
        _ = try syscallChecked(.setOption(label)) {
            withUnsafePointer(to: &value) {
                Int(setsockopt(descriptor, level, name, $0, socklen_t(MemoryLayout<Value>.size)))
            }
        }
    }

    private static func getOption(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ label: String)
        throws(SocketError) -> Int32
    {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try syscallChecked(.getOption(label)) { Int(getsockopt(descriptor, level, name, &value, &length)) }
        return value
    }
}
