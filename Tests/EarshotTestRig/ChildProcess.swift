import Foundation

/// A tool run by an end-to-end test (earshot-send, ffmpeg, gst-launch-1.0, aplay) with its output in a file and a
/// hard bound on its run time, so a hung child cannot hang the suite. Stopped with SIGINT, then SIGKILL, on deinit.
public final class ChildProcess {
    public let process = Process()
    public let logURL: URL

    /// A built executable of this package: from `EARSHOT_PRODUCTS` when set (`Tests/run-all.sh` points it at the
    /// release build, so the end-to-end tests measure what ships and leave the 2-core machine's CPU to the paced
    /// rig), otherwise beside the test bundle (`swift build --build-tests` builds them in debug).
    public static func product(_ name: String) -> String {
        if let directory = ProcessInfo.processInfo.environment["EARSHOT_PRODUCTS"], !directory.isEmpty {
            return URL(fileURLWithPath: directory).appendingPathComponent(name).path
        }
        return testBuildProduct(name)
    }

    /// A built executable beside the test bundle, whatever `EARSHOT_PRODUCTS` says: the test's own configuration
    /// (debug, so with the test hooks of `EARSHOT_TEST_HOOKS`).
    public static func testBuildProduct(_ name: String) -> String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name).path
    }

    /// The built `earshot-send`.
    public static var earshotSend: String { product("earshot-send") }
    public static let ffmpeg = "/usr/bin/ffmpeg"
    public static let gstLaunch = "/usr/bin/gst-launch-1.0"

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        standardInput: FileHandle? = nil, standardOutput: FileHandle? = nil
    ) throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-e2e-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = standardInput ?? FileHandle.nullDevice
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = standardOutput ?? log
        process.standardError = log
        try process.run()
    }

    public static func isInstalled(_ executable: String) -> Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// stdout (unless redirected) and stderr so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits up to `seconds` for the child to exit by itself; otherwise stops it. Returns the exit status, or nil
    /// if it had to be stopped.
    @discardableResult
    public func wait(seconds: Double) -> Int32? {
        if waitUntilExit(seconds: seconds) { return process.terminationStatus }
        stop()
        return nil
    }

    /// Sends `signal` (SIGINT lets ffmpeg/gst-launch -e flush; SIGTERM is what service managers send).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGINT, then SIGKILL after 3 s.
    public func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        if waitUntilExit(seconds: 3) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = waitUntilExit(seconds: 3)
    }

    private func waitUntilExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if !process.isRunning { process.waitUntilExit() }
        return !process.isRunning
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }
}
