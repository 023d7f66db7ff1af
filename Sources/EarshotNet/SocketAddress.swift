#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 UDP endpoint, stored as the kernel's `sockaddr_in`/`sockaddr_in6` (no heap storage, so the
/// receive path can build one per datagram without allocating).
///
/// Accepted text forms: `HOST:PORT` (IPv4 literal or host name), `[IPv6]:PORT`, `[IPv6%scope]:PORT`.
public enum SocketAddress: Sendable, Equatable, CustomStringConvertible {
    case v4(sockaddr_in)
    case v6(sockaddr_in6)

    static let expectedForm = "HOST:PORT or [IPv6]:PORT with PORT in 0...65535 (e.g. 127.0.0.1:5004, [::1]:5004)"

    /// Parses a numeric address (`127.0.0.1:5004`, `[::1]:5004`) without touching DNS.
    public init(parsing text: String) throws(SocketAddressError) {
        let (host, port) = try Self.split(text)
        guard let address = Self.numeric(host: host, port: port) else {
            throw .malformed(input: text, expected: Self.expectedForm + "; host must be an IPv4/IPv6 literal")
        }
        self = address
    }

    /// Parses `HOST:PORT`, resolving a host name with `getaddrinfo` when it is not a literal (for `--to`).
    /// Blocks on DNS: call at start-up only, never from the producer or real-time threads.
    public static func resolve(_ text: String) throws(SocketAddressError) -> SocketAddress {
        let (host, port) = try split(text)
        if let address = numeric(host: host, port: port) { return address }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw .resolutionFailed(host: host, code: status) }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let found = SocketAddress(current.pointee.ai_addr) { return found }
            entry = current.pointee.ai_next
        }
        throw .resolutionFailed(host: host, code: EAI_NONAME)
    }

    /// Wraps a kernel socket address; `nil` for families other than IPv4/IPv6.
    public init?(_ pointer: UnsafePointer<sockaddr>?) {
        guard let pointer else { return nil }
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            self = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { .v4($0.pointee) }
        case AF_INET6:
            self = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { .v6($0.pointee) }
        default:
            return nil
        }
    }

    /// IPv4 address from four octets, e.g. `SocketAddress(ipv4: (127, 0, 0, 1), port: 5004)`.
    public init(ipv4 octets: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let host = UInt32(octets.0) << 24 | UInt32(octets.1) << 16 | UInt32(octets.2) << 8 | UInt32(octets.3)
        address.sin_addr.s_addr = host.bigEndian
        self = .v4(address)
    }

    public var port: UInt16 {
        get {
            switch self {
            case .v4(let address): UInt16(bigEndian: address.sin_port)
            case .v6(let address): UInt16(bigEndian: address.sin6_port)
            }
        }
        set {
            switch self {
            case .v4(var address):
                address.sin_port = newValue.bigEndian
                self = .v4(address)
            case .v6(var address):
                address.sin6_port = newValue.bigEndian
                self = .v6(address)
            }
        }
    }

    public var family: Int32 {
        switch self {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    /// 224.0.0.0/4 for IPv4, ff00::/8 for IPv6.
    public var isMulticast: Bool {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.sin_addr.s_addr) >> 28 == 0xE
        case .v6(let address):
            return address.sin6_addr.__in6_u.__u6_addr8.0 == 0xFF
        }
    }

    /// 127.0.0.0/8 for IPv4, ::1 for IPv6.
    public var isLoopback: Bool {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.sin_addr.s_addr) >> 24 == 127
        case .v6(var address):
            var loopback = in6addr_loopback
            return memcmp(&address.sin6_addr, &loopback, MemoryLayout<in6_addr>.size) == 0
        }
    }

    /// The host part as text, without port or brackets (`127.0.0.1`, `::1`).
    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch self {
        case .v4(var address):
            _ = inet_ntop(AF_INET, &address.sin_addr, &buffer, socklen_t(buffer.count))
        case .v6(var address):
            _ = inet_ntop(AF_INET6, &address.sin6_addr, &buffer, socklen_t(buffer.count))
        }
        return String(cString: buffer)
    }

    public var description: String {
        switch self {
        case .v4: "\(host):\(port)"
        case .v6(let address):
            address.sin6_scope_id == 0 ? "[\(host)]:\(port)" : "[\(host)%\(address.sin6_scope_id)]:\(port)"
        }
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length, for `bind`/`sendto`.
    @inline(__always)
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(SocketError) -> R)
        throws(SocketError) -> R
    {
        switch self {
        case .v4(var address):
            return try withUnsafePointer(to: &address) { (pointer) throws(SocketError) -> R in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SocketError) -> R in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var address):
            return try withUnsafePointer(to: &address) { (pointer) throws(SocketError) -> R in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(SocketError) -> R in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)):
            return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr
        case (.v6(var a), .v6(var b)):
            return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id
                && memcmp(&a.sin6_addr, &b.sin6_addr, MemoryLayout<in6_addr>.size) == 0
        default:
            return false
        }
    }

    // MARK: - Parsing

    /// Splits `HOST:PORT` / `[HOST]:PORT`; the host may be empty only inside brackets' absence check below.
    private static func split(_ text: String) throws(SocketAddressError) -> (host: String, port: UInt16) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .malformed(input: text, expected: expectedForm + "; missing ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw .malformed(input: text, expected: expectedForm + "; missing ':PORT' after ']'")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .malformed(input: text, expected: expectedForm + "; missing ':PORT'")
            }
            host = text[..<colon]
            if host.contains(":") {
                throw .malformed(input: text, expected: expectedForm + "; put IPv6 addresses in brackets")
            }
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .malformed(input: text, expected: expectedForm + "; missing HOST") }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText)
        else {
            throw .malformed(input: text, expected: expectedForm + "; PORT '\(portText)' is not in 0...65535")
        }
        return (String(host), port)
    }

    /// Numeric host (IPv4 dotted quad or IPv6 with optional `%scope`) → address, or nil.
    private static func numeric(host: String, port: UInt16) -> SocketAddress? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            return .v4(v4)
        }
        var v6 = sockaddr_in6()
        var literal = Substring(host)
        if let percent = host.firstIndex(of: "%") {
            literal = host[..<percent]
            let scope = host[host.index(after: percent)...]
            if let index = UInt32(scope) {
                v6.sin6_scope_id = index
            } else {
                let index = if_nametoindex(String(scope))
                guard index != 0 else { return nil }
                v6.sin6_scope_id = index
            }
        }
        guard inet_pton(AF_INET6, String(literal), &v6.sin6_addr) == 1 else { return nil }
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        return .v6(v6)
    }
}
