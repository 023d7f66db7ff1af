import Foundation

/// Every measure of every candidate on every conversion, as a markdown table, and the verdict the issue asks for:
/// the measures on which `AdaptiveResampler .high` is worse than libspeexdsp at quality 5.
public struct QualityTable: Sendable {
    public struct Row: Sendable {
        public var conversion: Conversion
        public var kind: CandidateKind
        public var thdPlusN997: Double
        public var thdPlusN15k: Double
        public var response: QualityMeasurement.Response
        public var latencyMilliseconds: Double
        public var cost: CostMeasurement.Result?
    }

    public var rows: [Row] = []

    public init() {}

    /// Measures `kind` on `conversion` (cost too unless `measuresCost` is false).
    public static func measure(_ kind: CandidateKind, _ conversion: Conversion, measuresCost: Bool) -> Row {
        let latency = QualityMeasurement.latencyMilliseconds(kind, conversion)
        return Row(
            conversion: conversion, kind: kind,
            thdPlusN997: QualityMeasurement.thdPlusN(kind, conversion, frequency: 997),
            thdPlusN15k: QualityMeasurement.thdPlusN(kind, conversion, frequency: 15_000),
            response: QualityMeasurement.response(kind, conversion), latencyMilliseconds: latency,
            cost: measuresCost ? CostMeasurement.measure(kind, conversion) : nil)
    }

    public var markdown: String {
        var lines = [
            "| conversion | resampler | THD+N 997 Hz (dB) | THD+N 15 kHz (dB) | ripple to 20 kHz (dB) | gain at 20 kHz (dB) "
                + "| worst image/alias (dB) | latency (ms) | CPU ms per s of audio: fixed / nudged "
                + "| allocations, first 100 calls + next 1000: fixed / nudged |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            let cost = row.cost.map { cost in
                format(cost.fixedMilliseconds, 2) + " / " + (cost.nudgedMilliseconds.map { format($0, 2) } ?? "—")
            } ?? "—"
            func counts(_ pair: (first: Int, steady: Int)?) -> String {
                pair.map { "\($0.first) + \($0.steady)" } ?? "n/a"
            }
            let allocations = row.cost.map { cost in
                counts(cost.fixedAllocations) + " / "
                    + (cost.nudgedMilliseconds == nil ? "—" : counts(cost.nudgedAllocations))
            } ?? "—"
            lines.append(
                "| \(row.conversion.name) | \(row.kind.name) | \(format(row.thdPlusN997, 1)) | "
                    + "\(format(row.thdPlusN15k, 1)) | \(format(row.response.rippleDB, 3)) | "
                    + "\(format(row.response.gainAt20kHzDB, 3)) | \(format(row.response.worstSpuriousDB, 1)) "
                    + "(\(format(row.response.worstSpuriousToneHz / 1_000, 1)) kHz) | "
                    + "\(format(row.latencyMilliseconds, 2)) | \(cost) | \(allocations) |")
        }
        return lines.joined(separator: "\n")
    }

    /// Per conversion, the measures on which `AdaptiveResampler .high` is worse than speexdsp quality 5 (a margin
    /// of 0.5 dB on the dB measures and 0.001 dB on ripple, below which two runs of one candidate can differ).
    public var verdict: String {
        var lines: [String] = []
        for conversion in Set(rows.map(\.conversion.name)).sorted() {
            guard let ours = rows.first(where: { $0.conversion.name == conversion && $0.kind == .earshotHigh }),
                let peer = rows.first(where: { $0.conversion.name == conversion && $0.kind == .speex5 })
            else { continue }
            var worse: [String] = []
            if ours.thdPlusN997 > peer.thdPlusN997 + 0.5 { worse.append("THD+N 997 Hz") }
            if ours.thdPlusN15k > peer.thdPlusN15k + 0.5 { worse.append("THD+N 15 kHz") }
            if ours.response.rippleDB > peer.response.rippleDB + 0.001 { worse.append("ripple to 20 kHz") }
            if ours.response.worstSpuriousDB > peer.response.worstSpuriousDB + 0.5 { worse.append("images/aliases") }
            lines.append(
                "- \(conversion): AdaptiveResampler .high is "
                    + (worse.isEmpty ? "not worse than speexdsp quality 5 on any measure"
                        : "worse than speexdsp quality 5 on: " + worse.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value > 0 ? "∞" : "−∞" }
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }
}
