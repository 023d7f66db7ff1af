import CEarshotLinux
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the owner's commands when a stream starts (`--on-active`) and when the receiver goes idle (`--on-idle`):
/// to power an amplifier or a relay. Each runs as `/bin/sh -c COMMAND` with `EARSHOT_ACTIVITY` set to `active` or
/// `idle`, stdin from /dev/null and none of the receiver's other descriptors, is never waited for (children are reaped
/// at later `update` calls, and a failure is logged with its exit status), so neither the receiver's threads nor the caller's loop block on it.
///
/// The first change seen runs its command whatever came before the process started: an amplifier left on by an
/// earlier run is switched off once the receiver is idle. Threads: one control thread.
public final class ActivityCommands {
    public enum Activity: String, Sendable {
        case active
        case idle
    }

    public let onActive: String?
    public let onIdle: String?
    private let logger: Logger
    private var reported: Activity?
    private var running: [(pid: pid_t, activity: Activity)] = []

    public init(onActive: String?, onIdle: String?, logger: Logger) {
        self.onActive = onActive
        self.onIdle = onIdle
        self.logger = logger
    }

    /// Notes what the receiver does now (`streamActive`: a stream plays; `idle`: none for the standby time) and runs
    /// the command of a change; reaps finished commands. Returns the command's activity if one was started.
    @discardableResult
    public func update(streamActive: Bool, idle: Bool) -> Activity? {
        reap()
        let now: Activity? = streamActive ? .active : (idle ? .idle : nil)
        guard let now, now != reported else { return nil }
        reported = now
        guard let command = now == .active ? onActive : onIdle else { return nil }
        logger.info("stream \(now == .active ? "started" : "idle"): running --on-\(now.rawValue) '\(command)'")
        guard let pid = spawn(command, activity: now) else { return nil }
        running.append((pid, now))
        return now
    }

    /// Collects finished commands, logging those that failed.
    public func reap() {
        running.removeAll { child in
            var status: Int32 = 0
            let result = waitpid(child.pid, &status, WNOHANG)
            guard result == child.pid || result < 0 else { return false }
            if result == child.pid {
                let exited = status & 0x7f == 0
                let code = (status >> 8) & 0xff
                if !exited || code != 0 {
                    logger.warning("""
                        --on-\(child.activity.rawValue) command failed (\(exited ? "exit status \(code)" : "killed by signal \(status & 0x7f)"))
                        """)
                }
            }
            return true
        }
    }

    private func spawn(_ command: String, activity: Activity) -> pid_t? {
        var environment = [String]()
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !text.hasPrefix("EARSHOT_ACTIVITY=") { environment.append(text) }
            index += 1
        }
        environment.append("EARSHOT_ACTIVITY=\(activity.rawValue)")
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid = pid_t()
        let result = earshot_spawn_shell(command, envp, &pid)
        guard result == 0 else {
            logger.error("--on-\(activity.rawValue): cannot start /bin/sh: \(String(cString: strerror(result)))")
            return nil
        }
        return pid
    }
}
