#if canImport(Glibc)
    import Glibc
#endif

/// Why the `--state-file` could not be read or written; each case names the file and what to do.
public enum OutputVolumeStateFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but cannot be read (`errno` from `operation`).
    case unreadable(path: String, operation: String, errno: Int32)
    /// The file is not what earshot-recv writes (`reason` says where and what).
    case corrupt(path: String, reason: String)
    /// The new state could not be written (`errno` from `operation`); the old file, if any, is unchanged.
    case unwritable(path: String, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .unreadable(let path, let operation, let code):
            return "state file \(path) cannot be read (\(operation): \(Self.message(code))); fix its permissions or "
                + "remove it"
        case .corrupt(let path, let reason):
            return "state file \(path) is not an earshot-recv state file (\(reason)); it is replaced at the next "
                + "volume change, or remove it"
        case .unwritable(let path, let operation, let code):
            return "state file \(path) cannot be written (\(operation): \(Self.message(code))); check that its "
                + "directory exists and is writable by the receiver's user"
        }
    }

    private static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}
