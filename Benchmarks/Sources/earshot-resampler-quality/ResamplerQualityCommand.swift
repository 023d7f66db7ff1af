import ArgumentParser
import Foundation
import ResamplerQuality

/// `earshot-resampler-quality`: AdaptiveResampler against libspeexdsp and libsoxr on the conversions Earshot needs;
/// prints the markdown table and the verdict. Parses flags, then runs `QualityTable.measure` for every pair.
@main
struct ResamplerQualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-resampler-quality",
        abstract: "Measure resampler quality (THD+N, pass band, images/aliases), latency, cost and allocations.",
        discussion: """
            Run with LD_PRELOAD=.build/release/libMallocInterposerSwift.so to count allocations (run.sh does);
            without it the allocation columns read n/a.
            """
    )

    @Flag(help: "Leave out the cost and allocation measurements (quality only).")
    var qualityOnly = false

    @Option(help: "Also write the table and the verdict to this file.")
    var output: String?

    @Option(
        name: .customLong("candidate"),
        help: "Measure only this candidate (repeatable): \(CandidateKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var candidates: [String] = []

    func validate() throws {
        for name in candidates where CandidateKind(rawValue: name) == nil {
            throw ValidationError(
                "--candidate \(name): unknown; one of \(CandidateKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var table = QualityTable()
        let kinds = candidates.isEmpty ? CandidateKind.allCases : candidates.compactMap(CandidateKind.init(rawValue:))
        for conversion in Conversion.all {
            for kind in kinds {
                let row = QualityTable.measure(kind, conversion, measuresCost: !qualityOnly)
                table.rows.append(row)
                FileHandle.standardError.write(Data("measured \(conversion.name), \(kind.name)\n".utf8))
            }
        }
        let text = table.markdown + "\n\n" + table.verdict + "\n"
        print(text, terminator: "")
        if let output { try text.write(toFile: output, atomically: true, encoding: .utf8) }
    }
}
