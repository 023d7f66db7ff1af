import EarshotDSP
import Foundation

/// A running `parec` of a PulseAudio source into a raw float file. Created by `AudioRig.startRecording`.
public final class MonitorRecording {
    public let channels: Int
    public let sampleRate = 48_000
    public let file: URL
    private let process: Process

    /// `channelMap` (parec `--channel-map`) keeps a sink's own positions, e.g. `aux0,…`: without it parec assumes a
    /// standard map and PulseAudio would remix the aux channels into it.
    init(source: String, channels: Int, file: URL, environment: [String: String], channelMap: String? = nil) throws {
        self.channels = channels
        self.file = file
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let output = try FileHandle(forWritingTo: file)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/parec")
        process.arguments = [
            "-d", source, "--raw", "--format=float32le", "--rate=48000", "--channels=\(channels)",
            "--latency-msec=10",
        ] + (channelMap.map { ["--channel-map=\($0)"] } ?? [])
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        try process.run()
        try output.close()
    }

    /// Stops recording and returns the interleaved samples recorded so far. The monitor of an idle null sink
    /// produces (almost) nothing: the recording holds what was played, not wall-clock time.
    public func stop() throws -> [Float] {
        terminate()
        let data = try Data(contentsOf: file)
        guard !data.isEmpty else { throw AudioRigError.recordingFailed("parec wrote nothing to \(file.path)") }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Stops recording, writes the samples as a 32-bit float WAV at `path` (for listening or for other tools) and
    /// returns them.
    @discardableResult
    public func stop(writingWAVTo path: String) throws -> [Float] {
        let samples = try stop()
        try WAVFile(sampleRate: sampleRate, channels: channels, samples: samples).write(path: path)
        return samples
    }

    func terminate() {
        guard process.isRunning else { return }
        // SIGTERM: parec writes out what it has and exits (SIGINT from Foundation was seen to be ignored).
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
