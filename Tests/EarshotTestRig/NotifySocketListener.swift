import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in for systemd's end of the `sd_notify(3)` protocol: a unix datagram socket bound at a fresh path, whose
/// messages (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`) are collected with their arrival time by a reader
/// thread. Pass `environment(watchdogMicroseconds:)` to the child process.
///
/// Usage: `let manager = try NotifySocketListener(); defer { manager.close() }`. `messages` may be read from any
/// thread while the reader runs; `close()` stops it (also on deinit).
public final class NotifySocketListener: @unchecked Sendable {
    /// One datagram (one or more newline-separated assignments, as sent) and when it arrived, in seconds since the
    /// listener was created.
    public struct Message: Sendable {
        public var seconds: Double
        public var text: String
    }

    public let path: String
    private let descriptor: Int32
    private let created = Date()
    private let lock = NSLock()
    private var received: [Message] = []
    private var stopRequested = false
    private var reader: Thread?
    private let finished = DispatchSemaphore(value: 0)

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-notify-\(UUID().uuidString)").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw NotifySocketError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw NotifySocketError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw NotifySocketError("bind \(path): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Unowned(unsafe): `close()`, also run by deinit, waits for the thread to end before the memory can go.
        let thread = Thread { [unowned(unsafe) self] in self.readUntilClosed() }
        reader = thread
        thread.start()
    }

    /// `NOTIFY_SOCKET` pointing here, and `WATCHDOG_USEC` when given.
    public func environment(watchdogMicroseconds: Int? = nil) -> [String: String] {
        var environment = ["NOTIFY_SOCKET": path]
        if let watchdogMicroseconds { environment["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
        return environment
    }

    /// Every message so far, in arrival order.
    public var messages: [Message] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits up to `seconds` for a message that satisfies `predicate`; returns it.
    public func wait(seconds: Double, for predicate: (Message) -> Bool) -> Message? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = messages.first(where: predicate) { return found }
            usleep(10_000)
        }
        return messages.first(where: predicate)
    }

    /// Seconds since the listener was created (the clock of `Message.seconds`).
    public var now: Double { Date().timeIntervalSince(created) }

    public func close() {
        lock.lock()
        let wasRunning = !stopRequested
        stopRequested = true
        lock.unlock()
        guard wasRunning else { return }
        finished.wait()
        Glibc.close(descriptor)
        unlink(path)
    }

    deinit { close() }

    private func readUntilClosed() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock()
            let stop = stopRequested
            lock.unlock()
            if stop { break }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let message = Message(
                seconds: Date().timeIntervalSince(created), text: String(decoding: buffer[0..<count], as: UTF8.self))
            lock.lock()
            received.append(message)
            lock.unlock()
        }
        finished.signal()
    }
}

public struct NotifySocketError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
