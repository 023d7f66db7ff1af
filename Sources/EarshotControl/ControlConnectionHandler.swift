import NIOCore
import NIOHTTP1

/// One connection of the control endpoint, after NIO's HTTP/1.1 codec: gathers a request (head, body up to
/// `maximumBodyBytes`), answers it through `ReceiverControlAPI`, keeps the connection open when the client asks.
///
/// Bounds: each request must be complete within `requestDeadline` of the connection's start or of the previous
/// answer (else 408 and close: a slowloris client or an idle keep-alive one holds a place for that long at most);
/// a body larger than allowed is answered 413 and the connection closed without reading it; a request NIO cannot
/// parse is answered 400, headers over the limit 431, and the connection closed. Event-loop thread only.
final class ControlConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: ReceiverControlAPI
    private let limits: ControlServerLimits
    private let budget: RequestByteBudget
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// An answer that closes the connection was sent: ignore whatever still arrives.
    private var closing = false
    private var deadline: Scheduled<Void>?

    init(api: ReceiverControlAPI, limits: ControlServerLimits, budget: RequestByteBudget) {
        self.api = api
        self.limits = limits
        self.budget = budget
    }

    func handlerAdded(context: ChannelHandlerContext) { armDeadline(context: context) }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        switch Self.unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.removeAll(keepingCapacity: true)
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                length > limits.maximumBodyBytes
            {
                answerAndClose(context: context, tooLarge(length))
            }
        case .body(let bytes):
            guard body.count + bytes.readableBytes <= limits.maximumBodyBytes else {
                answerAndClose(context: context, tooLarge(body.count + bytes.readableBytes))
                return
            }
            body.append(contentsOf: bytes.readableBytesView)
        case .end:
            guard let requestHead = head else { return }
            head = nil
            budget.requestCompleted()
            let response = api.respond(method: requestHead.method, uri: requestHead.uri, body: body)
            body.removeAll(keepingCapacity: true)
            if requestHead.isKeepAlive {
                write(context: context, response, version: requestHead.version, closing: false)
                armDeadline(context: context)
            } else {
                answerAndClose(context: context, response, version: requestHead.version)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        if closing { return }
        if parserError == .headerOverflow {
            answerAndClose(
                context: context,
                .error(
                    .init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"),
                    "request headers larger than \(limits.maximumHeadBytes) bytes"))
        } else {
            answerAndClose(context: context, .error(.badRequest, "malformed HTTP/1.1 request (\(parserError))"))
        }
    }

    private func tooLarge(_ bytes: Int) -> ControlResponse {
        .error(.payloadTooLarge, "body of \(bytes) bytes is too large: at most \(limits.maximumBodyBytes) bytes")
    }

    /// (Re)starts the wait for the next complete request.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopContext = context
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: limits.requestDeadline) { [self] in
            deadline = nil
            if closing { return }
            let seconds = Double(limits.requestDeadline.nanoseconds) / 1e9
            answerAndClose(
                context: loopContext,
                .error(.requestTimeout, "no complete request within \(seconds) s: send the whole request at once"))
        }
    }

    private func answerAndClose(
        context: ChannelHandlerContext, _ response: ControlResponse, version: HTTPVersion = .http1_1
    ) {
        closing = true
        deadline?.cancel()
        deadline = nil
        let loopContext = context
        write(context: context, response, version: version, closing: true).assumeIsolated().whenComplete { _ in
            loopContext.close(promise: nil)
        }
    }

    @discardableResult
    private func write(
        context: ChannelHandlerContext, _ response: ControlResponse, version: HTTPVersion, closing: Bool
    ) -> EventLoopFuture<Void> {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if closing { headers.add(name: "Connection", value: "close") }
        context.write(
            Self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))),
            promise: nil)
        context.write(
            Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))),
            promise: nil)
        return context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
    }
}
