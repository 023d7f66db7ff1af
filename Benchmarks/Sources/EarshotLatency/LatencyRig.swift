import Foundation

/// The paced PulseAudio rig (`Tests/Rig/audio-rig.sh ... aligned`) for latency runs: the `ref` and `out` playback
/// PCMs and the `ref_in` capture PCM, all channels of one 4-channel sink `wide`.
public final class LatencyRig {
    public let directory: URL
    public let scriptPath: String
    public let environment: [String: String]
    private var stopped = false

    public init(scriptPath: String) throws {
        self.scriptPath = scriptPath
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-latency-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        environment = [
            "PULSE_SERVER": "unix:\(directory.path)/native",
            "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(directory.path)/asoundrc",
        ]
        let status = try Self.run("/bin/bash", [scriptPath, "start", directory.path, "1", "aligned"])
        guard status == 0 else { throw LatencyRunError.rigDidNotStart(status: status, directory: directory.path) }
    }

    deinit { stop() }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.run("/bin/bash", [scriptPath, "stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

public enum LatencyRunError: Error, CustomStringConvertible {
    case rigDidNotStart(status: Int32, directory: String)
    case cannotStart(command: String, reason: String)

    public var description: String {
        switch self {
        case .rigDidNotStart(let status, let directory):
            return "audio-rig.sh exited \(status); see \(directory)/pulse.log (is pulseaudio installed?)"
        case .cannotStart(let command, let reason):
            return "cannot start \(command): \(reason) (is it installed and on PATH?)"
        }
    }
}
