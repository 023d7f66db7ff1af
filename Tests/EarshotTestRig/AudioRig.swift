import Foundation

/// A private PulseAudio server with null sinks, reached through ALSA's `pulse` plugin: paced playback and capture
/// devices for end-to-end tests on a machine without a sound card. Wraps `Tests/Rig/audio-rig.sh`.
///
/// Devices (ALSA PCM names, defined in `configurationFile`):
/// - `playbackDevices`: `spk`, `spk2`, …: each plays into a null sink whose monitor can be recorded. Each is also a
///   control device whose simple mixer control `Master` is the sink's volume and mute (`MixerControl`, `amixer -D`).
/// - `captureDevice` (`mic`): captures whatever is played into `micFeedDevice` (`mic_feed`).
///
/// In-process ALSA: `PCMDevice(name: rig.playbackDevices[0], stream: .playback, configurationFile:
/// rig.configurationFile)`. Subprocesses (aplay, earshot-recv, ffmpeg -f alsa, …): pass `environment`.
///
/// Usage: `let rig = try AudioRig(); defer { rig.stop() }`. Suites using the rig must be `.serialized`; each rig has
/// its own server and directory, so rigs of different suites do not collide. `stop()` is idempotent and also runs
/// on deinit. Not thread-safe: use from the test's own task.
public final class AudioRig {
    /// The rig's private directory (socket, asoundrc, logs, recordings). Removed by `stop()`.
    public let directory: URL
    /// asoundrc-style file defining the rig's PCMs (for `PCMDevice(configurationFile:)`).
    public let configurationFile: String
    public let playbackDevices: [String]
    public let captureDevice = "mic"
    /// Playback PCM feeding `captureDevice`.
    public let micFeedDevice = "mic_feed"
    /// With `aligned`: playback PCMs `ref` and `out` are channels 1-2 and 3-4 of the 4-channel sink `wide`, and the
    /// capture PCM `ref_in` hears exactly what is played into `ref`; `startAlignedRecording()` records both
    /// sample-aligned (`ref ─▶ ref_in ─▶ system under test ─▶ out`).
    public let aligned: Bool
    public let referenceDevice = "ref"
    public let referenceCaptureDevice = "ref_in"
    public let outputDevice = "out"
    /// PulseAudio server address (`unix:DIR/native`).
    public let pulseServer: String
    /// Variables that point a subprocess's ALSA and PulseAudio clients at this rig.
    public var environment: [String: String] {
        ["PULSE_SERVER": pulseServer, "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf:\(configurationFile)"]
    }

    private var stopped = false
    private let outputs: Int
    private var recordings: [MonitorRecording] = []

    /// Path of `audio-rig.sh`, found next to this source file.
    public static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Rig/audio-rig.sh").path

    /// Starts a server with `outputs` playback sinks (`spk`, `spk2`, …) and a `mic` sink, in a fresh temp dir;
    /// `aligned` adds the sample-aligned latency rig (`ref`, `out`, `ref_in`, sink `wide`).
    public init(outputs: Int = 2, aligned: Bool = false) throws {
        precondition(outputs >= 1)
        self.aligned = aligned
        self.outputs = outputs
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-rig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configurationFile = directory.appendingPathComponent("asoundrc").path
        pulseServer = "unix:\(directory.path)/native"
        playbackDevices = ["spk"] + (outputs >= 2 ? (2...outputs).map { "spk\($0)" } : [])
        let status = try Self.runScript(["start", directory.path, String(outputs)] + (aligned ? ["aligned"] : []))
        guard status == 0 else {
            _ = try? Self.runScript(["stop", directory.path])
            let log = (try? String(contentsOf: directory.appendingPathComponent("pulse.log"), encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: directory)
            throw AudioRigError.startFailed(status: status, log: log)
        }
    }

    deinit { stop() }

    /// Starts recording the monitor of `sink` (a playback device name, or `mic`) as 48 kHz float samples.
    public func startRecording(sink: String = "spk", channels: Int = 2) throws -> MonitorRecording {
        let file = directory.appendingPathComponent("monitor-\(sink)-\(recordings.count).raw")
        let recording = try MonitorRecording(
            source: "\(sink).monitor", channels: channels, file: file, environment: environment)
        recordings.append(recording)
        return recording
    }

    /// Starts recording all four channels of `wide` (aligned rig only): interleaved `ref` left, `ref` right,
    /// `out` left, `out` right, sample-aligned because one server renders them into one sink.
    public func startAlignedRecording() throws -> MonitorRecording {
        precondition(aligned, "AudioRig(aligned: true) needed for the aligned recording")
        let file = directory.appendingPathComponent("monitor-wide-\(recordings.count).raw")
        let recording = try MonitorRecording(
            source: "wide.monitor", channels: 4, file: file, environment: environment,
            channelMap: "aux0,aux1,aux2,aux3")
        recordings.append(recording)
        return recording
    }

    /// Runs a command (e.g. `aplay`) with this rig's environment; returns its exit status.
    @discardableResult
    public func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops the sound server alone, as a sound server killed or a USB DAC pulled would: the rig's devices fail for
    /// their clients and cannot be opened until `restartServer()`. Recordings end with it.
    public func stopServer() throws {
        for recording in recordings { recording.terminate() }
        let status = try Self.runScript(["stop", directory.path])
        guard status == 0 else { throw AudioRigError.startFailed(status: status, log: "audio-rig.sh stop failed") }
    }

    /// Starts the server again after `stopServer()`: the same devices, socket and configuration.
    public func restartServer() throws {
        let status = try Self.runScript(["start", directory.path, String(outputs)] + (aligned ? ["aligned"] : []))
        guard status == 0 else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("pulse.log"), encoding: .utf8)) ?? ""
            throw AudioRigError.startFailed(status: status, log: log)
        }
    }

    /// The server's playback streams now (`pactl list short sink-inputs`): one per open playback device.
    public func playbackStreamCount() throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pactl")
        process.arguments = ["list", "short", "sink-inputs"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").count
    }

    /// Stops recordings and the server and removes the directory. Idempotent.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        for recording in recordings { recording.terminate() }
        _ = try? Self.runScript(["stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    private static func runScript(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [scriptPath] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

public enum AudioRigError: Error, CustomStringConvertible {
    case startFailed(status: Int32, log: String)
    case recordingFailed(String)

    public var description: String {
        switch self {
        case .startFailed(let status, let log):
            return "audio rig did not start (audio-rig.sh exit \(status)); is pulseaudio installed? log:\n\(log)"
        case .recordingFailed(let reason):
            return "monitor recording failed: \(reason)"
        }
    }
}
