#if canImport(Glibc)
import Glibc
#endif

/// A block of IP addresses in CIDR form (`192.0.2.0/24`, `10.1.2.3`, `fd00::/8`), for `--allow`.
///
/// Matching compares the first `prefixLength` bits of the host part; ports never matter. An IPv4 range also matches
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack socket reports). Value type without heap storage:
/// `contains` allocates nothing and may run on the producer thread.
public struct SocketAddressRange: Sendable, Equatable, CustomStringConvertible {
    /// 16 bytes: an IPv4 range keeps its 4 octets first.
    private let bytes: (UInt64, UInt64)
    private let isIPv4: Bool
    public let prefixLength: Int

    public static let expectedForm = "ADDRESS or ADDRESS/PREFIX (e.g. 192.0.2.0/24, 10.0.0.7, fd00::/8), "
        + "PREFIX in 0...32 for IPv4 and 0...128 for IPv6"

    /// Parses `ADDRESS[/PREFIX]` (numeric only; no host names). A missing prefix means one address.
    public init(parsing text: String) throws(SocketAddressError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(parts[0])
        var v4 = in_addr()
        var v6 = in6_addr()
        let maximum: Int
        if inet_pton(AF_INET, host, &v4) == 1 {
            isIPv4 = true
            maximum = 32
            bytes = (UInt64(UInt32(bigEndian: v4.s_addr)) << 32, 0)
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            isIPv4 = false
            maximum = 128
            bytes = Self.words(v6)
        } else {
            throw .malformed(input: text, expected: Self.expectedForm)
        }
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else {
                throw .malformed(input: text, expected: Self.expectedForm)
            }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
    }

    /// True when `address`'s host lies in this range.
    public func contains(_ address: SocketAddress) -> Bool {
        let candidate: (UInt64, UInt64)
        switch address {
        case .v4(let socket):
            guard isIPv4 else { return false }
            candidate = (UInt64(UInt32(bigEndian: socket.sin_addr.s_addr)) << 32, 0)
        case .v6(let socket):
            let words = Self.words(socket.sin6_addr)
            if isIPv4 {
                // ::ffff:a.b.c.d
                guard words.0 == 0, words.1 >> 32 == 0xFFFF else { return false }
                candidate = ((words.1 & 0xFFFF_FFFF) << 32, 0)
            } else {
                candidate = words
            }
        }
        return Self.masked(candidate, prefixLength) == Self.masked(bytes, prefixLength)
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if isIPv4 {
            var v4 = in_addr(s_addr: UInt32(truncatingIfNeeded: bytes.0 >> 32).bigEndian)
            _ = inet_ntop(AF_INET, &v4, &text, socklen_t(text.count))
        } else {
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { raw in
                for index in 0..<8 {
                    raw[index] = UInt8(truncatingIfNeeded: bytes.0 >> (56 - 8 * index))
                    raw[8 + index] = UInt8(truncatingIfNeeded: bytes.1 >> (56 - 8 * index))
                }
            }
            _ = inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count))
        }
        return String(cString: text) + "/\(prefixLength)"
    }

    public static func == (lhs: SocketAddressRange, rhs: SocketAddressRange) -> Bool {
        lhs.isIPv4 == rhs.isIPv4 && lhs.prefixLength == rhs.prefixLength && lhs.bytes == rhs.bytes
    }

    private static func words(_ address: in6_addr) -> (UInt64, UInt64) {
        withUnsafeBytes(of: address) { raw in
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 {
                high = high << 8 | UInt64(raw[index])
                low = low << 8 | UInt64(raw[8 + index])
            }
            return (high, low)
        }
    }

    private static func masked(_ value: (UInt64, UInt64), _ length: Int) -> (UInt64, UInt64) {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> bits) }
        return (value.0 & mask(length), value.1 & mask(length - 64))
    }
}

extension SocketAddress {
    /// Same IP host (and IPv6 scope), whatever the ports: RTCP from a sender comes from its RTP port or the next.
    public func hasSameHost(as other: SocketAddress) -> Bool {
        switch (self, other) {
        case (.v4(let a), .v4(let b)):
            return a.sin_addr.s_addr == b.sin_addr.s_addr
        case (.v6(var a), .v6(var b)):
            return a.sin6_scope_id == b.sin6_scope_id
                && memcmp(&a.sin6_addr, &b.sin6_addr, MemoryLayout<in6_addr>.size) == 0
        default:
            return false
        }
    }
}
