import Foundation

/// The end-to-end results as a markdown table.
public enum ResultsTable {
    public static func markdown(_ results: [LatencyResult]) -> String {
        var lines = [
            "| system | network | latency median (ms) | p99 (ms) | max (ms) | bursts missed | dropouts (total ms)"
                + " | glitch windows (10 ms) | receiver-reported concealment; ring shortages, xruns"
                + " | recv playout delay (target); output queue, median ms"
                + " | recv CPU s/min | send CPU s/min | recv peak RSS (MB) | send peak RSS (MB) | host steal (%) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
        ]
        for result in results {
            var cells = [result.system, result.impairment]
            if let analysis = result.analysis {
                cells += [
                    ms(analysis.medianMs), ms(analysis.p99Ms), ms(analysis.maxMs),
                    "\(analysis.missedBursts)/\(analysis.burstsExpected)",
                    "\(analysis.dropouts) (\(String(format: "%.1f", analysis.dropoutMs)))",
                    "\(analysis.glitchWindows)/\(Int(analysis.analysedSeconds * 100))",
                ]
            } else {
                cells += [result.note ?? "—", "—", "—", "—", "—", "—"]
            }
            cells.append(concealment(result.receiverReport))
            cells.append(result.receiverDelays?.description ?? "n/a")
            cells += [
                cpu(result.receiver, seconds: result.receiverSeconds), cpu(result.sender, seconds: result.senderSeconds),
                rss(result.receiver), rss(result.sender),
                result.hostStealPercent.map { String(format: "%.1f", $0) } ?? "—",
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        let ratios = cpuAgainstTrx(results)
        if !ratios.isEmpty {
            lines += ["", "Receiver CPU as a multiple of trx-rx's (trx defaults) on the same network, same run:"] + ratios
        }
        return lines.joined(separator: "\n")
    }

    /// One line per measured row but trx's defaults and the rig floor: its receiver's CPU over trx defaults' on the
    /// same network. None without a trx defaults row.
    static func cpuAgainstTrx(_ results: [LatencyResult]) -> [String] {
        var trx: [String: Double] = [:]
        for result in results where result.system == SystemUnderTest.trxDefault.name {
            trx[result.impairment] = perMinute(result.receiver, seconds: result.receiverSeconds)
        }
        return results.compactMap { result in
            guard result.system != SystemUnderTest.trxDefault.name, !result.system.hasPrefix("rig floor"),
                  let own = perMinute(result.receiver, seconds: result.receiverSeconds),
                  let peer = trx[result.impairment], peer > 0 else { return nil }
            return String(format: "- %@, %@: %.2f×", result.system, result.impairment, own / peer)
        }
    }

    /// "plc N smp/M ev fec F … dev-under U xrun X" from earshot-recv's stats line, as "M events, N ms, F FEC; U, X";
    /// "n/a" without one. Ring shortages and xruns are the receiver's own dropouts, told apart from the rig's.
    static func concealment(_ report: String?) -> String {
        guard let report, let range = report.range(of: "plc ") else { return "n/a" }
        let words = report[range.upperBound...].split(separator: " ")
        guard words.count >= 5, let samples = Int(words[0]), words[1].hasPrefix("smp/") else { return "n/a" }
        let events = words[1].dropFirst(4)
        let fec = words[2] == "ev" && words[3] == "fec" ? String(words[4]) : "?"
        let concealment = "\(events) events, \(String(format: "%.0f", Double(samples) / 48)) ms, FEC \(fec)"
        guard let shortages = value(after: "dev-under", in: words), let xruns = value(after: "xrun", in: words) else {
            return concealment
        }
        return "\(concealment); \(shortages), \(xruns)"
    }

    static func value(after name: String, in words: [Substring]) -> Substring? {
        guard let index = words.firstIndex(of: Substring(name)), index + 1 < words.count else { return nil }
        return words[index + 1]
    }

    static func ms(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "—" }

    static func cpu(_ usage: ProcessUsage?, seconds: Double) -> String {
        perMinute(usage, seconds: seconds).map { String(format: "%.2f", $0) } ?? "—"
    }

    /// CPU seconds per minute of the run; nil without a measurement.
    static func perMinute(_ usage: ProcessUsage?, seconds: Double) -> Double? {
        guard let usage, seconds > 0 else { return nil }
        return usage.cpuSeconds / seconds * 60
    }

    static func rss(_ usage: ProcessUsage?) -> String {
        guard let usage else { return "—" }
        return String(format: "%.1f", Double(usage.peakRSSKilobytes) / 1_024)
    }
}
