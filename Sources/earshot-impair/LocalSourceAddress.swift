import EarshotNet

extension SocketAddress {
    /// Where a socket that sends toward `destination` binds: loopback for a loopback destination (never leave the
    /// host), otherwise the unspecified address of its family so the kernel picks the route's source address.
    /// Port 0: the kernel chooses.
    static func localSource(toward destination: SocketAddress) throws -> SocketAddress {
        switch (destination, destination.isLoopback) {
        case (.v4, true): try SocketAddress(parsing: "127.0.0.1:0")
        case (.v6, true): try SocketAddress(parsing: "[::1]:0")
        case (.v4, false): try SocketAddress(parsing: "0.0.0.0:0")
        case (.v6, false): try SocketAddress(parsing: "[::]:0")
        }
    }

    /// Where an attack's "other" socket binds: like `localSource(toward:)`, but toward an IPv4 loopback destination
    /// from 127.0.0.2, another host on the loopback network, so the receiver sees a stranger's address and not just
    /// another port of its sender's host.
    static func attackerSource(toward destination: SocketAddress) throws -> SocketAddress {
        if case .v4 = destination, destination.isLoopback { return try SocketAddress(parsing: "127.0.0.2:0") }
        return try localSource(toward: destination)
    }
}
