@testable import EarshotReceiver
import Foundation
import Testing

/// `--state-file`: what is saved is loaded back exactly, the file is replaced whole, and a file that is not ours or
/// cannot be read is a typed error naming it (the pipeline turns that into a warning and the defaults).
@Suite struct OutputVolumeStateFileTests {
    /// A fresh directory, removed by `remove()`.
    struct Directory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-state-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        var entries: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    @Test(arguments: [
        OutputVolume(decibels: -12.5, isMuted: false), OutputVolume(decibels: 0, isMuted: true),
        OutputVolume(decibels: -60, isMuted: false), OutputVolume(decibels: 20, isMuted: true),
        OutputVolume(decibels: -7.123456789012345, isMuted: false),
    ])
    func whatIsSavedLoadsBackExactlyAndNoTemporaryFileIsLeft(volume: OutputVolume) throws {
        let directory = try Directory()
        defer { directory.remove() }
        let file = OutputVolumeStateFile(path: directory.path("volume.state"))
        #expect(try file.load() == nil, "no file yet: a first start")
        try file.save(OutputVolume(decibels: 3))
        try file.save(volume)
        #expect(try file.load() == volume)
        #expect(directory.entries == ["volume.state"])
    }

    @Test func theFileIsReadableText() throws {
        let directory = try Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        try OutputVolumeStateFile(path: path).save(OutputVolume(decibels: -12.5, isMuted: true))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\nvolume_db=-12.5\nmuted=true\n"), "\(text)")
        // Comments, blank lines, spaces around `=` and CRLF line ends are read too.
        try "# hand-written\r\n\r\n muted = false \r\nvolume_db = -3\r\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try OutputVolumeStateFile(path: path).load() == OutputVolume(decibels: -3, isMuted: false))
    }

    @Test(arguments: [
        ("volume_db=loud\nmuted=false\n", "line 1: volume_db 'loud' is not a number of dB in -60.0 ... 20.0"),
        ("volume_db=99\nmuted=false\n", "line 1: volume_db '99' is not a number"),
        ("volume_db=nan\nmuted=false\n", "line 1: volume_db 'nan'"),
        ("volume_db=-6\nmuted=yes\n", "line 2: muted 'yes' is not true or false"),
        ("volume_db=-6\n", "no muted line"),
        ("muted=true\n", "no volume_db line"),
        ("volume_db=-6\nmuted=true\nvolume_db=-3\n", "line 3: volume_db given twice"),
        ("volume_db=-6\nmuted=true\nbass=4\n", "line 3: unknown key 'bass'"),
        ("{\"db\": -6}\n", "line 1: expected key=value"),
        ("", "no volume_db line"),
    ])
    func aFileThatIsNotOursIsCorruptAndSaysWhere(contents: String, reason: String) throws {
        let directory = try Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        #expect {
            try OutputVolumeStateFile(path: path).load()
        } throws: { error in
            guard case .corrupt(path, let errorReason) = error as? OutputVolumeStateFileError else { return false }
            return errorReason.contains(reason)
        }
    }

    @Test func binaryOrOversizedFilesAreCorrupt() throws {
        let directory = try Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        try Data([0xFF, 0xFE, 0x00, 0x80]).write(to: URL(fileURLWithPath: path))
        #expect(throws: OutputVolumeStateFileError.corrupt(path: path, reason: "not UTF-8 text")) {
            try OutputVolumeStateFile(path: path).load()
        }
        try Data(repeating: 0x23, count: 5_000).write(to: URL(fileURLWithPath: path))
        #expect(throws: OutputVolumeStateFileError.corrupt(path: path, reason: "larger than 4096 bytes")) {
            try OutputVolumeStateFile(path: path).load()
        }
    }

    /// A directory where the file should be: it cannot be read (EISDIR), nor replaced, and the failed write leaves
    /// no temporary file behind. A path in a missing directory cannot be written.
    @Test func unreadableAndUnwritablePathsAreTypedErrorsNamingThePath() throws {
        let directory = try Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        let file = OutputVolumeStateFile(path: path)
        #expect(throws: OutputVolumeStateFileError.unreadable(path: path, operation: "read", errno: EISDIR)) {
            try file.load()
        }
        #expect {
            try file.save(OutputVolume(decibels: -6))
        } throws: { error in
            guard case .unwritable(path, let operation, _) = error as? OutputVolumeStateFileError else { return false }
            return operation.hasPrefix("rename") && "\(error)".contains(path) && "\(error)".contains("writable")
        }
        #expect(directory.entries == ["volume.state"], "the temporary file was removed")
        let missing = OutputVolumeStateFile(path: directory.path("no/such/dir/volume.state"))
        #expect {
            try missing.save(OutputVolume(decibels: -6))
        } throws: { error in
            guard case .unwritable(_, let operation, ENOENT) = error as? OutputVolumeStateFileError else {
                return false
            }
            return operation.hasPrefix("open")
        }
    }
}
