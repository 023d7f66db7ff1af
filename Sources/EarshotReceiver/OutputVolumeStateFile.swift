#if canImport(Glibc)
    import Glibc
#endif

/// The output volume kept across restarts (`--state-file PATH`): a small text file, read at start and replaced
/// whole on each change.
///
/// ```
/// # earshot-recv output volume (--state-file); replaced on every change
/// volume_db=-12.5
/// muted=false
/// ```
///
/// Writing goes to a temporary file in the same directory, flushed to disk, then renamed over `path`: a reader or a
/// power cut sees the old state or the new, never half of one. Blocking file I/O: any thread but a real-time one,
/// one at a time per file.
public struct OutputVolumeStateFile: Sendable, Equatable {
    public let path: String

    /// Files larger than this are not ours.
    static let maximumBytes = 4096

    public init(path: String) {
        self.path = path
    }

    /// The saved volume, or nil when the file does not exist yet (a first start).
    public func load() throws(OutputVolumeStateFileError) -> OutputVolume? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw .unreadable(path: path, operation: "open", errno: code)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > Self.maximumBytes {
                throw .corrupt(path: path, reason: "larger than \(Self.maximumBytes) bytes")
            }
        }
        return try parse(bytes)
    }

    /// Replaces the file with `volume` (temporary file, `fsync`, `rename`, then the directory's `fsync`).
    public func save(_ volume: OutputVolume) throws(OutputVolumeStateFileError) {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .unwritable(path: path, operation: "open \(temporary)", errno: errno) }
        let bytes = Array(Self.text(of: volume).utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw .unwritable(path: path, operation: "write \(temporary)", errno: code)
            }
            written += count
        }
        if fsync(descriptor) != 0 {
            let code = errno
            close(descriptor)
            unlink(temporary)
            throw .unwritable(path: path, operation: "fsync \(temporary)", errno: code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .unwritable(path: path, operation: "rename \(temporary)", errno: code)
        }
        // The rename itself reaches the disk with the directory (best effort: the state is already in place).
        let directory = open(Self.directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// The file's contents for `volume`.
    static func text(of volume: OutputVolume) -> String {
        """
        # earshot-recv output volume (--state-file); replaced on every change
        volume_db=\(volume.decibels)
        muted=\(volume.isMuted)

        """
    }

    /// Both keys exactly once, `#` comments and blank lines allowed; anything else is corrupt.
    func parse(_ bytes: [UInt8]) throws(OutputVolumeStateFileError) -> OutputVolume {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .corrupt(path: path, reason: "not UTF-8 text")
        }
        var decibels: Double?
        var muted: Bool?
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "line \(index + 1)"
            guard let equals = line.firstIndex(of: "=") else {
                throw .corrupt(path: path, reason: "\(place): expected key=value")
            }
            let key = line[..<equals].trimmingWhitespace()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            switch key {
            case "volume_db":
                guard decibels == nil else { throw .corrupt(path: path, reason: "\(place): volume_db given twice") }
                guard let number = Double(value), OutputVolume(decibels: number).isValid else {
                    let range = OutputVolume.decibelRange
                    throw .corrupt(
                        path: path,
                        reason: "\(place): volume_db '\(value)' is not a number of dB in "
                            + "\(range.lowerBound) ... \(range.upperBound)")
                }
                decibels = number
            case "muted":
                guard muted == nil else { throw .corrupt(path: path, reason: "\(place): muted given twice") }
                switch value {
                case "true": muted = true
                case "false": muted = false
                default: throw .corrupt(path: path, reason: "\(place): muted '\(value)' is not true or false")
                }
            default:
                throw .corrupt(path: path, reason: "\(place): unknown key '\(key)'")
            }
        }
        guard let decibels else { throw .corrupt(path: path, reason: "no volume_db line") }
        guard let muted else { throw .corrupt(path: path, reason: "no muted line") }
        return OutputVolume(decibels: decibels, isMuted: muted)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
