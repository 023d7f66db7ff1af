import Foundation

/// CPU time the hypervisor gave to other guests ("steal" in /proc/stat), summed over all CPUs.
///
/// Why: on a shared VM the paced rig drops out when the host steals CPU, whatever system runs on it; a row measured
/// while the host stole a lot is suspect, and the table says so next to it.
public struct HostSteal: Sendable {
    /// Steal time since boot, seconds over all CPUs.
    public var seconds: Double

    /// The current reading; nil where /proc/stat has no steal field.
    public static func read() -> HostSteal? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        // "cpu user nice system idle iowait irq softirq steal ...": steal is the 8th number.
        let numbers = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst()
        guard numbers.count >= 8, let ticks = Double(numbers[numbers.startIndex + 7]) else { return nil }
        return HostSteal(seconds: ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Share of all CPUs' time stolen between `self` and `later`, `elapsed` seconds apart, in percent.
    public func percent(until later: HostSteal, elapsed: Double) -> Double {
        let cpus = Double(max(1, ProcessInfo.processInfo.activeProcessorCount))
        return elapsed > 0 ? (later.seconds - seconds) / (elapsed * cpus) * 100 : 0
    }
}
