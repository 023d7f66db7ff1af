import Foundation

/// The share of the machine's CPU time that the hypervisor gave to other guests between `init` and `percent()`
/// ("steal" in /proc/stat, over all CPUs).
///
/// Why: on a shared VM the paced rig's PulseAudio underflows while the host steals CPU, whatever plays into it. A test
/// that judges the rig's own dropouts reads this to tell a host that stole from one that did not.
public struct HostStealMeter: Sendable {
    private let start: (steal: Double, total: Double)?

    public init() { start = Self.ticks() }

    /// Above this much steal over a run, the rig's own underflows are the host's (30 s streams on 2026-11-26: 37
    /// xruns at 19 % steal, 1–8 at 3–7 %, 0–1 on a quiet host, whichever build played).
    public static let noisyPercent = 2.0

    /// Underflows of the rig's stream (xruns, and the dropouts they leave in its recording) a run may show at this
    /// much steal: one on a quiet host, three on a noisy one.
    public static func rigUnderflowsAllowed(stealPercent: Double) -> Int { stealPercent > noisyPercent ? 3 : 1 }

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
