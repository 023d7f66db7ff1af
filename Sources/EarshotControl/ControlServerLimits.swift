import NIOCore

/// What one client may cost the control endpoint: the bounds that keep garbage, slowloris connections and crowds of
/// scrapers from growing its memory or holding its thread. A value; any thread.
public struct ControlServerLimits: Sendable {
    /// Connections open at once; more are answered 503 and closed. Room for 100 scrapers while as many slow or
    /// hostile clients wait out their deadline; at most about 14 KiB each (read buffer, head, body, answer).
    public var maximumConnections = 256
    /// A connection must complete each request (head and body) within this long of opening or of its previous
    /// response, or it is answered 408 and closed: idle keep-alive and byte-a-second clients alike.
    public var requestDeadline = TimeAmount.seconds(3)
    /// Request line plus headers, bytes; beyond it the request is answered 431 and the connection closed.
    public var maximumHeadBytes = 8 * 1024
    /// Request body, bytes (a volume or mute request needs a few dozen); beyond it 413 and the connection closed.
    public var maximumBodyBytes = 1024
    /// Bytes read from the socket per read (the receive buffer per connection).
    public var readChunkBytes = 4096

    public init() {}
}
