import Foundation

/// CPU time and peak resident memory of a running process, read from /proc (Linux).
public struct ProcessUsage: Sendable {
    /// utime + stime, seconds.
    public var cpuSeconds: Double
    /// VmHWM: peak resident set size, kB.
    public var peakRSSKilobytes: Int

    /// Reads /proc/PID/stat and /proc/PID/status; nil when the process is gone.
    public static func read(pid: Int32) -> ProcessUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var hwm = 0
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            hwm = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return ProcessUsage(cpuSeconds: (utime + stime) / ticks, peakRSSKilobytes: hwm)
    }
}
