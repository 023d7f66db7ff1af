#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import NIOHTTP1

/// One HTTP answer of the control endpoint: a status, a content type and a body. A value; any thread.
struct ControlResponse: Sendable, Equatable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: String
    /// Extra headers (`Allow` with 405).
    var headers: [(String, String)] = []

    static let jsonType = "application/json"
    /// The Prometheus text exposition format, version 0.0.4.
    static let prometheusType = "text/plain; version=0.0.4; charset=utf-8"

    static func json(_ body: String, status: HTTPResponseStatus = .ok) -> ControlResponse {
        ControlResponse(status: status, contentType: jsonType, body: body + "\n")
    }

    /// A 4xx/5xx with the one-line JSON body `{"error":"..."}` (the message names what was wrong and what is valid).
    static func error(_ status: HTTPResponseStatus, _ message: String) -> ControlResponse {
        ControlResponse(status: status, contentType: jsonType, body: ErrorBody(error: message).jsonLine + "\n")
    }

    static func == (lhs: ControlResponse, rhs: ControlResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    private struct ErrorBody: Encodable {
        let error: String

        var jsonLine: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            guard let data = try? encoder.encode(self) else { return #"{"error":"unencodable message"}"# }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
