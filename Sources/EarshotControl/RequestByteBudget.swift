import NIOCore

/// First inbound handler of a connection: closes it when more bytes arrive for one request than a head and a body
/// may hold together, before the HTTP decoder buffers them (NIO's decoder bounds the headers but not the request
/// line). `ControlConnectionHandler` resets the count at each complete request. Event-loop thread only.
final class RequestByteBudget: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: ControlServerLimits
    private let budget: Int
    private var spent = 0
    private var exhausted = false

    init(limits: ControlServerLimits) {
        self.limits = limits
        budget = limits.maximumHeadBytes + limits.maximumBodyBytes
    }

    /// The request that the bytes so far belonged to is complete.
    func requestCompleted() { spent = 0 }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if exhausted { return }
        let bytes = Self.unwrapInboundIn(data)
        spent += bytes.readableBytes
        guard spent <= budget else {
            exhausted = true
            let response = ControlResponse.error(
                .init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"),
                "request larger than \(budget) bytes: the request line and headers may have "
                    + "\(limits.maximumHeadBytes) bytes, the body \(limits.maximumBodyBytes)")
            let wire = HTTPWireResponse.encode(response, allocator: context.channel.allocator, closing: true)
            let loopContext = context
            context.writeAndFlush(NIOAny(wire)).assumeIsolated().whenComplete { _ in loopContext.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }
}
