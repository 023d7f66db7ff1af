#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes key files: one line of base64 (`SRTPMasterKey.base64`), mode 0600.
///
/// Reading refuses a file that its group or others may read (the key is what proves who sends). Writing never
/// replaces a file (O_EXCL) and creates it 0600 whatever the umask allows more of.
public enum SRTPKeyFile {
    /// The key in `path` for `suite`.
    public static func read(path: String, suite: SRTPSuite) throws(SRTPKeyError) -> SRTPMasterKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            throw error == ENOENT ? .missingFile(path: path) : .unreadableFile(path: path, errno: error)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadableFile(path: path, errno: errno) }
        guard status.st_mode & 0o077 == 0 else { throw .fileReadableByOthers(path: path, mode: status.st_mode) }
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw .unreadableFile(path: path, errno: errno) }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        do {
            return try SRTPMasterKey(suite: suite, base64: text)
        } catch {
            throw .malformedKey(source: "\(SRTPKeyFlags.keyFile) \(path)", error)
        }
    }

    /// Writes `key` to a new file `path`, mode 0600.
    public static func write(_ key: SRTPMasterKey, path: String) throws(SRTPKeyError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let error = errno
            throw error == EEXIST ? .keyFileExists(path: path) : .unwritableFile(path: path, errno: error)
        }
        let line = Array((key.base64 + "\n").utf8)
        let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let writeError = errno
        let closed = close(descriptor)
        guard written == line.count, closed == 0 else {
            unlink(path)
            throw .unwritableFile(path: path, errno: writeError)
        }
    }

    /// The key the flags and environment ask for: `--key-file` if given, else `EARSHOT_SRTP_KEY` if set, else none
    /// (no encryption). `suiteName` is `--srtp-suite` (nil: `SRTPSuite.default`); naming one without a key is an
    /// error, so that a typo cannot leave a stream in the clear. `environmentKey` is the variable's value
    /// (`environmentKeyText()` reads it).
    public static func resolve(
        keyFile: String?, suiteName: String?, environmentKey: String? = environmentKeyText()
    ) throws(SRTPKeyError) -> SRTPMasterKey? {
        var suite = SRTPSuite.default
        if let suiteName {
            guard let named = SRTPSuite(named: suiteName) else { throw .unknownSuite(suiteName) }
            suite = named
        }
        if let keyFile { return try read(path: keyFile, suite: suite) }
        if let text = environmentKey {
            do {
                return try SRTPMasterKey(suite: suite, base64: text)
            } catch {
                throw .malformedKey(source: SRTPMasterKey.environmentVariable, error)
            }
        }
        if suiteName != nil { throw .suiteWithoutKey }
        return nil
    }
}

extension SRTPKeyFile {
    /// `EARSHOT_SRTP_KEY` of this process, nil when unset.
    public static func environmentKeyText() -> String? {
        getenv(SRTPMasterKey.environmentVariable).map { String(cString: $0) }
    }
}
