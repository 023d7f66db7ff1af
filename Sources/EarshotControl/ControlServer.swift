import EarshotReceiver
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The `--http` control and observation endpoint: `GET /metrics`, `GET /status`, `PUT /volume`, `PUT /mute`
/// (`ReceiverControlAPI`), served over HTTP/1.1 by SwiftNIO on one event-loop thread of its own, at normal
/// scheduling priority.
///
/// The receiver's real-time threads never see it: a request reads the pipeline's any-thread accessors (the counters'
/// sequence-lock mailbox, the gauges' atomics, the stream mailbox), which neither lock nor allocate on the producer
/// or playback side. Per connection it holds at most one request head and body (`ControlServerLimits`) and a
/// 4 KiB read buffer; `maximumConnections` bound the whole. Control thread: `init` binds, `stop` closes;
/// `localAddress` any thread.
public final class ControlServer: @unchecked Sendable {
    /// Where the endpoint listens (the chosen port when `--http` asked for port 0).
    public let localAddress: ControlServerAddress
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let gate: ConnectionGate
    private var stopped = false

    /// Binds `address` and starts serving `pipeline`.
    public init(
        pipeline: ReceiverPipeline, address: ControlServerAddress, limits: ControlServerLimits = ControlServerLimits(),
        logger: Logger
    ) throws(ControlServerError) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let api = ReceiverControlAPI(pipeline: pipeline)
        let gate = ConnectionGate(limit: limits.maximumConnections)
        self.gate = gate
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: limits.readChunkBytes))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, api: api, limits: limits, gate: gate)
                }
            }
        do {
            channel = try bootstrap.bind(host: address.host, port: address.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw .bindFailed(address: address.description, reason: "\(error)")
        }
        let port = channel.localAddress?.port ?? address.port
        localAddress = try ControlServerAddress(parsing: "\(ControlServerAddress.bracketed(address.host)):\(port)")
        logger.debug("control endpoint on http://\(localAddress)/ (at most \(limits.maximumConnections) connections)")
    }

    /// Connections open now.
    public var openConnections: Int { gate.openConnections }

    /// Closes the listening socket and every connection, and ends the event-loop thread. Idempotent. Control thread.
    public func stop() {
        if stopped { return }
        stopped = true
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    deinit { stop() }

    /// One accepted connection's handlers, or a 503 and close when all places are taken.
    private static func configure(
        channel: any Channel, api: ReceiverControlAPI, limits: ControlServerLimits, gate: ConnectionGate
    ) throws {
        let handlers = channel.pipeline.syncOperations
        guard gate.admit() else {
            try handlers.addHandler(ConnectionRefusal(limit: limits.maximumConnections))
            return
        }
        channel.closeFuture.whenComplete { _ in gate.release() }
        let budget = RequestByteBudget(limits: limits)
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maximumHeadBytes
        decoderLimits.maxHeaderListSize = limits.maximumHeadBytes
        decoderLimits.maxHeaderFieldCount = 100
        try handlers.addHandler(budget)
        try handlers.addHandler(HTTPResponseEncoder())
        try handlers.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)))
        // Stops reading while the socket's send buffer is full: a client that sends requests without reading the
        // answers cannot make responses pile up in memory.
        try handlers.addHandler(BackPressureHandler())
        try handlers.addHandler(ControlConnectionHandler(api: api, limits: limits, budget: budget))
    }
}

extension ControlServerAddress {
    /// The host as it goes before `:PORT` (IPv6 in brackets).
    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}

/// Answers 503 and closes: the connection came while `maximumConnections` were open. Event-loop thread only.
final class ConnectionRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let limit: Int

    init(limit: Int) { self.limit = limit }

    func channelActive(context: ChannelHandlerContext) {
        let response = ControlResponse.error(
            .serviceUnavailable, "too many connections (\(limit) open): close idle ones or retry shortly")
        let loopContext = context
        context.writeAndFlush(
            NIOAny(HTTPWireResponse.encode(response, allocator: context.channel.allocator, closing: true))
        ).assumeIsolated().whenComplete { _ in loopContext.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
