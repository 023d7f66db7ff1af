#if canImport(Glibc)
    import Glibc
#endif

/// Locks every page of the process into RAM, present and future (`mlockall(MCL_CURRENT | MCL_FUTURE)`), so that a
/// real-time thread never waits for a page to be read back from disk or swap.
///
/// With `MCL_ONFAULT`: a page is locked once touched, not faulted in whole at the lock. The real-time threads touch
/// their buffers before they loop, so they keep the guarantee; but mappings never touched stay unbacked. Without it,
/// earshot-recv's 16 MB resident grew to 320 MB on the PulseAudio rig (the sound server's 64 MB shared-memory pools
/// and every thread's 8 MB stack faulted in).
///
/// Only where nothing can fail later: with an unlimited `RLIMIT_MEMLOCK` (`LimitMEMLOCK=infinity` in the unit,
/// `ulimit -l unlimited`) or `CAP_IPC_LOCK`, which ignores the limit. Under a finite limit `MCL_FUTURE` would make
/// any allocation past it fail, so then nothing is locked and the caller logs one warning. Control thread, at start.
public enum RealtimeMemoryLock {
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case locked
        /// `RLIMIT_MEMLOCK` is this many bytes and the process lacks `CAP_IPC_LOCK`.
        case limited(bytes: UInt64)
        /// `mlockall` failed with this errno.
        case failed(code: Int32)

        public var isLocked: Bool { self == .locked }

        public var description: String {
            let consequence = "a real-time thread may stall on a page fault under memory pressure"
            switch self {
            case .locked:
                return "memory locked (mlockall MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT): the real-time threads never wait for "
                    + "a page to be read back"
            case .limited(let bytes):
                return "memory not locked: RLIMIT_MEMLOCK is \(bytes / 1024) KiB (set LimitMEMLOCK=infinity in the "
                    + "unit, or `ulimit -l unlimited`); \(consequence)"
            case .failed(let code):
                return "memory not locked: mlockall failed (\(String(cString: strerror(code)))); \(consequence)"
            }
        }
    }

    /// Locks all memory where `mayLock` allows it; the outcome says what happened, for one log line. Call once, early, from the control thread.
    public static func lockAll() -> Outcome {
        var limit = rlimit()
        // RLIM_INFINITY is all ones (the C macro does not import); a limit that cannot be read counts as 0.
        let read = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0
        let limitBytes: UInt64? = !read ? 0 : limit.rlim_cur == rlim_t.max ? nil : UInt64(limit.rlim_cur)
        guard mayLock(limitBytes: limitBytes, hasIPCLockCapability: hasIPCLockCapability()) else {
            return .limited(bytes: limitBytes ?? 0)
        }
        return mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0 ? .locked : .failed(code: errno)
    }

    /// Whether locking is safe: an unlimited `RLIMIT_MEMLOCK` (`limitBytes` nil) or `CAP_IPC_LOCK`.
    static func mayLock(limitBytes: UInt64?, hasIPCLockCapability: Bool) -> Bool {
        limitBytes == nil || hasIPCLockCapability
    }

    /// `CAP_IPC_LOCK` (bit 14) in the effective set of `/proc/self/status`'s `CapEff:` line.
    static func hasIPCLockCapability() -> Bool {
        guard let file = fopen("/proc/self/status", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            guard text.hasPrefix("CapEff:") else { continue }
            let hex = String(text.dropFirst("CapEff:".count).filter(\.isHexDigit))
            guard let mask = UInt64(hex, radix: 16) else { return false }
            return mask & (1 << 14) != 0
        }
        return false
    }
}
