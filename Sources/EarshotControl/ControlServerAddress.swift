import EarshotNet

/// Where `--http` listens: a numeric IPv4/IPv6 host and a TCP port (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:8080`;
/// port 0 lets the kernel choose). A value; any thread.
public struct ControlServerAddress: Sendable, Equatable, CustomStringConvertible {
    static let expectedForm =
        "HOST:PORT or [IPv6]:PORT, HOST a numeric address and PORT in 0...65535 (e.g. 127.0.0.1:8080, [::1]:8080)"

    public let host: String
    public let port: Int

    public init(parsing text: String) throws(ControlServerError) {
        do {
            let address = try SocketAddress(parsing: text)
            host = address.host
            port = Int(address.port)
        } catch {
            throw .malformedAddress(input: text, expected: Self.expectedForm)
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
