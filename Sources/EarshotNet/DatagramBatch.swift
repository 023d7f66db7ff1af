import CEarshotLinux

#if canImport(Glibc)
import Glibc
#endif

/// Preallocated room for one `recvmmsg` (`UDPSocket.receive(into:wait:)`): `capacity` payload slots of
/// `slotByteCount` bytes each, with their `iovec`s, source addresses, control buffers for the kernel receive
/// timestamp, message headers and the resulting `Datagram`s.
///
/// Invariants: everything is allocated once in `init` and reused, so receiving into a batch never allocates;
/// `0 ≤ count ≤ capacity`; `self[i]` and `payload(at: i)` for `i < count` describe the latest receive, in arrival
/// order, until the next receive into this batch overwrites them.
///
/// Owned by one thread at a time (the receiving one, e.g. the receiver's producer): not `Sendable`.
public final class DatagramBatch {
    /// The most datagrams one receive returns.
    public let capacity: Int
    /// Bytes per payload slot: a larger datagram is cut to this and flagged `truncated`.
    public let slotByteCount: Int
    /// Datagrams the latest receive returned.
    public private(set) var count = 0

    /// `capacity` message headers, in the layout `recvmmsg` takes.
    let messages: UnsafeMutablePointer<earshot_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let sources: UnsafeMutablePointer<sockaddr_storage>
    private let payloads: UnsafeMutableRawPointer
    private let controls: UnsafeMutableRawPointer
    /// Bytes of control buffer per message: the timestamp plus slack for any other message the kernel adds.
    private let controlStride: Int
    private let datagrams: UnsafeMutablePointer<Datagram>

    /// Allocates room for `capacity` datagrams of up to `slotByteCount` bytes each. Start-up only (it allocates).
    ///
    /// - Parameters:
    ///   - capacity: 1 ... 1024 (`UIO_MAXIOV`, the kernel's cap per call). 32 bounds one wake-up's work at a few
    ///     tens of microseconds.
    ///   - slotByteCount: at least 1; 2048 holds any datagram of a 1500-byte MTU with room to spare.
    public init(capacity: Int = 32, slotByteCount: Int = 2048) {
        precondition((1...1024).contains(capacity), "DatagramBatch capacity \(capacity) not in 1 ... 1024")
        precondition(slotByteCount >= 1, "DatagramBatch slotByteCount must be at least 1")
        self.capacity = capacity
        self.slotByteCount = slotByteCount
        let controlLength = earshot_timestamp_control_length() + 64
        controlStride = (controlLength + 15) & ~15
        payloads = .allocate(byteCount: capacity * slotByteCount, alignment: 16)
        payloads.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * slotByteCount)
        controls = .allocate(byteCount: capacity * controlStride, alignment: 16)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * controlStride)
        vectors = .allocate(capacity: capacity)
        sources = .allocate(capacity: capacity)
        sources.initialize(repeating: sockaddr_storage(), count: capacity)
        messages = .allocate(capacity: capacity)
        datagrams = .allocate(capacity: capacity)
        let unspecified = SocketAddress(ipv4: (0, 0, 0, 0), port: 0)
        for index in 0..<capacity {
            (vectors + index).initialize(
                to: iovec(iov_base: payloads + index * slotByteCount, iov_len: slotByteCount))
            var header = msghdr()
            header.msg_name = UnsafeMutableRawPointer(sources + index)
            header.msg_iov = vectors + index
            header.msg_iovlen = 1
            header.msg_control = controls + index * controlStride
            (messages + index).initialize(to: earshot_mmsghdr(msg_hdr: header, msg_len: 0))
            (datagrams + index).initialize(
                to: Datagram(
                    byteCount: 0, source: unspecified, receiveTime: 0, receiveTimeIsFromKernel: false,
                    arrival: MonotonicInstant(nanoseconds: 0), truncated: false))
        }
        prepareForReceive()
    }

    deinit {
        payloads.deallocate()
        controls.deallocate()
        vectors.deallocate()
        sources.deallocate()
        messages.deallocate()
        datagrams.deallocate()
    }

    /// Datagram `index` (`0 ..< count`) of the latest receive: its length, source, times and truncation.
    @inline(__always)
    public subscript(index: Int) -> Datagram {
        precondition(index >= 0 && index < count, "DatagramBatch index out of range")
        return datagrams[index]
    }

    /// The payload of datagram `index` (`0 ..< count`): its first `byteCount` bytes in the slot. Mutable, so it can be
    /// decrypted or rewritten in place; valid until the next receive into this batch.
    @inline(__always)
    public func payload(at index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(index >= 0 && index < count, "DatagramBatch index out of range")
        return UnsafeMutableRawBufferPointer(start: payloads + index * slotByteCount, count: datagrams[index].byteCount)
    }

    /// Resets what the kernel rewrites in each header (name and control lengths, flags) and empties the batch.
    /// Allocation-free.
    func prepareForReceive() {
        count = 0
        for index in 0..<capacity {
            messages[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            messages[index].msg_hdr.msg_controllen = controlStride
            messages[index].msg_hdr.msg_flags = 0
            messages[index].msg_len = 0
        }
    }

    /// Reads the first `received` completed headers into datagrams. Allocation-free.
    func complete(count received: Int, readInstant: MonotonicInstant, readWallclock: Int64) {
        for index in 0..<received {
            datagrams[index] = withUnsafeMutablePointer(to: &messages[index].msg_hdr) { header in
                Datagram(
                    received: Int(messages[index].msg_len), bufferSize: slotByteCount, header: header,
                    readInstant: readInstant, readWallclock: readWallclock)
            }
        }
        count = received
    }
}
