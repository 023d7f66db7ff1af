import CAllocationCounter
import CEarshotLinux
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the allocations one thread makes, with the suite's own malloc interposer (`CAllocationCounter`), which
/// counts only the watched kernel thread's calls: Swift Testing runs other suites in parallel. The interposer is
/// process-global: suites using it must be `.serialized`.
public enum ThreadAllocationCounter {
    /// Allocations made by the calling thread while `body` runs.
    public static func measure(_ body: () throws -> Void) rethrows -> Int {
        try measure(thread: currentThreadID, during: body)
    }

    /// Allocations made by thread `thread` (a kernel thread id, e.g. from `threadIDs(named:)` or
    /// `threadIDs(withRealtimePriority:)`) while `body` runs on the calling thread (typically: sleeps while
    /// `thread` works).
    public static func measure(thread: pid_t, during body: () throws -> Void) rethrows -> Int {
        earshot_allocation_count_begin(thread)
        // Also stops counting when `body` throws (stopping twice is harmless).
        defer { _ = earshot_allocation_count_end() }
        try body()
        return earshot_allocation_count_end()
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
