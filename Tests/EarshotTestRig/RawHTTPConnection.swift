import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client for the endpoint tests: sends exactly the bytes a test chooses (garbage, a byte at a time,
/// oversized heads) and reads what comes back, with a receive timeout so a test never hangs.
public final class RawHTTPConnection {
    public let descriptor: Int32

    public init(port: Int, receiveTimeoutSeconds: Double = 5) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawHTTPError.system("socket", errno) }
        var timeout = timeval(
            tv_sec: Int(receiveTimeoutSeconds),
            tv_usec: Int(receiveTimeoutSeconds.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw RawHTTPError.system("connect", errno)
        }
    }

    deinit { close(descriptor) }

    /// Sends `bytes`; false when the peer has closed (EPIPE/ECONNRESET).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Everything until the peer closes or the receive timeout passes; `closed` tells which.
    public func readUntilClose() -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += chunk[0..<count]
            } else {
                return (received, count == 0 || errno == ECONNRESET)
            }
        }
    }

    /// One response (head, then `Content-Length` bytes of body); nil on timeout or close before it is complete.
    public func readResponse() -> HTTPTestResponse? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let response = HTTPTestResponse(parsing: received) { return response }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            received += chunk[0..<count]
        }
    }
}

public enum RawHTTPError: Error { case system(String, Int32) }

/// A parsed HTTP/1.1 response.
public struct HTTPTestResponse {
    public let status: Int
    public let headers: [String: String]
    public let body: String

    /// nil until `bytes` hold a whole response.
    public init?(parsing bytes: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + separator.count
        guard bytes.count >= bodyStart + length else { return nil }
        self.status = status
        self.headers = headers
        body = String(decoding: bytes[bodyStart..<(bodyStart + length)], as: UTF8.self)
    }

    /// The `error` member of a one-line JSON error body (nil when the body is not one).
    public var errorMessage: String? {
        guard body.hasSuffix("\n"), !body.dropLast().contains("\n"),
            let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            object.count == 1
        else { return nil }
        return object["error"] as? String
    }
}

/// One request on a new connection, its answer read whole (nil on failure).
public func request(_ method: String, _ path: String, port: Int, body: String? = nil, extraHeaders: String = "")
    -> HTTPTestResponse?
{
    guard let connection = try? RawHTTPConnection(port: port) else { return nil }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extraHeaders)"
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    text += "Connection: close\r\n\r\n" + (body ?? "")
    connection.send(text)
    return connection.readResponse()
}
