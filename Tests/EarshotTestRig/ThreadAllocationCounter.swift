import CEarshotLinux
import Foundation
import MallocInterposerSwift

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the allocations one thread makes, with ordo-one's malloc interposer. The interposer's own counters sum
/// over all threads, and Swift Testing runs other suites in parallel, so the hook filters by kernel thread id
/// (`gettid`, a syscall that does not allocate). The hook is process-global: suites using it must be `.serialized`.
public enum ThreadAllocationCounter {
    nonisolated(unsafe) private static var watchedThread: pid_t = 0
    nonisolated(unsafe) private static var count = 0

    /// Allocations made by the calling thread while `body` runs.
    public static func measure(_ body: () throws -> Void) rethrows -> Int {
        try measure(thread: currentThreadID, during: body)
    }

    /// Allocations made by thread `thread` (a kernel thread id, e.g. from `threadIDs(named:)` or
    /// `threadIDs(withRealtimePriority:)`) while `body` runs on the calling thread (typically: sleeps while
    /// `thread` works).
    public static func measure(thread: pid_t, during body: () throws -> Void) rethrows -> Int {
        watchedThread = thread
        count = 0
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.setAllocationHook { _ in
            if earshot_gettid() == ThreadAllocationCounter.watchedThread { ThreadAllocationCounter.count += 1 }
        }
        MallocInterposerSwift.hook()
        defer {
            MallocInterposerSwift.unhook()
            MallocInterposerSwift.setAllocationHook(nil)
        }
        try body()
        return count
    }

    public static var currentThreadID: pid_t { earshot_gettid() }

    /// Threads of this process running `SCHED_FIFO` at `priority` (fields 40-41 of `/proc/self/task/TID/stat`).
    /// Give the thread under test a priority nothing else in the test process uses, then find it with this.
    public static func threadIDs(withRealtimePriority priority: Int) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { name -> pid_t? in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(name)/stat", encoding: .utf8),
                let commEnd = stat.range(of: ")", options: .backwards)
            else { return nil }
            // Fields after the command name start at field 3 (state); rt_priority is field 40, policy 41.
            let fields = stat[commEnd.upperBound...].split(separator: " ")
            guard fields.count >= 39, Int(fields[37]) == priority, Int(fields[38]) == Int(SCHED_FIFO) else {
                return nil
            }
            return pid_t(name)
        }
    }
}
