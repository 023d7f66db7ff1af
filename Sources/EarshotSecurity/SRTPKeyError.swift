/// Why no SRTP key could be had from the flags, the environment or a key file. Each description is one line that
/// names the flag (or variable) and what to do.
public enum SRTPKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--key-file` names no file.
    case missingFile(path: String)
    /// The key file exists but could not be opened or read (`errno`).
    case unreadableFile(path: String, errno: Int32)
    /// The key file may be read by its group or others: anyone who can read it can forge the stream.
    case fileReadableByOthers(path: String, mode: UInt32)
    /// The key file's text (or the environment variable's) is not a key for the suite.
    case malformedKey(source: String, ParseFailure)
    /// `--srtp-suite` names no suite Earshot speaks.
    case unknownSuite(String)
    /// `--srtp-suite` without a key.
    case suiteWithoutKey
    /// `--generate-key` names a file that exists: it is never overwritten.
    case keyFileExists(path: String)
    /// `--generate-key` could not create or write the file (`errno`).
    case unwritableFile(path: String, errno: Int32)

    public typealias ParseFailure = SRTPMasterKey.ParseError

    public var description: String {
        switch self {
        case .missingFile(let path):
            "\(SRTPKeyFlags.keyFile) \(path): no such file (create one with `earshot-send \(SRTPKeyFlags.generateKey) \(path)`)"
        case .unreadableFile(let path, let errno):
            "\(SRTPKeyFlags.keyFile) \(path): cannot be read (errno \(errno)); check its owner and mode"
        case .fileReadableByOthers(let path, let mode):
            "\(SRTPKeyFlags.keyFile) \(path): readable by group or others (mode \(String(mode & 0o777, radix: 8))); "
                + "run `chmod 600 \(path)`"
        case .malformedKey(let source, let failure):
            "\(source): the key \(failure)"
        case .unknownSuite(let name):
            "\(SRTPKeyFlags.suite) '\(name)' is not valid: expected \(SRTPSuite.flagValues)"
        case .suiteWithoutKey:
            "\(SRTPKeyFlags.suite) needs a key: \(SRTPKeyFlags.keyFile) PATH or \(SRTPMasterKey.environmentVariable)"
        case .keyFileExists(let path):
            "\(SRTPKeyFlags.generateKey) \(path): the file exists and is never overwritten; remove it or name another"
        case .unwritableFile(let path, let errno):
            "\(SRTPKeyFlags.generateKey) \(path): cannot be created (errno \(errno)); check the directory exists and "
                + "is writable"
        }
    }
}

/// The flag names the key errors speak of (one definition; the executables declare the flags with these names).
public enum SRTPKeyFlags {
    public static let keyFile = "--key-file"
    public static let suite = "--srtp-suite"
    public static let generateKey = "--generate-key"
}
