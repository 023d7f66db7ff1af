/// Why a message to the service manager could not be sent, and what to do about it.
public enum ServiceNotificationError: Error, Equatable, CustomStringConvertible {
    /// `sd_notify` failed (negative errno `code`) on the socket named by `NOTIFY_SOCKET`.
    case sendFailed(socket: String, code: Int32)
    /// `WATCHDOG_USEC` is set but not a positive number of microseconds.
    case invalidWatchdogInterval(value: String)

    public var description: String {
        switch self {
        case .sendFailed(let socket, let code):
            "sd_notify on NOTIFY_SOCKET=\(socket) failed (errno \(-code)): is the service manager still running? "
                + "Outside systemd, unset NOTIFY_SOCKET."
        case .invalidWatchdogInterval(let value):
            "WATCHDOG_USEC='\(value)' is not a positive number of microseconds: set WatchdogSec= in the unit "
                + "(or unset WATCHDOG_USEC)."
        }
    }
}
