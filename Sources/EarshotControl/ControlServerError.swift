/// Why the `--http` endpoint could not start. Each case says what to change.
public enum ControlServerError: Error, CustomStringConvertible, Equatable {
    /// The `--http` value is not `HOST:PORT` with a numeric host.
    case malformedAddress(input: String, expected: String)
    /// Binding failed (port taken, address not local, permission).
    case bindFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .malformedAddress(let input, let expected):
            "--http '\(input)' is not valid: expected \(expected)"
        case .bindFailed(let address, let reason):
            "--http \(address): cannot listen (\(reason)); choose a free port on a local address"
        }
    }
}
