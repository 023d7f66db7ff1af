import NIOCore

/// A `ControlResponse` as raw HTTP/1.1 bytes, for the handlers that answer before or without the HTTP codec (the
/// byte budget's 431, the connection limit's 503).
enum HTTPWireResponse {
    static func encode(_ response: ControlResponse, allocator: ByteBufferAllocator, closing: Bool) -> ByteBuffer {
        var text = "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n"
        text += "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.utf8.count)\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        if closing { text += "Connection: close\r\n" }
        text += "\r\n" + response.body
        return allocator.buffer(string: text)
    }
}
