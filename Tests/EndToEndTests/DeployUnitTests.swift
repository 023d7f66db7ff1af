import EarshotTestRig
import Foundation
import Testing

/// The systemd units in `Deploy/systemd`: `systemd-analyze verify` finds nothing to say about either (it exits 0
/// even on a directive it ignores, so its output must be empty too), and `systemd-analyze security` rates both at
/// most 2.0 ("OK"). Verify runs against a scratch root holding the system's unit
/// directory, the unit, and a stand-in at its `ExecStart=` path, which it checks for an executable.
@Suite struct DeployUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static let units = ["earshot-recv", "earshot-send"]
    static let deployDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Deploy/systemd")

    /// Runs `systemd-analyze` with `arguments`; stdout and stderr together.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try #require(
            FileManager.default.isExecutableFile(atPath: analyze),
            "\(analyze) missing: Deploy/install-dependencies.sh test installs it (Debian package systemd)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `systemd-analyze verify --root` of `unitText` installed as `name.service` in a scratch root.
    static func verify(name: String, unitText: String) throws -> (status: Int32, output: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-unit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = FileManager.default
        for directory in ["usr/local/bin", "usr/lib/systemd", "etc/systemd/system"] {
            try files.createDirectory(at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        // sysinit.target, network-online.target, … as the system has them.
        try files.copyItem(
            at: URL(fileURLWithPath: "/lib/systemd/system"), to: root.appendingPathComponent("usr/lib/systemd/system"))
        let binary = root.appendingPathComponent("usr/local/bin/\(name)")
        try "#!/bin/sh\n".write(to: binary, atomically: true, encoding: .utf8)
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        try unitText.write(
            to: root.appendingPathComponent("etc/systemd/system/\(name).service"), atomically: true, encoding: .utf8)
        return try run(["verify", "--root=\(root.path)", "\(name).service"])
    }

    @Test(arguments: units)
    func unitVerifiesCleanly(name: String) throws {
        let text = try String(contentsOf: Self.deployDirectory.appendingPathComponent("\(name).service"), encoding: .utf8)
        let result = try Self.verify(name: name, unitText: text)
        #expect(result.status == 0 && result.output.isEmpty, "\(name): \(result.output)")
        // The check can fail: a misspelt directive is reported (and ignored, with status 0).
        let broken = try Self.verify(name: name, unitText: text.replacingOccurrences(of: "LockPersonality=", with: "LockPersonalty="))
        #expect(broken.output.contains("LockPersonalty"), "\(name): \(broken.output)")
    }

    @Test(arguments: units)
    func unitIsSandboxed(name: String) throws {
        let path = Self.deployDirectory.appendingPathComponent("\(name).service").path
        // --threshold is the exposure × 10: at most 2.0.
        let result = try Self.run(["security", "--offline=true", "--threshold=20", "--no-pager", path])
        let summary = result.output.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
        print("unit \(name): \(summary)")
        #expect(result.status == 0, "\(name): \(summary)")
    }
}
