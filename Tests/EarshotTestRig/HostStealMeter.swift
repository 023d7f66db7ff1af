import Foundation

/// The share of the machine's CPU time that the hypervisor gave to other guests between `init` and `percent()`
/// ("steal" in /proc/stat, over all CPUs).
///
/// Why: on a shared VM the paced rig's PulseAudio underflows while the host steals CPU, whatever plays into it. A test
/// that judges the rig's own dropouts reads this to tell a host that stole from one that did not.
public struct HostStealMeter: Sendable {
    private let start: (steal: Double, total: Double)?

    public init() { start = Self.ticks() }

    /// Percent of all CPU ticks since `init` that were stolen; 0 where /proc/stat has no steal field.
    public func percent() -> Double {
        guard let start, let now = Self.ticks(), now.total > start.total else { return 0 }
        return (now.steal - start.steal) / (now.total - start.total) * 100
    }

    /// The aggregate "cpu" line: user nice system idle iowait irq softirq steal (the 8th number), summed as total.
    private static func ticks() -> (steal: Double, total: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard fields.count == 8 else { return nil }
        return (fields[7], fields.reduce(0, +))
    }
}
