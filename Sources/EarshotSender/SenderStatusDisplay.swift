#if canImport(Glibc)
import Glibc
#endif

/// Shows the sender's statistics on stderr: a one-line live status rewritten in place on a terminal, or plain log
/// lines every `interval` seconds when stderr is a file or pipe. Control thread only.
public struct SenderStatusDisplay: Sendable {
    /// Rewrite one line in place (`\r`, erase to end of line) instead of appending log lines.
    public let live: Bool
    /// Seconds between updates.
    public let interval: Double

    public init(live: Bool, interval: Double) {
        self.live = live
        self.interval = interval
    }

    /// A live line 4 times a second when stderr is a terminal, else log lines every `logInterval` seconds.
    public static func forStandardError(logInterval: Double) -> SenderStatusDisplay {
        isatty(STDERR_FILENO) == 1
            ? SenderStatusDisplay(live: true, interval: 0.25) : SenderStatusDisplay(live: false, interval: logInterval)
    }

    func show(_ statistics: SenderStatistics) {
        if live {
            write("\r\u{1B}[K" + statistics.statusLine)
        } else {
            write("earshot-send: " + statistics.logLine + "\n")
        }
    }

    /// The last line: ends the live line and logs the totals.
    func finish(_ statistics: SenderStatistics) {
        if live { write("\r\u{1B}[K") }
        write("earshot-send: done: " + statistics.logLine + "\n")
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
