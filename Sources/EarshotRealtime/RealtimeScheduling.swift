#if canImport(Glibc)
    import Glibc
#endif

/// The scheduling a real-time thread asks for. `SCHED_FIFO` needs root or `CAP_SYS_NICE` / an `rtprio` limit; when it
/// is refused the thread runs with normal scheduling and the caller gets exactly one warning to log.
public enum RealtimeScheduling: Sendable, Equatable {
    /// Normal (`SCHED_OTHER`) scheduling; never warns.
    case normal
    /// `SCHED_FIFO` at `priority` (1…99; audio servers commonly use 70–90).
    case fifo(priority: Int32)

    /// Applies to the calling thread. Returns nil on success (or for `.normal`), else the one warning to log.
    /// Call before entering a real-time loop: the warning text is allocated.
    public func applyToCurrentThread() -> String? {
        guard case .fifo(let priority) = self else { return nil }
        var parameters = sched_param()
        parameters.sched_priority = priority
        let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        guard result != 0 else { return nil }
        return Self.warning(priority: priority, code: result)
    }

    static func warning(priority: Int32, code: Int32) -> String {
        "SCHED_FIFO priority \(priority) refused (\(String(cString: strerror(code)))); running with normal "
            + "scheduling, expect more glitches under load. Grant it with CAP_SYS_NICE or an `rtprio` limit "
            + "(e.g. LimitRTPRIO= in the systemd unit)."
    }
}
