import Foundation

/// Where earshot-recv's share of the latency sits, from its periodic `stats` lines ("… delay 6.0/6.5 ms queue
/// 20.0 ms"): the jitter buffer's playout delay and target, and the decoded audio queued ahead of the speaker (ring
/// plus device buffer). Medians over the lines after the first 3, which still show the start-up target.
public struct ReceiverDelays: Sendable {
    public var playoutMs: Double
    public var targetMs: Double
    public var queueMs: Double

    /// Nil when the log has fewer than 4 periodic lines with these figures (another receiver, or no `--stats`).
    public init?(log: String) {
        var playout: [Double] = []
        var target: [Double] = []
        var queue: [Double] = []
        for line in log.split(separator: "\n") where line.hasPrefix("stats rx") {
            let words = line.split(separator: " ")
            guard let delayIndex = words.firstIndex(of: "delay"), let queueIndex = words.firstIndex(of: "queue"),
                delayIndex + 1 < words.count, queueIndex + 1 < words.count
            else { continue }
            let pair = words[delayIndex + 1].split(separator: "/")
            guard pair.count == 2, let current = Double(pair[0]), let aim = Double(pair[1]),
                let queued = Double(words[queueIndex + 1])
            else { continue }
            playout.append(current)
            target.append(aim)
            queue.append(queued)
        }
        guard playout.count >= 4 else { return nil }
        playoutMs = Self.median(playout.dropFirst(3))
        targetMs = Self.median(target.dropFirst(3))
        queueMs = Self.median(queue.dropFirst(3))
    }

    /// "6.0 (5.5); 20.0".
    public var description: String { String(format: "%.1f (%.1f); %.1f", playoutMs, targetMs, queueMs) }

    static func median(_ values: ArraySlice<Double>) -> Double { values.sorted()[values.count / 2] }
}
