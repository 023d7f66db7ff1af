import Foundation

/// A subprocess of a run, with its output in a log file, stopped with SIGTERM (then SIGKILL after 2 s).
final class ChildProcess {
    let process = Process()
    let name: String
    let started = Date()

    init(
        _ arguments: [String], environment: [String: String], log: URL?, stdout: Any? = nil, stdin: Any? = nil
    ) throws {
        name = arguments.joined(separator: " ")
        let executable = arguments[0].hasPrefix("/") ? arguments[0] : try Self.which(arguments[0], path: environment["PATH"])
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = stdin ?? FileHandle.nullDevice
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardError = handle
            process.standardOutput = stdout ?? handle
        } else {
            process.standardOutput = stdout ?? FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        do {
            try process.run()
        } catch {
            throw LatencyRunError.cannotStart(command: name, reason: "\(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func usage() -> ProcessUsage? { ProcessUsage.read(pid: pid) }

    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    /// Finds `name` on `path` (the child's PATH), else on this process's PATH.
    static func which(_ name: String, path: String?) throws -> String {
        let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in search.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LatencyRunError.cannotStart(command: name, reason: "not found on PATH")
    }
}
