#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import EarshotReceiver
import NIOHTTP1

/// The control endpoint's routes: a complete request in, its answer out.
///
/// - `GET /metrics`: `ReceiverMetrics` (Prometheus text format).
/// - `GET /status`: `ReceiverStatusDocument` (JSON).
/// - `PUT /volume` `{"db": -12.5}` and `PUT /mute` `{"muted": true}`: set through `ReceiverPipeline.setOutputVolume`,
///   answered with the volume then in effect (`{"db":-12.5,"muted":false}`).
///
/// Anything else: 404 (unknown path) or 405 (known path, other method, with `Allow`); a bad body 400. Every error is
/// a one-line `{"error": "..."}` naming what was wrong and what is valid. Reads the pipeline only through its
/// any-thread accessors; runs on the endpoint's event-loop thread.
struct ReceiverControlAPI: Sendable {
    let pipeline: ReceiverPipeline

    static let paths = ["/metrics": HTTPMethod.GET, "/status": .GET, "/volume": .PUT, "/mute": .PUT]
    static let pathList = "GET /metrics, GET /status, PUT /volume, PUT /mute"

    func respond(method: HTTPMethod, uri: String, body: [UInt8]) -> ControlResponse {
        let path = String(uri.prefix { $0 != "?" && $0 != "#" })
        guard let allowed = Self.paths[path] else {
            return .error(.notFound, "no such path '\(Self.printable(path))': the endpoints are \(Self.pathList)")
        }
        guard method == allowed else {
            var response = ControlResponse.error(
                .methodNotAllowed, "\(Self.printable(method.rawValue)) \(path) is not allowed: use \(allowed.rawValue)")
            response.headers = [("Allow", allowed.rawValue)]
            return response
        }
        switch path {
        case "/metrics":
            return ControlResponse(
                status: .ok, contentType: ControlResponse.prometheusType,
                body: ReceiverMetrics.render(ReceiverSnapshot(pipeline)))
        case "/status":
            return .json(ReceiverStatusDocument(ReceiverSnapshot(pipeline)).jsonLine)
        case "/volume":
            return setVolume(body)
        default:
            return setMute(body)
        }
    }

    private static var volumeForm: String {
        let range = OutputVolume.decibelRange
        return #"{"db": NUMBER} with NUMBER in \#(Self.number(range.lowerBound)) ... \#(Self.number(range.upperBound)) dB"#
    }

    private static let muteForm = #"{"muted": true} or {"muted": false}"#

    private func setVolume(_ body: [UInt8]) -> ControlResponse {
        struct Request: Decodable { let db: Double }
        let request: Request
        switch Self.decode(Request.self, body, field: "db", form: Self.volumeForm) {
        case .success(let decoded): request = decoded
        case .failure(let error): return error.response
        }
        guard OutputVolume.decibelRange.contains(request.db) else {
            return .error(.badRequest, "db \(Self.number(request.db)) is out of range: expected \(Self.volumeForm)")
        }
        var volume = pipeline.outputVolume
        volume.decibels = request.db
        return apply(volume)
    }

    private func setMute(_ body: [UInt8]) -> ControlResponse {
        struct Request: Decodable { let muted: Bool }
        let request: Request
        switch Self.decode(Request.self, body, field: "muted", form: Self.muteForm) {
        case .success(let decoded): request = decoded
        case .failure(let error): return error.response
        }
        var volume = pipeline.outputVolume
        volume.isMuted = request.muted
        return apply(volume)
    }

    /// Sets `volume` and answers with the level in effect: 400 out of range, 502 when the card's mixer refused it
    /// (nothing changed), 500 when it took effect but could not be saved to the state file.
    private func apply(_ volume: OutputVolume) -> ControlResponse {
        do {
            try pipeline.setOutputVolume(volume)
        } catch {
            switch error {
            case .outOfRange: return .error(.badRequest, "\(error)")
            case .mixer: return .error(.badGateway, "\(error)")
            case .notSaved: return .error(.internalServerError, "\(error)")
            }
        }
        return .json(VolumeState(pipeline.outputVolume).jsonLine)
    }

    /// The body as `T`, or the 400 that says what is wrong with it.
    private static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], field: String, form: String)
        -> Result<T, ResponseError>
    {
        guard !body.isEmpty else { return .failure(ResponseError(.error(.badRequest, "empty body: expected \(form)"))) }
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(body)))
        } catch DecodingError.keyNotFound {
            return .failure(ResponseError(.error(.badRequest, "missing field \"\(field)\": expected \(form)")))
        } catch DecodingError.typeMismatch, DecodingError.valueNotFound {
            return .failure(ResponseError(.error(.badRequest, "\"\(field)\" has the wrong type: expected \(form)")))
        } catch {
            return .failure(ResponseError(.error(.badRequest, "body is not valid JSON: expected \(form)")))
        }
    }

    /// A 400 carried through `Result`.
    struct ResponseError: Error {
        let response: ControlResponse
        init(_ response: ControlResponse) { self.response = response }
    }

    /// `-12.5`, `20` (no trailing `.0`).
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Remote text echoed in an error: at most 64 printable ASCII characters.
    private static func printable(_ text: String) -> String {
        let cleaned = text.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }
        return String(cleaned) + (text.unicodeScalars.count > 64 ? "..." : "")
    }
}
