/// One message to the service manager, as `sd_notify(3)` spells it (`NAME=value`).
public enum ServiceNotification: Sendable, Equatable {
    /// `READY=1`: start-up is finished; a `Type=notify` unit counts as started from here.
    case ready
    /// `STATUS=…`: a one-line summary that `systemctl status` shows. Line breaks become spaces.
    case status(String)
    /// `WATCHDOG=1`: the service is alive; without one within `WatchdogSec=` the manager kills and restarts it.
    case watchdog
    /// `STOPPING=1`: shutting down (sent on SIGTERM/SIGINT, before the threads are stopped).
    case stopping

    /// The assignment sent on the socket.
    public var assignment: String {
        switch self {
        case .ready: "READY=1"
        case .status(let text):
            "STATUS=" + String(text.map { $0.isNewline ? " " : $0 })
        case .watchdog: "WATCHDOG=1"
        case .stopping: "STOPPING=1"
        }
    }
}
