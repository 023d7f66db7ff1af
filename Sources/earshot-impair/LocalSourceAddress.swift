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
}
