import EarshotTestRig
import Foundation
import Testing

/// Run-time proof that the playback loop never allocates, locks or blocks outside its ALSA calls: the
/// `earshot-realtime-probe` executable plays into the paced rig with clang's RealtimeSanitizer preloaded, which kills
/// the process with exit status 43 on the first violation in the real-time thread.
///
/// The sanitizer runtime ships with the Swift toolchain only as a static archive; it is linked into a shared library
/// here (about 0.2 s) so it can be preloaded without special link flags in the package.
@Suite(.serialized) struct RealtimeAllocationProbeTests {
    static let sanitizerExitStatus: Int32 = 43

    @Test func playbackLoopRunsFiveSecondsWithoutAllocationOrLocks() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        // 9 s: the rig's stream start-up stall is usually ~1.9 s but once took ~3.8 s, leaving too little played.
        let result = try Self.runProbe(rig: rig, seconds: 9, injectAllocation: false)
        #expect(result.status == 0, "probe failed:\n\(result.standardError)")
        #expect(!result.standardError.contains("RealtimeSanitizer"))
        let periods = Self.counter("periods", in: result.standardOutput)
        // ≥ 5 s of periods actually played (the rig's stream start-up stall comes on top).
        #expect(periods >= 5 * 48_000 / 240 * 9 / 10, "periods: \(periods)\n\(result.standardOutput)")
        #expect(Self.counter("fatalError", in: result.standardOutput) == 0)
        #expect(result.standardOutput.contains("takesStamped=true"), "the cadence stamp ran under the sanitizer")
        // The device's pause and resume ran under the sanitizer too, and the drained ring was not a shortage.
        #expect(result.standardOutput.contains("standbyReached=true"), "\(result.standardOutput)")
        #expect(Self.counter("standbyEntries", in: result.standardOutput) == 1)
        #expect(Self.counter("underrunEvents", in: result.standardOutput) == 0, "\(result.standardOutput)")
        // The output gain's ramps ran under the sanitizer: a change every 0.5 s of the 9 s run.
        #expect(Self.counter("gainChanges", in: result.standardOutput) >= 10, "\(result.standardOutput)")
    }

    /// The test hook (`PlaybackThread.Options.injectsLoopAllocation`, debug builds only) makes the loop allocate; the
    /// detector must notice, or the test above proves nothing. A probe built without the hook exits 3 and fails this.
    @Test func injectedAllocationIsCaught() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let result = try Self.runProbe(rig: rig, seconds: 3, injectAllocation: true)
        #expect(result.status == Self.sanitizerExitStatus, "status \(result.status):\n\(result.standardError)")
        #expect(result.standardError.contains("RealtimeSanitizer"))
        #expect(result.standardError.contains("malloc"))
        #expect(result.standardError.contains("PlaybackLoop"))
        // Shown in the log, so a reader sees what the detector says when someone allocates in the loop.
        print("injected allocation, probe exit \(result.status):")
        print(result.standardError.split(separator: "\n").prefix(8).joined(separator: "\n"))
    }

    // MARK: Probe plumbing

    struct ProbeResult {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func runProbe(rig: AudioRig, seconds: Int, injectAllocation: Bool) throws -> ProbeResult {
        let library = try sanitizerLibrary(in: rig.directory)
        let process = Process()
        process.executableURL = probeExecutable
        process.arguments = [rig.configurationFile, rig.playbackDevices[0], String(seconds)]
        var environment = ProcessInfo.processInfo.environment.merging(rig.environment) { $1 }
        environment["LD_PRELOAD"] = library
        environment["EARSHOT_INJECT_LOOP_ALLOCATION"] = injectAllocation ? "1" : nil
        process.environment = environment
        let output = directoryFile(rig, "probe.out")
        let error = directoryFile(rig, "probe.err")
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        try process.run()
        process.waitUntilExit()
        return ProbeResult(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
    }

    static func directoryFile(_ rig: AudioRig, _ name: String) -> URL {
        let url = rig.directory.appendingPathComponent(name)
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }

    /// `earshot-realtime-probe`, built beside the test bundle in its configuration (debug, so with the test hooks;
    /// never from `EARSHOT_PRODUCTS`, a release build without them).
    static var probeExecutable: URL {
        let bundle = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("earshot-realtime-probe")
    }

    /// Links the toolchain's `libclang_rt.rtsan` archive into a preloadable shared library in `directory`.
    static func sanitizerLibrary(in directory: URL) throws -> String {
        let resourceDirectory = try run("/usr/bin/env", ["clang", "-print-resource-dir"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let archive = "\(resourceDirectory)/lib/linux/libclang_rt.rtsan-x86_64.a"
        guard FileManager.default.fileExists(atPath: archive) else {
            throw ProbeError("RealtimeSanitizer runtime not found at \(archive); the Swift toolchain's clang ships it")
        }
        let library = directory.appendingPathComponent("librtsan.so").path
        _ = try run(
            "/usr/bin/env",
            [
                "clang", "-shared", "-o", library, "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive",
                "-ldl", "-lpthread", "-lrt",
            ])
        return library
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProbeError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func counter(_ name: String, in output: String) -> Int {
        for field in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) where field.hasPrefix("\(name)=") {
            return Int(field.dropFirst(name.count + 1)) ?? -1
        }
        return -1
    }

    struct ProbeError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
