/// The `c=` line of an SDP (RFC 4566 section 5.7): where the media goes.
public struct SDPConnection: Equatable, Sendable {
    /// `IP4` or `IP6`.
    public enum AddressType: String, Equatable, Sendable {
        case ipv4 = "IP4"
        case ipv6 = "IP6"
    }

    public var addressType: AddressType
    /// Literal address, without TTL or brackets.
    public var address: String
    /// Multicast TTL; required for IPv4 multicast (`c=IN IP4 239.1.2.3/16`), absent otherwise.
    public var ttl: UInt8?

    public init(addressType: AddressType, address: String, ttl: UInt8? = nil) {
        self.addressType = addressType
        self.address = address
        self.ttl = ttl
    }

    /// Unicast IPv4 loopback, the default for local tests.
    public static let loopback = SDPConnection(addressType: .ipv4, address: "127.0.0.1")

    /// Whether `address` is a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8).
    public var isMulticast: Bool {
        switch addressType {
        case .ipv4:
            guard let first = address.split(separator: ".").first, let octet = UInt8(first) else { return false }
            return (224...239).contains(octet)
        case .ipv6:
            return address.lowercased().hasPrefix("ff")
        }
    }

    /// `IN IP4 239.1.2.3/16` form, as it follows `c=`.
    var rendered: String {
        "IN \(addressType.rawValue) \(address)" + (ttl.map { "/\($0)" } ?? "")
    }

    /// Parses the value of a `c=` line.
    init?(parsing value: Substring) {
        let fields = value.split(separator: " ")
        guard fields.count == 3, fields[0] == "IN", let type = AddressType(rawValue: String(fields[1])) else {
            return nil
        }
        let parts = fields[2].split(separator: "/")
        guard let host = parts.first, parts.count <= 3 else { return nil }
        addressType = type
        address = String(host)
        if type == .ipv4, parts.count >= 2 {
            guard let ttl = UInt8(parts[1]) else { return nil }
            self.ttl = ttl
        } else {
            ttl = nil
        }
    }
}
