@testable import EarshotControl
import EarshotNet
import EarshotReceiver
import EarshotTestRig
import Foundation
import Logging
import NIOCore
import Testing

/// The endpoint in process, over a pipeline without a device (`Output.caller`) and on a port the kernel chooses:
/// every route, every 4xx, and the bounds that keep hostile clients cheap, with limits small enough to hit quickly.
@Suite(.serialized) struct ControlServerTests {
    final class Endpoint {
        let pipeline: ReceiverPipeline
        let server: ControlServer
        var port: Int { server.localAddress.port }

        init(limits: ControlServerLimits = ControlServerLimits()) throws {
            pipeline = try ReceiverPipeline(
                configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0), output: .caller)
            server = try ControlServer(
                pipeline: pipeline, address: ControlServerAddress(parsing: "127.0.0.1:0"), limits: limits,
                logger: Logger(label: "test"))
        }

        deinit { server.stop() }
    }

    @Test func addressFlagNamesTheFlagAndTheForm() throws {
        #expect(try ControlServerAddress(parsing: "[::1]:8080").description == "[::1]:8080")
        for bad in ["8080", "localhost:8080", "127.0.0.1:70000", "127.0.0.1:", ""] {
            #expect(throws: ControlServerError.self) { try ControlServerAddress(parsing: bad) }
        }
        do {
            _ = try ControlServerAddress(parsing: "localhost:8080")
        } catch {
            #expect("\(error)".hasPrefix("--http 'localhost:8080' is not valid: expected HOST:PORT"), "\(error)")
        }
    }

    @Test func aTakenPortIsATypedError() throws {
        let first = try Endpoint()
        let pipeline = try ReceiverPipeline(
            configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0), output: .caller)
        #expect(throws: ControlServerError.self) {
            _ = try ControlServer(
                pipeline: pipeline, address: ControlServerAddress(parsing: "127.0.0.1:\(first.port)"),
                logger: Logger(label: "test"))
        }
    }

    @Test func statusAndMetricsAnswerWithoutAStream() throws {
        let endpoint = try Endpoint()
        let status = try #require(request("GET", "/status", port: endpoint.port))
        #expect(status.status == 200 && status.headers["content-type"] == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
        #expect(object["stream"] is NSNull, "\(status.body)")
        #expect((object["volume"] as? [String: Any])?["db"] as? Double == 0)
        #expect((object["device"] as? [String: Any])?["state"] as? String == "playing")
        #expect((object["counters"] as? [String: Any])?["packetsReceived"] as? Int == 0)
        let metrics = try #require(request("GET", "/metrics", port: endpoint.port))
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let parsed = try PrometheusExposition(parsing: metrics.body)
        // Every ReceiverStats counter and gauge, by its exposed name (the parser drops a counter family's `_total`).
        let expected: [(String, String)] = [
            ("earshot_packets_received", "counter"), ("earshot_packets_late", "counter"),
            ("earshot_packets_duplicated", "counter"), ("earshot_packets_reordered", "counter"),
            ("earshot_packets_too_large", "counter"), ("earshot_packets_out_of_range", "counter"),
            ("earshot_packets_in_source_probation", "counter"), ("earshot_packets_malformed", "counter"),
            ("earshot_jitter_buffer_resyncs", "counter"), ("earshot_jitter_buffer_underruns", "counter"),
            ("earshot_codec_frames_played", "counter"), ("earshot_fec_recovered_codec_frames", "counter"),
            ("earshot_concealed_samples", "counter"), ("earshot_concealment_events", "counter"),
            ("earshot_inserted_samples_for_deceleration", "counter"),
            ("earshot_removed_samples_for_acceleration", "counter"), ("earshot_device_xruns", "counter"),
            ("earshot_device_underruns", "counter"), ("earshot_device_underrun_frames", "counter"),
            ("earshot_rtcp_receiver_reports_sent", "counter"), ("earshot_rtcp_sender_reports_received", "counter"),
            ("earshot_rtcp_goodbyes_received", "counter"), ("earshot_source_changes", "counter"),
            ("earshot_standby_entries", "counter"), ("earshot_device_losses", "counter"),
            ("earshot_device_returns", "counter"), ("earshot_device_failed_opens", "counter"),
            ("earshot_device_releases", "counter"), ("earshot_frames_without_device", "counter"),
            ("earshot_packets_lost", "gauge"),
            ("earshot_jitter_seconds", "gauge"), ("earshot_playout_delay_seconds", "gauge"),
            ("earshot_target_delay_seconds", "gauge"), ("earshot_clock_drift_ppm", "gauge"),
            ("earshot_resample_ratio", "gauge"), ("earshot_delay_error_seconds", "gauge"),
            ("earshot_sync_lost", "gauge"),
            ("earshot_device_state", "gauge"), ("earshot_output_volume_decibels", "gauge"),
            ("earshot_output_muted", "gauge"), ("earshot_stream_active", "gauge"),
        ]
        for (name, type) in expected {
            let family = parsed.family(name)
            #expect(family?.type == type, "\(name): \(String(describing: family))")
            #expect(family?.help.isEmpty == false, "\(name) has no HELP")
        }
        #expect(parsed.families.count == expected.count, "\(parsed.families.map(\.name))")
        // Not known before the producer's first publication: left out rather than NaN (the end-to-end test sees it).
        #expect(parsed.family("earshot_output_queue_seconds") == nil)
        // Every rejection reason has its series from zero.
        let reasons = parsed.samples.keys.filter { $0.hasPrefix("earshot_packets_malformed_total{") }
        #expect(reasons.count == Set(ReceiverGauges.rejectionReasons).count)
        #expect(parsed.samples[#"earshot_device_state{state="playing"}"#] == 1)
        #expect(parsed.samples["earshot_stream_active"] == 0)
    }

    /// What `PUT` sets, `/status` and `/metrics` report (needs `ReceiverPipeline.setOutputVolume`, the volume work).
    @Test func volumeAndMuteSetOverHTTPAreReported() throws {
        let endpoint = try Endpoint()
        let volume = try #require(request("PUT", "/volume", port: endpoint.port, body: #"{"db": -12.5}"#))
        #expect(volume.status == 200 && volume.body == #"{"db":-12.5,"muted":false}"# + "\n", "\(volume.body)")
        let mute = try #require(request("PUT", "/mute", port: endpoint.port, body: #"{"muted": true}"#))
        #expect(mute.status == 200 && mute.body == #"{"db":-12.5,"muted":true}"# + "\n", "\(mute.body)")
        let status = try #require(request("GET", "/status", port: endpoint.port))
        #expect(status.body.contains(#""volume":{"db":-12.5,"muted":true}"#), "\(status.body)")
        let scrape = try #require(request("GET", "/metrics", port: endpoint.port))
        let metrics = try PrometheusExposition(parsing: scrape.body)
        #expect(metrics.samples["earshot_output_volume_decibels"] == -12.5)
        #expect(metrics.samples["earshot_output_muted"] == 1)
    }

    @Test func badRequestsGetTheirStatusAndAOneLineJSONError() throws {
        let endpoint = try Endpoint()
        let port = endpoint.port
        let cases: [(String, String, String?, Int, String)] = [
            ("GET", "/nope", nil, 404, "no such path '/nope'"),
            ("DELETE", "/metrics", nil, 405, "DELETE /metrics is not allowed: use GET"),
            ("GET", "/volume", nil, 405, "use PUT"),
            ("PUT", "/volume", "{\"db\": ", 400, "body is not valid JSON"),
            ("PUT", "/volume", "{\"decibels\": 3}", 400, "missing field \"db\""),
            ("PUT", "/volume", "{\"db\": \"loud\"}", 400, "\"db\" has the wrong type"),
            ("PUT", "/volume", "{\"db\": 20.5}", 400,
             "db 20.5 is out of range: expected {\"db\": NUMBER} with NUMBER in -60 ... 20 dB"),
            ("PUT", "/volume", "{\"db\": -61}", 400, "out of range"),
            ("PUT", "/volume", "", 400, "empty body"),
            ("PUT", "/mute", "{\"muted\": 1}", 400, "\"muted\" has the wrong type: expected {\"muted\": true}"),
        ]
        for (method, path, body, status, message) in cases {
            let response = try #require(request(method, path, port: port, body: body), "\(method) \(path)")
            #expect(response.status == status, "\(method) \(path) \(body ?? ""): \(response.body)")
            #expect(response.errorMessage?.contains(message) == true, "\(method) \(path): \(response.body)")
        }
        #expect(request("POST", "/status", port: port)?.headers["allow"] == "GET")

        // 413: a declared body over the limit is refused without being read.
        let large = try #require(request("PUT", "/volume", port: port, body: String(repeating: " ", count: 5000)))
        #expect(large.status == 413 && large.errorMessage?.contains("at most 1024 bytes") == true, "\(large.body)")
        // 431: headers over the limit.
        let header = "X-Filler: " + String(repeating: "a", count: 9000) + "\r\n"
        let oversized = try #require(request("GET", "/status", port: port, extraHeaders: header))
        #expect(oversized.status == 431 && oversized.errorMessage != nil, "\(oversized.status) \(oversized.body)")
        // A request line longer than head and body together (NIO's decoder bounds only the headers).
        let longPath = try #require(request("GET", "/" + String(repeating: "p", count: 20_000), port: port))
        #expect(longPath.status == 431 && longPath.errorMessage != nil, "\(longPath.status) \(longPath.body)")
        // Garbage: 400 and closed.
        let garbage = try RawHTTPConnection(port: port)
        var generator = SystemRandomNumberGenerator()
        garbage.send((0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let (bytes, closed) = garbage.readUntilClose()
        let answer = HTTPTestResponse(parsing: bytes)
        #expect(
            closed && answer?.status == 400 && answer?.errorMessage != nil, "\(String(decoding: bytes, as: UTF8.self))")
        // Still serving.
        #expect(request("GET", "/status", port: port)?.status == 200)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let endpoint = try Endpoint()
        let connection = try RawHTTPConnection(port: endpoint.port)
        for _ in 0..<3 {
            connection.send("GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(connection.readResponse()?.status == 200)
        }
        // Pipelined: both answered, in order.
        connection.send(
            "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (bytes, closed) = connection.readUntilClose()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(closed && text.hasPrefix("HTTP/1.1 404") && text.contains("HTTP/1.1 200"), "\(text)")
    }

    /// Slowloris: clients that send a byte at a time, and one that sends nothing, are answered 408 and closed at the
    /// request deadline, not kept; a client that completes its request in time is served meanwhile.
    @Test func slowClientsAreClosedAtTheRequestDeadline() throws {
        var limits = ControlServerLimits()
        limits.requestDeadline = .milliseconds(600)
        let endpoint = try Endpoint(limits: limits)
        let slow = try (0..<5).map { _ in try RawHTTPConnection(port: endpoint.port, receiveTimeoutSeconds: 0.05) }
        let idle = try RawHTTPConnection(port: endpoint.port, receiveTimeoutSeconds: 3)
        let start = Date()
        let slowRequest = Array("GET /status HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var closedAt: [Int: Double] = [:]
        var received: [Int: [UInt8]] = [:]
        var index = 0
        while closedAt.count < slow.count && Date().timeIntervalSince(start) < 3 {
            for (number, connection) in slow.enumerated() where closedAt[number] == nil {
                if index < slowRequest.count { connection.send([slowRequest[index]]) }
                let (bytes, closed) = connection.readUntilClose()
                received[number, default: []] += bytes
                if closed { closedAt[number] = Date().timeIntervalSince(start) }
            }
            index += 1
            usleep(100_000)
        }
        #expect(request("GET", "/status", port: endpoint.port)?.status == 200)
        let (idleBytes, idleClosed) = idle.readUntilClose()
        let idleSeconds = Date().timeIntervalSince(start)
        print("control slowloris: closed after \(closedAt.values.sorted()) s, idle after \(idleSeconds) s")
        #expect(closedAt.count == slow.count, "\(closedAt)")
        for (number, seconds) in closedAt {
            // The deadline (0.6 s) plus a 0.1 s polling step and the scheduler's slack.
            #expect(seconds >= 0.55 && seconds < 1.2, "connection \(number) closed after \(seconds) s")
            #expect(HTTPTestResponse(parsing: received[number] ?? [])?.status == 408)
        }
        #expect(idleClosed && HTTPTestResponse(parsing: idleBytes)?.status == 408 && idleSeconds < 1.5)
        #expect(endpoint.server.openConnections <= 1)
    }

    @Test func connectionsBeyondTheLimitAreRefusedAndPlacesComeBack() throws {
        var limits = ControlServerLimits()
        limits.maximumConnections = 4
        let endpoint = try Endpoint(limits: limits)
        var held = try (0..<4).map { _ in try RawHTTPConnection(port: endpoint.port) }
        usleep(100_000)
        let refused = try #require(request("GET", "/status", port: endpoint.port))
        #expect(refused.status == 503 && refused.errorMessage?.contains("too many connections (4 open)") == true)
        held.removeLast()
        usleep(100_000)
        #expect(request("GET", "/status", port: endpoint.port)?.status == 200)
        #expect(held.count == 3)
    }

    /// 100 clients at once, each scraping twice on its own connection: all answered.
    @Test func hundredConcurrentScrapersAreAllAnswered() throws {
        let endpoint = try Endpoint()
        let port = endpoint.port
        let answered = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 100) { _ in
            for _ in 0..<2 where request("GET", "/metrics", port: port)?.status == 200 { answered.increment() }
        }
        #expect(answered.value == 200)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
