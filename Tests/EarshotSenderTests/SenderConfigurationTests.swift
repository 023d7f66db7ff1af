import EarshotCodec
import EarshotProtocol
import EarshotSender
import Foundation
import Testing

@Suite struct SenderConfigurationTests {
    private func options(_ change: (inout SenderOptions) -> Void = { _ in }) -> SenderOptions {
        SenderOptions.tone(change)
    }

    private func error(_ change: (inout SenderOptions) -> Void) -> SenderConfigurationError? {
        do {
            _ = try SenderConfiguration(options(change))
            return nil
        } catch {
            return error
        }
    }

    /// The test-only skew shortens (fast) or lengthens (slow) the pacer's frame by the ppm given; RTP still counts
    /// 48 kHz frames.
    @Test func clockSkewScalesThePacersFrame() throws {
        #expect(try SenderConfiguration(options()).pacedFrameNanoseconds == 5_000_000)
        #expect(try SenderConfiguration(options { $0.clockSkewPpm = 500 }).pacedFrameNanoseconds == 4_997_501)
        #expect(try SenderConfiguration(options { $0.clockSkewPpm = -500 }).pacedFrameNanoseconds == 5_002_501)
        let capture = error { $0.tone = nil; $0.device = "default"; $0.clockSkewPpm = 100 }
        #expect(capture?.description == "--clock-skew-ppm needs a source paced by the sender (--tone or --input)")
    }

    @Test func defaultsAreTheBriefsDefaults() throws {
        let configuration = try SenderConfiguration(options())
        #expect(configuration.encoder.frameDuration == .ms5)
        #expect(configuration.encoder.bitrate == 128_000)
        #expect(configuration.encoder.application == .restrictedLowDelay)
        #expect(configuration.payloadType == 96)
        #expect(configuration.framesPerPacket == 240)
        #expect(configuration.durationFrames == nil)
        #expect(configuration.source == .tone(frequency: 997, amplitude: Float(0.5011872)))
    }

    /// 2.5 ms frames get three times the bitrate unless `--bitrate` says otherwise (see `defaultBitrateKbps`).
    @Test func shortFramesGetMoreBitsUnlessTheBitrateIsGiven() throws {
        let short = try SenderConfiguration(options { $0.frameMilliseconds = 2.5 })
        #expect(short.encoder.bitrate == 384_000)
        let given = try SenderConfiguration(options { $0.frameMilliseconds = 2.5; $0.bitrateKbps = 96 })
        #expect(given.encoder.bitrate == 96_000)
        let long = try SenderConfiguration(options { $0.frameMilliseconds = 20 })
        #expect(long.encoder.bitrate == 128_000)
    }

    @Test(arguments: [
        ("--frame", { (o: inout SenderOptions) in o.frameMilliseconds = 7 }, "2.5, 5, 10 or 20"),
        ("--frame", { (o: inout SenderOptions) in o.frameMilliseconds = 40 }, "2.5, 5, 10 or 20"),
        ("--capture-period", { (o: inout SenderOptions) in o.capturePeriodMilliseconds = 0 }, "from 1 to --frame (5 ms)"),
        ("--capture-period", { (o: inout SenderOptions) in o.capturePeriodMilliseconds = 6 }, "from 1 to --frame (5 ms)"),
        ("--capture-period", { (o: inout SenderOptions) in o.capturePeriodMilliseconds = 1.5 }, "whole ms"),
        ("--bitrate", { (o: inout SenderOptions) in o.bitrateKbps = 5 }, "6 ... 510"),
        ("--complexity", { (o: inout SenderOptions) in o.complexity = 11 }, "0 ... 10"),
        ("--expected-loss", { (o: inout SenderOptions) in o.expectedLossPercent = 101 }, "0 ... 100"),
        ("--application", { (o: inout SenderOptions) in o.application = "voice" }, "lowdelay or audio"),
        ("--channels", { (o: inout SenderOptions) in o.channels = 3 }, "1 (mono) or 2"),
        ("--payload-type", { (o: inout SenderOptions) in o.payloadType = 95 }, "96 ... 127"),
        ("--to", { (o: inout SenderOptions) in o.destinations = ["127.0.0.1"] }, "HOST:PORT"),
        ("--to", { (o: inout SenderOptions) in o.destinations = ["127.0.0.1:65535"] }, "1 ... 65534"),
        ("--ttl", { (o: inout SenderOptions) in o.ttl = 0 }, "1 ... 255"),
        ("--interface", { (o: inout SenderOptions) in o.interface = "nosuchif0" }, "ip link"),
        ("--stats", { (o: inout SenderOptions) in o.statsInterval = 0 }, "0.1 ... 3600"),
        ("--duration", { (o: inout SenderOptions) in o.duration = 0 }, "> 0"),
        ("--tone", { (o: inout SenderOptions) in o.tone = 30_000 }, "1 ... 23999"),
        ("--level", { (o: inout SenderOptions) in o.toneLevel = 3 }, "-120 ... 0"),
        ("--priority", { (o: inout SenderOptions) in o.priority = 100 }, "1 ... 99"),
        ("--redundancy", { (o: inout SenderOptions) in o.redundancy = "7" }, "multiple of --frame (5 ms)"),
        ("--redundancy", { (o: inout SenderOptions) in o.redundancy = "205" }, "up to 200 ms"),
        ("--redundancy", { (o: inout SenderOptions) in o.redundancy = "-5" }, "0 (off)"),
        ("--redundancy", { (o: inout SenderOptions) in o.redundancy = "sometimes" }, "auto, 0 (off)"),
        ("--clock-skew-ppm", { (o: inout SenderOptions) in o.clockSkewPpm = 5001 }, "-5000 ... 5000 (ppm)"),
    ] as [(String, @Sendable (inout SenderOptions) -> Void, String)])
    func badValueNamesFlagAndRange(flag: String, change: @Sendable (inout SenderOptions) -> Void, range: String) {
        let message = error(change)?.description ?? "accepted"
        #expect(message.hasPrefix(flag), "\(message)")
        #expect(message.contains(range), "\(message)")
    }

    /// 1 ms by default, so a packet leaves about a millisecond after its last sample; up to a packet per period.
    @Test func capturePeriodIsWholeMillisecondsUpToAPacket() throws {
        #expect(try SenderConfiguration(options()).capturePeriodFrames == 48)
        #expect(try SenderConfiguration(options { $0.capturePeriodMilliseconds = 5 }).capturePeriodFrames == 240)
        let short = options { $0.frameMilliseconds = 2.5; $0.capturePeriodMilliseconds = 2 }
        #expect(try SenderConfiguration(short).capturePeriodFrames == 96)
        #expect(error { $0.frameMilliseconds = 2.5; $0.capturePeriodMilliseconds = 3 }?.description
            .contains("from 1 to --frame (2 ms)") == true)
    }

    @Test func redundancyIsCountedInPackets() throws {
        var change = options()
        change.redundancy = "0"
        #expect(try SenderConfiguration(change).redundancyPackets == 0)
        change.redundancy = "15"
        #expect(try SenderConfiguration(change).redundancyPackets == 3)
        #expect(try SenderConfiguration(change).redundancyAutomatic == false)
        change.frameMilliseconds = 2.5
        #expect(try SenderConfiguration(change).redundancyPackets == 6)
    }

    /// The default: 15 ms later, rounded up to whole packets, switched by the receivers' reports.
    @Test(arguments: [(2.5, 6), (5.0, 3), (10.0, 2), (20.0, 1)])
    func automaticRedundancyIsTheDefault(frameMs: Double, packets: Int) throws {
        var change = options()
        change.frameMilliseconds = frameMs
        let configuration = try SenderConfiguration(change)
        #expect(configuration.redundancyAutomatic)
        #expect(configuration.redundancyPackets == packets)
    }

    @Test func exactlyOneSource() {
        #expect(error { $0.input = "a.wav" } == .multipleSources(["--input", "--tone"]))
        #expect(error { $0.device = "mic"; $0.input = "-" } == .multipleSources(["--device", "--input", "--tone"]))
        #expect(error { $0.tone = nil } == .noSource)
        #expect(error { $0.tone = nil }?.description.contains("--device NAME") == true)
    }

    @Test func standardInputNeedsFormatAndARateTheResamplerTakes() throws {
        #expect(error { $0.tone = nil; $0.input = "-" }?.description.contains("--format") == true)
        #expect(error { $0.tone = nil; $0.input = "-"; $0.format = "u8" }?.description.hasPrefix("--format u8") == true)
        for rate in [7_999, 192_001, 0] {
            let message = error { $0.tone = nil; $0.input = "-"; $0.format = "s16le"; $0.rate = rate }?.description
            #expect(message?.hasPrefix("--rate \(rate) is invalid") == true, "\(message ?? "no error")")
            #expect(message?.contains("8000 ... 192000") == true, "\(message ?? "no error")")
        }
        #expect(error { $0.format = "s16le" }?.description.hasPrefix("--format needs --input -") == true)
        let configuration = try SenderConfiguration(options { $0.tone = nil; $0.input = "-"; $0.format = "f32le" })
        #expect(configuration.source == .standardInput(format: .f32le, sampleRate: 48_000))
        let resampled = try SenderConfiguration(options {
            $0.tone = nil; $0.input = "-"; $0.format = "s16le"; $0.rate = 44_100
        })
        #expect(resampled.source == .standardInput(format: .s16le, sampleRate: 44_100))
    }

    @Test func fecNeedsASilkCapableMode() throws {
        #expect(error { $0.fec = true }?.description.hasPrefix("--fec needs --application audio") == true)
        #expect(error { $0.fec = true; $0.application = "audio" }?.description.hasPrefix("--fec needs --frame") == true)
        let configuration = try SenderConfiguration(options {
            $0.fec = true; $0.application = "audio"; $0.frameMilliseconds = 20; $0.expectedLossPercent = 10
        })
        #expect(configuration.encoder.inBandFEC && configuration.encoder.expectedPacketLossPercent == 10)
    }

    @Test func noDestinationIsAnError() {
        #expect(error { $0.destinations = [] }?.description.hasPrefix("missing --to") == true)
    }

    @Test func sessionDescriptionDescribesTheStream() throws {
        let configuration = try SenderConfiguration(options {
            $0.destinations = ["239.255.1.2:6000"]; $0.ttl = 4; $0.channels = 1; $0.frameMilliseconds = 2.5
        })
        let text = SenderPipeline.sessionDescription(configuration).render()
        #expect(text.contains("c=IN IP4 239.255.1.2/4\r\n"))
        #expect(text.contains("m=audio 6000 RTP/AVP 96\r\n"))
        #expect(text.contains("a=rtpmap:96 opus/48000/2\r\n"))
        #expect(text.contains("stereo=0;sprop-stereo=0"))
        #expect(text.contains("a=ptime:2.5\r\n"))
    }

    @Test func everyDestinationGetsItsOwnSessionDescription() throws {
        let configuration = try SenderConfiguration(options {
            $0.destinations = ["192.0.2.20:5004", "[2001:db8::7]:6000", "239.255.1.2:7000"]
        })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-sdp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = try SenderPipeline.writeSessionDescriptions(
            configuration, to: directory.appendingPathComponent("stream.sdp").path)
        #expect(paths.map { ($0 as NSString).lastPathComponent } == ["stream.sdp", "stream-2.sdp", "stream-3.sdp"])
        let parsed = try paths.map { try OpusSessionDescription.parse(String(contentsOfFile: $0, encoding: .utf8)) }
        #expect(parsed.map(\.connection.address) == ["192.0.2.20", "2001:db8::7", "239.255.1.2"])
        #expect(parsed.map(\.port) == [5004, 6000, 7000])
        #expect(parsed.map(\.connection.addressType) == [.ipv4, .ipv6, .ipv4])
    }

    @Test func sessionDescriptionPathsNumberBeforeTheExtension() {
        #expect(SenderPipeline.sessionDescriptionPaths(for: "a.b/stream", destinations: 2) == ["a.b/stream", "a.b/stream-2"])
        #expect(SenderPipeline.sessionDescriptionPaths(for: ".sdp", destinations: 2) == [".sdp", ".sdp-2"])
        #expect(SenderPipeline.sessionDescriptionPaths(for: "x.sdp", destinations: 1) == ["x.sdp"])
    }
}
