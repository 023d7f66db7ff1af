/// A receiver setting that cannot be used. Every case names the command-line flag and what would be accepted, so
/// `earshot-recv` can print it as is.
public enum ReceiverConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A number outside its range, e.g. `--period 0.5`.
    case outOfRange(flag: String, value: String, valid: String)
    /// Text that does not parse, e.g. `--latency fast` or `--listen 5004`.
    case malformed(flag: String, value: String, expected: String)
    /// Two settings that contradict each other, e.g. `--min-latency` above `--max-latency`.
    case conflicting(flags: String, reason: String)

    public var description: String {
        switch self {
        case .outOfRange(let flag, let value, let valid):
            return "\(flag) \(value) is out of range: valid is \(valid)"
        case .malformed(let flag, let value, let expected):
            return "\(flag) '\(value)' is not valid: expected \(expected)"
        case .conflicting(let flags, let reason):
            return "\(flags): \(reason)"
        }
    }
}
