import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// `earshot-recv --http` on the paced rig, release build: what `/metrics` and `/status` say during a real stream,
/// and that hostile HTTP clients leave playback alone.
@Suite(.serialized, .tags(.rigTiming)) struct ControlEndpointEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    /// A JSON object from `/status`.
    static func status(port: Int) throws -> [String: Any] {
        let response = try #require(request("GET", "/status", port: port))
        #expect(response.status == 200)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
    }

    static func metrics(port: Int) throws -> PrometheusExposition {
        let response = try #require(request("GET", "/metrics", port: port))
        #expect(response.status == 200)
        return try PrometheusExposition(parsing: response.body)
    }

    /// ffmpeg with its SSRC, CNAME, source ports and 10 ms frames pinned: `/status` names exactly those, `/metrics`
    /// (parsed by prometheus_client) counts the stream between two scrapes as the exit `stats-json` line does.
    @Test func metricsAndStatusDescribeTheStreamPlaying() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let httpPort = port + 2
        let senderPort = port + 10_000
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 4.5, extra: ["--http", "127.0.0.1:\(httpPort)", "--min-latency", "25"])
        let sender = try ChildProcess(
            ChildProcess.ffmpeg,
            [
                "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=997:sample_rate=48000",
                "-t", "6", "-ac", "2", "-c:a", "libopus", "-application", "lowdelay", "-frame_duration", "10",
                "-b:a", "128k", "-f", "rtp", "-payload_type", "96", "-ssrc", "305419896", "-cname", "e2e-http@earshot",
                "rtp://127.0.0.1:\(port)?localrtpport=\(senderPort)&localrtcpport=\(senderPort + 1)",
            ])
        usleep(1_500_000)
        let first = try Self.metrics(port: httpPort)
        let firstInstant = Date()
        let playing = try Self.status(port: httpPort)
        usleep(1_000_000)
        let second = try Self.metrics(port: httpPort)
        let interval = Date().timeIntervalSince(firstInstant)
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        sender.wait(seconds: 5)
        let final = try Receiver.finalStats(receiver.log)

        let stream = try #require(playing["stream"] as? [String: Any], "\(playing)")
        print("e2e control: status stream \(stream), device \(playing["device"] ?? "-")")
        #expect(stream["sender"] as? String == "127.0.0.1:\(senderPort)")
        #expect(stream["ssrc"] as? Int == 305_419_896 && stream["ssrcHex"] as? String == "12345678")
        #expect(stream["cname"] as? String == "e2e-http@earshot")
        #expect(stream["frameSamples"] as? Int == 480 && stream["codec"] as? String == "opus")
        #expect((playing["device"] as? [String: Any])?["name"] as? String == "spk")
        #expect((playing["device"] as? [String: Any])?["state"] as? String == "playing")

        let received = (
            first.samples["earshot_packets_received_total"], second.samples["earshot_packets_received_total"])
        let played = second.samples["earshot_codec_frames_played_total"] ?? 0
        print("e2e control: packets received \(received) over \(interval) s, frames played \(played); "
            + Receiver.jsonLine(receiver.log))
        let growth = (received.1 ?? 0) - (received.0 ?? 0)
        // 100 packets a second; ffmpeg -re sends in bursts of a few frames, so a scrape may fall either side of one.
        #expect(abs(growth - 100 * interval) <= 10, "received \(received) over \(interval) s")
        #expect(played > 0 && played <= received.1 ?? 0)
        #expect(Double(Receiver.int(final, "packetsReceived")) >= received.1 ?? .infinity)
        #expect(Double(Receiver.int(final, "framesPlayed")) >= played)
        #expect(second.samples["earshot_stream_active"] == 1)
        #expect(second.samples["earshot_stream_frame_seconds"] == 0.01)
        #expect(second.samples[#"earshot_device_state{state="playing"}"#] == 1)
        // The delays agree with the jitter buffer's own figures, in seconds.
        let target = try #require(second.samples["earshot_target_delay_seconds"])
        #expect(target >= 0.025 && target <= 0.2, "target \(target) s")
        let queue = try #require(second.samples["earshot_output_queue_seconds"])
        #expect(queue > 0 && queue < 0.1, "output queue \(queue) s")
    }

    /// During one stream of our sender's tone: 3 s of quiet as the baseline, then 3 s of abuse (100 clients scraping
    /// `/metrics` and `/status` at once, 20 slowloris connections sending a byte every 0.3 s, 20 connections of
    /// random bytes, every 4xx case). What the receiver handed to its device (`--record`) has no more glitch windows
    /// during the abuse than during the baseline, and neither has the rig's recording, but for the rig's own
    /// underflows (`HostStealMeter`); every slowloris connection was closed by the endpoint, which still answers.
    /// `PUT /volume` −12 dB then `PUT /mute` during a stream, judged in the rig's recording of what the sink played:
    /// the step measures −12 ± 0.5 dB, the tone is clean on both sides of it (no 10 ms window below 20 dB SNR but
    /// where the receiver concealed, or the rig underflowed), and mute is silence.
    @Test func volumeStepAndMuteOverHTTPAreHeardInTheRecording() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let port = Receiver.portPair()
        let httpPort = port + 2
        let recording = try rig.startRecording()
        let receiver = try Receiver.receiver(rig: rig, port: port, seconds: 6, extra: ["--http", "127.0.0.1:\(httpPort)"])
        let sender = try ChildProcess(
            ChildProcess.earshotSend, ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "5.5"])
        usleep(2_000_000)
        let stepped = request("PUT", "/volume", port: httpPort, body: #"{"db": -12}"#)
        usleep(1_500_000)
        let muted = request("PUT", "/mute", port: httpPort, body: #"{"muted": true}"#)
        usleep(1_000_000)
        sender.wait(seconds: 5)
        #expect(receiver.wait(seconds: 8) == 0, "\(receiver.log)")
        let samples = try recording.stop()
        let stats = try Receiver.finalStats(receiver.log)
        #expect(stepped?.status == 200 && muted?.status == 200)

        let left = SignalAnalysis.channel(0, of: samples, channels: 2)
        let windowFrames = 480
        let first = try #require(left.firstIndex { abs($0) > 0.05 }, "no tone in the recording")
        let tone = Array(left[first...])
        let windows = tone.count / windowFrames
        let amplitudes = (0..<windows).map { index in
            SignalAnalysis.sineFit(
                tone[(index * windowFrames)..<((index + 1) * windowFrames)], frequency: 997, sampleRate: 48_000
            ).amplitude
        }
        // The tone's level over its first second; the step is the first window 3 dB below it, the mute the first
        // window 30 dB below it after that.
        let full = LoopbackEndToEndTests.median(Array(amplitudes[20..<100]))
        let step = try #require(amplitudes.indices.first { $0 > 100 && amplitudes[$0] < full * 0.7 })
        let mute = try #require(amplitudes.indices.first { $0 > step + 2 && amplitudes[$0] < full * 0.25 * 0.03 })
        let reduced = LoopbackEndToEndTests.median(Array(amplitudes[(step + 2)..<(mute - 1)]))
        let stepDB = 20 * log10(reduced / full)
        let silence = tone[((mute + 2) * windowFrames)...]
        let glitches = LoopbackEndToEndTests.glitchEvents(
            SignalAnalysis.glitchWindows(
                Array(tone[(10 * windowFrames)..<((step - 1) * windowFrames)]), frequency: 997, sampleRate: 48_000,
                windowFrames: windowFrames, minimumSNRdB: 20)
                + SignalAnalysis.glitchWindows(
                    Array(tone[((step + 2) * windowFrames)..<((mute - 1) * windowFrames)]), frequency: 997,
                    sampleRate: 48_000, windowFrames: windowFrames, minimumSNRdB: 20
                ).map { $0 + step })
        let stealPercent = steal.percent()
        print(String(
            format: "e2e volume over HTTP: full %.3f, after the step %.3f (%.2f dB, %d windows); muted %d samples, "
                + "peak %.6f; glitch events %d; host steal %.1f %%",
            full, reduced, stepDB, mute - step, silence.count, silence.map { abs($0) }.max() ?? 0, glitches,
            stealPercent))
        #expect(abs(stepDB - -12) <= 0.5, "step \(stepDB) dB")
        #expect(silence.count >= 24_000 && silence.allSatisfy { abs($0) < 1e-4 }, "mute is silence")
        #expect(glitches <= Receiver.int(stats, "concealmentEvents")
                + HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent), "glitch events \(glitches)")
    }

    @Test func abuseOfTheEndpointLeavesPlaybackAlone() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let port = Receiver.portPair()
        let httpPort = port + 2
        let recording = try rig.startRecording()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 8, extra: ["--http", "127.0.0.1:\(httpPort)", "--record", wav])
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--frame", "5", "--to", "127.0.0.1:\(port)", "--duration", "9.5", "--stats", "1"])
        let streamStart = Date()
        usleep(3_500_000)
        let abuseStart = Date().timeIntervalSince(streamStart)
        let outcome = Self.abuse(port: httpPort, seconds: 3)
        let abuseEnd = Date().timeIntervalSince(streamStart)
        let afterwards = request("GET", "/status", port: httpPort)?.status
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        sender.wait(seconds: 5)
        let samples = try recording.stop()
        let stats = try Receiver.finalStats(receiver.log)

        // Tone time: 0 is the tone's first sample in each recording; the abuse began `abuseStart` after the sender
        // started (the tone arrives a few ms later: the windows below keep 0.3 s clear of the boundary).
        func events(_ interleaved: [Float], from: Double, to: Double) throws -> Int {
            let left = SignalAnalysis.channel(0, of: interleaved, channels: 2)
            let first = try #require(left.firstIndex { abs($0) > 0.05 })
            let start = first + Int(from * 48_000)
            let end = min(left.count, first + Int(to * 48_000))
            try #require(end - start > 24_000, "tone shorter than expected")
            return LoopbackEndToEndTests.glitchEvents(SignalAnalysis.glitchWindows(
                Array(left[start..<end]), frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20))
        }
        let baselineFrom = 0.5, baselineTo = abuseStart - 0.3
        let abuseFrom = abuseStart, abuseTo = abuseEnd + 0.3
        let handed = try WAVFile.read(path: wav).samples
        let handedEvents = (try events(handed, from: baselineFrom, to: baselineTo),
                            try events(handed, from: abuseFrom, to: abuseTo))
        let heardEvents = (try events(samples, from: baselineFrom, to: baselineTo),
                           try events(samples, from: abuseFrom, to: abuseTo))
        let stealPercent = steal.percent()
        print(String(
            format: "e2e control abuse: %@; glitch events baseline/abuse handed %d/%d heard %d/%d; "
                + "host steal %.1f %%; %@",
            outcome.description, handedEvents.0, handedEvents.1, heardEvents.0, heardEvents.1, stealPercent,
            Receiver.jsonLine(receiver.log)))
        #expect(handedEvents.1 <= handedEvents.0, "handed to the device: \(handedEvents)")
        #expect(heardEvents.1 <= heardEvents.0 + HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent),
                "heard: \(heardEvents), host steal \(stealPercent) %")
        #expect(Receiver.int(stats, "deviceUnderruns") == 0 && Receiver.int(stats, "concealmentEvents") == 0)
        #expect(outcome.scrapesAnswered == outcome.scrapes, "\(outcome.description)")
        #expect(outcome.slowClosed == 20, "\(outcome.description)")
        #expect(outcome.garbageAnswered400 == 20, "\(outcome.description)")
        #expect(outcome.badRequestsAnswered == outcome.badRequests, "\(outcome.description)")
        #expect(afterwards == 200)
    }

    struct AbuseOutcome: CustomStringConvertible {
        var scrapes = 0, scrapesAnswered = 0, slowClosed = 0, garbageAnswered400 = 0, badRequests = 0
        var badRequestsAnswered = 0

        var description: String {
            "scrapes \(scrapesAnswered)/\(scrapes) answered, slowloris closed \(slowClosed)/20, garbage answered 400 "
                + "\(garbageAnswered400)/20, bad requests answered 4xx \(badRequestsAnswered)/\(badRequests)"
        }
    }

    /// The abusers' shared tally.
    final class AbuseTally: @unchecked Sendable {
        private let lock = NSLock()
        private var current = AbuseOutcome()

        func update(_ change: (inout AbuseOutcome) -> Void) { lock.withLock { change(&current) } }
        var outcome: AbuseOutcome { lock.withLock { current } }
    }

    /// Runs every kind of abuse at once for about `seconds`.
    static func abuse(port: Int, seconds: Double) -> AbuseOutcome {
        let tally = AbuseTally()
        let deadline = Date().addingTimeInterval(seconds)
        // A thread each (not a dispatch queue, whose pool would run the slow clients only after the scrapers).
        let group = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () -> Void) {
            group.enter()
            Thread {
                body()
                group.leave()
            }.start()
        }
        // 100 scrapers, each in a loop until the end.
        for index in 0..<100 {
            spawn {
                while Date() < deadline {
                    let path = index % 2 == 0 ? "/metrics" : "/status"
                    let answered = request("GET", path, port: port)?.status == 200
                    tally.update { outcome in
                        outcome.scrapes += 1
                        if answered { outcome.scrapesAnswered += 1 }
                    }
                }
            }
        }
        // 20 slowloris connections: a byte every 0.3 s, never a whole request; closed by the endpoint's deadline.
        for _ in 0..<20 {
            spawn {
                guard let connection = try? RawHTTPConnection(port: port, receiveTimeoutSeconds: 0.3) else { return }
                let bytes = Array("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
                    + Array(repeating: UInt8(ascii: "a"), count: 64)
                for byte in bytes {
                    if !connection.send([byte]) { break }
                    let (_, closed) = connection.readUntilClose()
                    if closed {
                        tally.update { outcome in outcome.slowClosed += 1 }
                        return
                    }
                }
            }
        }
        // 20 connections of random bytes.
        for _ in 0..<20 {
            spawn {
                guard let connection = try? RawHTTPConnection(port: port, receiveTimeoutSeconds: 5) else { return }
                var generator = SystemRandomNumberGenerator()
                connection.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
                let (bytes, _) = connection.readUntilClose()
                if HTTPTestResponse(parsing: bytes)?.status == 400 {
                    tally.update { outcome in outcome.garbageAnswered400 += 1 }
                }
            }
        }
        // The 4xx cases, over and over.
        spawn {
            let cases: [(String, String, String?, Int)] = [
                ("GET", "/nope", nil, 404), ("DELETE", "/status", nil, 405), ("PUT", "/volume", "{", 400),
                ("PUT", "/volume", "{\"db\": 99}", 400), ("PUT", "/mute", "{}", 400),
                ("PUT", "/volume", String(repeating: "x", count: 4000), 413),
            ]
            while Date() < deadline {
                for (method, path, body, status) in cases {
                    let answer = request(method, path, port: port, body: body)
                    tally.update { outcome in
                        outcome.badRequests += 1
                        if answer?.status == status && answer?.errorMessage != nil { outcome.badRequestsAnswered += 1 }
                    }
                }
            }
        }
        group.wait()
        return tally.outcome
    }
}
