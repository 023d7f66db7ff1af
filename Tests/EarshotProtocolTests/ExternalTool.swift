import Foundation

/// Runs ffmpeg / gst-launch-1.0 for interop tests with a hard time limit, so a hung tool cannot hang the suite.
final class ExternalTool {
    let process = Process()
    let logURL: URL

    init(_ executable: String, _ arguments: [String]) throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: logURL)
        process.standardError = process.standardOutput
        try process.run()
    }

    static func isInstalled(_ executable: String) -> Bool { FileManager.default.isExecutableFile(atPath: executable) }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits up to `seconds` for a normal exit; otherwise interrupts (SIGINT, so tools flush their output), then
    /// kills. Returns the exit status, or `nil` if the tool had to be stopped.
    @discardableResult
    func wait(seconds: Double) -> Int32? {
        if waitUntilExit(seconds: seconds) { return process.terminationStatus }
        stop()
        return nil
    }

    /// SIGINT, then SIGKILL after 3 s.
    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        if waitUntilExit(seconds: 3) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitUntilExit(seconds: 3)
    }

    private func waitUntilExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }
}
