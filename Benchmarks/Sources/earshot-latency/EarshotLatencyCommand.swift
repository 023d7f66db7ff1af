import ArgumentParser
import EarshotLatency
import Foundation

/// `earshot-latency`: glass-to-glass latency, glitches, CPU and memory of Earshot and its peers on the paced rig,
/// side by side, same signal, same impairments. Parses flags, then runs `LatencyRun` for every pair.
@main
struct EarshotLatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-latency",
        abstract: "Measure glass-to-glass latency on the sample-aligned PulseAudio rig.",
        discussion: """
            Starts `audio-rig.sh start DIR 1 aligned`, then for each system and network condition plays a sine and a
            train of noise bursts into the sender's capture device and records the reference and the receiver's
            output in one 4-channel recording. Prints a markdown table.
            """
    )

    @Option(help: "Path of Tests/Rig/audio-rig.sh.")
    var rigScript: String

    @Option(help: "Directory holding earshot-impair, earshot-send and earshot-recv (release build).")
    var binDirectory: String

    @Option(help: "Noise bursts per run (irregular gaps of 180-420 ms).")
    var bursts = 30

    @Option(help: """
        Systems: floor, floor-lowest, piped, trx-default, trx-lowest, earshot-default, earshot-lowest, \
        earshot-redundant, earshot-fewer-wakes, earshot-trx-cadence (clean only)
        (comma-separated).
        """)
    var systems = "floor,trx-default,trx-lowest"

    @Option(help: "Network conditions: clean, loss-jitter, bursty (comma-separated).")
    var impairments = "clean,loss-jitter,bursty"

    @Option(help: """
        An extra system, 'NAME|SENDER COMMAND|RECEIVER COMMAND' (placeholders {capture} {playback} {send_port} \
        {recv_port}; words split on spaces; empty SENDER: none). Repeatable; listed after --systems.
        """)
    var custom: [String] = []

    @Flag(help: "Custom systems pipe the sender's stdout into the receiver's stdin instead of using the network.")
    var customPipe = false

    @Option(help: "Also write the table to this file.")
    var output: String?

    func run() throws {
        let known: [String: SystemUnderTest] = [
            "floor": .rigFloor, "floor-lowest": .rigFloorLowest, "piped": .pipedFloor, "trx-default": .trxDefault, "trx-lowest": .trxLowest,
            "earshot-default": .earshotDefault, "earshot-lowest": .earshotLowest,
            "earshot-redundant": .earshotRedundant, "earshot-fewer-wakes": .earshotFewerWakes,
            "earshot-trx-cadence": .earshotAtTrxCadence,
        ]
        let conditions: [String: NetworkImpairment] = [
            "clean": .clean, "loss-jitter": .lossAndJitter, "bursty": .burstyLoss,
        ]
        var chosenSystems = try systems.split(separator: ",").map { name in
            guard let system = known[String(name)] else {
                throw ValidationError("unknown system '\(name)'; valid: \(known.keys.sorted().joined(separator: ", "))")
            }
            return system
        }
        for text in custom {
            let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, !parts[0].isEmpty, !parts[2].isEmpty else {
                throw ValidationError("--custom '\(text)': expected 'NAME|SENDER COMMAND|RECEIVER COMMAND'")
            }
            func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }
            chosenSystems.append(SystemUnderTest(
                name: parts[0], sender: parts[1].isEmpty ? nil : words(parts[1]), receiver: words(parts[2]),
                usesNetwork: !customPipe))
        }
        let chosenConditions = try impairments.split(separator: ",").map { name in
            guard let condition = conditions[String(name)] else {
                throw ValidationError("unknown network condition '\(name)'; valid: clean, loss-jitter, bursty")
            }
            return condition
        }
        let rig = try LatencyRig(scriptPath: rigScript)
        defer { rig.stop() }
        let runner = LatencyRun(rig: rig, binDirectory: binDirectory, bursts: BurstTrain(count: bursts))
        var results: [LatencyResult] = []
        var index = 0
        for system in chosenSystems {
            for condition in chosenConditions where system.runsImpaired || condition.proxyArguments == nil {
                FileHandle.standardError.write("earshot-latency: \(system.name), \(condition.name)\n".data(using: .utf8)!)
                results.append(try runner.measure(system, condition, index: index))
                index += 1
            }
        }
        let table = ResultsTable.markdown(results)
        print(table)
        if let output { try (table + "\n").write(toFile: output, atomically: true, encoding: .utf8) }
    }
}
