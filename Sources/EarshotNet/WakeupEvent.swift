import CEarshotLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A wake-up one thread sends and another waits for with a timeout (an eventfd): signals coalesce, none is lost
/// between a check and the wait.
///
/// A trivial value (a descriptor): copies share it, and `signal()` neither allocates nor blocks (one `write`), so a
/// producer thread may call it. The owner creates it before the threads start and calls `close()` after both stopped.
public struct WakeupEvent: @unchecked Sendable {
    public let fileDescriptor: Int32

    public init() throws(SocketError) {
        let descriptor = earshot_eventfd_create()
        guard descriptor >= 0 else { throw SocketError(operation: .poll, code: errno) }
        fileDescriptor = descriptor
    }

    /// Wakes the waiter, now or at its next wait. Any thread.
    public func signal() {
        _ = earshot_eventfd_signal(fileDescriptor)
    }

    /// Waits until signalled or `timeoutNanoseconds` passed (negative: forever); true when signalled (the signal is
    /// consumed). One waiting thread.
    @discardableResult
    public func wait(timeoutNanoseconds: Int64) -> Bool {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        guard earshot_ppoll(&descriptor, 1, timeoutNanoseconds) > 0 else { return false }
        var count: UInt64 = 0
        return read(fileDescriptor, &count, 8) == 8
    }

    /// Owner only, after no thread uses it.
    public func close() { _ = Glibc.close(fileDescriptor) }
}
