/// Why an Opus operation failed, with the libopus code, libopus's text and what to do.
///
/// Payloads are `StaticString`s and integers so that throwing from `encode`/`decode` on a real-time thread does not
/// allocate; the readable text is built only when `description` is read.
public enum OpusError: Error, CustomStringConvertible {
    /// A setting outside the range Opus accepts, rejected before any call into libopus.
    case invalidSetting(name: StaticString, value: Int, allowed: StaticString)
    /// libopus returned a negative status from `operation`.
    case library(OpusErrorCode, operation: StaticString)

    /// The libopus code this error corresponds to; settings rejected up front map to `OPUS_BAD_ARG`.
    public var code: OpusErrorCode {
        switch self {
        case .invalidSetting: return .badArgument
        case .library(let code, _): return code
        }
    }

    /// libopus's `opus_strerror` text for `code`.
    public var libraryMessage: String { code.libraryMessage }

    /// What the caller should do.
    public var remedy: String {
        switch self {
        case .invalidSetting(let name, _, let allowed): return "set \(name) to \(allowed)"
        case .library(let code, _): return code.remedy
        }
    }

    public var description: String {
        switch self {
        case .invalidSetting(let name, let value, let allowed):
            return "Opus setting \(name) = \(value) is invalid (\(libraryMessage)): allowed \(allowed)"
        case .library(let code, let operation):
            return "\(operation) failed with Opus error \(code): \(remedy)"
        }
    }
}
