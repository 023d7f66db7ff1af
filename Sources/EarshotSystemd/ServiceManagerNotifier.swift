import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The service manager that started this process, reached through libsystemd's `sd_notify(3)` on the datagram
/// socket named by `NOTIFY_SOCKET` (systemd sets it for `Type=notify` units), and its watchdog interval
/// (`sd_watchdog_enabled(3)`: `WATCHDOG_USEC`, set from `WatchdogSec=`).
///
/// A value; `send` is a non-blocking datagram, but formats a string: call it from a control thread, never from a
/// real-time one. The environment is left unchanged: children inherit `NOTIFY_SOCKET`, and with `NotifyAccess=main`
/// the manager ignores what they send.
public struct ServiceManagerNotifier: Sendable {
    /// `NOTIFY_SOCKET` as found at start.
    public let socket: String
    /// How often the manager expects `WATCHDOG=1` at the latest, in microseconds; nil without a watchdog.
    /// Send at half this interval (sd_watchdog_enabled(3)).
    public let watchdogIntervalMicroseconds: UInt64?

    /// The manager named by this process's environment, or nil when none started it (no `NOTIFY_SOCKET`).
    public static func fromEnvironment() throws(ServiceNotificationError) -> ServiceManagerNotifier? {
        guard let socketVariable = getenv("NOTIFY_SOCKET") else { return nil }
        var microseconds: UInt64 = 0
        let enabled = sd_watchdog_enabled(0, &microseconds)
        if enabled < 0 {
            let value = getenv("WATCHDOG_USEC").map { String(cString: $0) } ?? ""
            throw .invalidWatchdogInterval(value: value)
        }
        return ServiceManagerNotifier(
            socket: String(cString: socketVariable), watchdogIntervalMicroseconds: enabled > 0 ? microseconds : nil)
    }

    /// The manager named by `NOTIFY_SOCKET`, with no watchdog (when `WATCHDOG_USEC` is unusable); nil without one.
    public static func withoutWatchdog() -> ServiceManagerNotifier? {
        guard let socketVariable = getenv("NOTIFY_SOCKET") else { return nil }
        return ServiceManagerNotifier(socket: String(cString: socketVariable), watchdogIntervalMicroseconds: nil)
    }

    /// Sends one message. Any thread but a real-time one.
    public func send(_ notification: ServiceNotification) throws(ServiceNotificationError) {
        let result = sd_notify(0, notification.assignment)
        if result < 0 { throw .sendFailed(socket: socket, code: result) }
    }
}
