import CEarshotLinux

#if canImport(Glibc)
import Glibc
#endif

/// Waits until any of a fixed set of sockets is readable, with a nanosecond timeout (`ppoll`).
///
/// The descriptor array is allocated once in `init`; `wait` does not allocate. Single-threaded use.
public struct ReadinessPoll {
    private var descriptors: [pollfd]

    public init(_ sockets: [UDPSocket]) {
        descriptors = sockets.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
    }

    /// Asks the kernel to wake timed waits of the calling thread on time (timer slack 1 ns instead of 50 µs),
    /// for loops that schedule sends to the deadline. Best effort: returns false if refused.
    @discardableResult
    public static func requestPreciseWakeups() -> Bool { earshot_set_minimal_timer_slack() == 0 }

    /// Blocks up to `timeoutNanoseconds` (negative: forever). Returns how many sockets are readable;
    /// 0 on timeout or when a signal interrupted the wait (so the caller can check its stop flag).
    public mutating func wait(timeoutNanoseconds: Int64) throws(SocketError) -> Int {
        let count = nfds_t(descriptors.count)
        let ready = descriptors.withUnsafeMutableBufferPointer { earshot_ppoll($0.baseAddress, count, timeoutNanoseconds) }
        if ready >= 0 { return Int(ready) }
        if errno == EINTR { return 0 }
        throw SocketError(operation: .poll, code: errno)
    }

    /// Whether socket `index` (in `init` order) was readable at the last `wait`.
    public func isReadable(_ index: Int) -> Bool {
        descriptors[index].revents & Int16(POLLIN | POLLERR) != 0
    }
}
