#if canImport(Glibc)
import Glibc
#endif

/// The socket call that failed, so an error says where it happened.
public enum SocketOperation: Sendable, Equatable, CustomStringConvertible {
    case create
    case bind
    case getsockname
    case setOption(String)
    case getOption(String)
    case joinGroup
    case send
    case receive
    case receiveBatch
    case poll

    public var description: String {
        switch self {
        case .create: "socket"
        case .bind: "bind"
        case .getsockname: "getsockname"
        case .setOption(let name): "setsockopt(\(name))"
        case .getOption(let name): "getsockopt(\(name))"
        case .joinGroup: "join multicast group"
        case .send: "sendto"
        case .receive: "recvmsg"
        case .receiveBatch: "recvmmsg"
        case .poll: "ppoll"
        }
    }
}

/// A failed socket call: the operation, the C `errno`, and the address involved (if any).
///
/// Carries no heap storage except `setOption`'s and `getOption`'s names, so throwing it from the receive paths does
/// not allocate (they only throw `.receive` and `.receiveBatch`).
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: SocketOperation
    /// The C `errno` value (e.g. `EADDRINUSE`).
    public let code: Int32
    /// The local or remote address the call was about, used for hints.
    public let address: SocketAddress?

    public init(operation: SocketOperation, code: Int32, address: SocketAddress? = nil) {
        self.operation = operation
        self.code = code
        self.address = address
    }

    /// What the user can do about it.
    public var hint: String? {
        switch code {
        case EADDRINUSE:
            let port = address.map { String($0.port) } ?? "?"
            return "port \(port) in use; choose another with --listen"
        case EADDRNOTAVAIL:
            return "address not available on this host; bind to an address of a local interface (e.g. 127.0.0.1)"
        case EACCES, EPERM:
            return "permission denied; ports below 1024 need privileges, broadcast needs SO_BROADCAST"
        case ENODEV:
            return "no such network interface; check --interface (see `ip link`)"
        case ENETUNREACH, EHOSTUNREACH:
            return "destination unreachable; check the address and the routes"
        case ECONNREFUSED:
            return "nothing listens at the destination (ICMP port unreachable)"
        case EMSGSIZE:
            return "datagram larger than the path allows; use smaller packets"
        default:
            return nil
        }
    }

    public var description: String {
        var text = "\(operation) failed"
        if let address { text += " for \(address)" }
        text += ": \(String(cString: strerror(code))) (errno \(code))"
        if let hint { text += "; \(hint)" }
        return text
    }
}

/// Input that is not a usable socket address; names the input and the expected form.
public enum SocketAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(input: String, expected: String)
    case resolutionFailed(host: String, code: Int32)
    case unknownInterface(String)

    public var description: String {
        switch self {
        case .malformed(let input, let expected):
            return "invalid address '\(input)': expected \(expected)"
        case .resolutionFailed(let host, let code):
            return "cannot resolve '\(host)': \(String(cString: gai_strerror(code))) (getaddrinfo \(code))"
        case .unknownInterface(let name):
            return "unknown network interface '\(name)': give a name from `ip link` (e.g. lo) or an index"
        }
    }
}
