import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// SRTP on the paced rig: `earshot-send --key-file` → [`earshot-impair`] → `earshot-recv --key-file` → `spk`, audio
/// judged on what the receiver handed to the device (`--record`). Keys come from `earshot-send --generate-key`.
@Suite(.serialized, .tags(.rigTiming)) struct SRTPEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests
    typealias Impaired = ImpairedLoopbackEndToEndTests
    typealias Hostile = HostileSenderEndToEndTests

    /// A fresh key file (mode 0600) written by `earshot-send --generate-key`.
    static func keyFile(suite: String? = nil) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(UUID().uuidString).key").path
        let writer = try ChildProcess(
            ChildProcess.earshotSend, ["--generate-key", path] + (suite.map { ["--srtp-suite", $0] } ?? []))
        try #require(writer.wait(seconds: 10) == 0, "\(writer.log)")
        return path
    }

    /// Every security rejection (`srtp_*`, `srtcp_*`) in a run's final stats.
    static func securityRejections(_ stats: [String: Any]) -> [String: Int] {
        let reasons = stats["packetsMalformedByReason"] as? [String: Any] ?? [:]
        var result: [String: Int] = [:]
        for (name, value) in reasons where name.hasPrefix("srtp_") || name.hasPrefix("srtcp_") {
            result[name] = (value as? NSNumber)?.intValue ?? 0
        }
        return result
    }

    nonisolated(unsafe) static var keyedCleanOutcome: Hostile.Outcome?
    nonisolated(unsafe) static var sharedKey: String?

    static func key() throws -> String {
        if let sharedKey { return sharedKey }
        sharedKey = try keyFile()
        return sharedKey!
    }

    /// The keyed stream with no attack, RTCP relayed both ways (SRTCP SRs in, protected RRs out).
    static func keyedClean() throws -> Hostile.Outcome {
        if let keyedCleanOutcome { return keyedCleanOutcome }
        let key = try key()
        let outcome = Hostile.Outcome(try Impaired.run(
            seconds: Hostile.seconds, sender: ["--frame", "5", "--key-file", key], impairment: [], label: "keyed",
            receiver: ["--key-file", key], relayRTCP: true, proxySeconds: Hostile.proxySeconds))
        print("e2e keyed, no attack: \(outcome)")
        keyedCleanOutcome = outcome
        return outcome
    }

    /// SRTP costs the stream nothing audible: glitch windows and median delay as the plain stream's (within 1 % and
    /// 5 ms), nothing refused, the sender's SRTCP reports authenticated and read, the receiver's protected reports
    /// accepted by the sender.
    @Test func keyedStreamPlaysAsThePlainOne() throws {
        let plain = try Hostile.clean()
        let keyed = try Self.keyedClean()
        print("e2e keyed: \(keyed); plain: \(plain); sender: \(keyed.run.senderLog.split(separator: "\n").last ?? "")")
        #expect(keyed.glitchWindows <= plain.glitchWindows + max(1, keyed.windows / 100), "\(keyed)")
        #expect(keyed.medianDelayMs <= plain.medianDelayMs + 5, "\(keyed) against \(plain)")
        #expect(Self.securityRejections(keyed.run.stats).isEmpty, "\(keyed.run.stats)")
        #expect(Receiver.int(keyed.run.stats, "rtcpSenderReportsReceived") >= 3)
        #expect(Receiver.int(keyed.run.stats, "packetsReceived") >= Int((Hostile.proxySeconds - 0.5) * 190))
        #expect(!keyed.run.senderLog.contains("rtcp_rejected_unauthenticated="), "\(keyed.run.senderLog)")
        #expect(!keyed.run.senderLog.contains("rtcp_accepted=0 "), "the receiver's reports must authenticate")
    }

    /// Packets replayed (the proxy sends 10 % twice) and packets bit-flipped or truncated in flight (3 %): every one
    /// refused before parsing and counted, exactly as many as the proxy logged; none reaches the RTP parser, so a
    /// corrupted packet is a loss (concealed), never noise.
    @Test func replayedBitFlippedAndTruncatedPacketsAreRefusedAndCounted() throws {
        let key = try Self.key()
        let run = try Impaired.run(
            seconds: Hostile.seconds, sender: ["--frame", "5", "--key-file", key],
            impairment: ["--duplicate", "10", "--corrupt", "3", "--corrupt-bits", "3", "--truncate"],
            label: "keyed, replays and corruption", receiver: ["--key-file", key], proxySeconds: Hostile.proxySeconds)
        let outcome = Hostile.Outcome(run)
        let lines = run.proxyLog.split(separator: "\n").filter { $0.contains(" forward ") }
        let cleanDuplicates = lines.filter { $0.contains(" duplicated") && !$0.contains(" corrupted") }.count
        let corrupted = lines.filter { $0.contains(" corrupted") }.map { $0.contains(" duplicated") ? 2 : 1 }
            .reduce(0, +)
        let rejections = Self.securityRejections(run.stats)
        let refused = rejections.values.reduce(0, +)
        print("e2e keyed replays/corruption: \(outcome); proxy: \(cleanDuplicates) duplicates, \(corrupted) corrupted; "
            + "refused \(rejections)")
        #expect(cleanDuplicates > 50 && corrupted > 20)
        #expect(refused == cleanDuplicates + corrupted, "\(rejections)")
        #expect((rejections["srtp_replayed"] ?? 0) >= cleanDuplicates)
        let parserRejections = (run.stats["packetsMalformedByReason"] as? [String: Any] ?? [:]).keys
            .filter { $0.hasPrefix("rtp_") }
        #expect(parserRejections.isEmpty, "nothing unauthenticated may reach the parser: \(parserRejections)")
        // Each corrupted packet is a lost 5 ms frame: at most two 10 ms windows of concealment each.
        #expect(outcome.glitchWindows <= 2 * corrupted, "\(outcome)")
    }

    /// The hostile-packet classes of `HostileSenderEndToEndTests`, sent from the genuine sender's own address (the
    /// attacker forges it): with a key none costs a glitch or moves the delay, and every hostile packet is refused at
    /// the security gate (the flood: at least 90 %, the kernel may drop the rest).
    @Test(arguments: [
        "far-ahead", "timestamp-outlier:interval-ms=500", "resync-burst", "ssrc-spoof", "spoofed-bye",
        "probation-starvation", "flood",
    ])
    func hostilePacketsFromTheGenuineAddressAreRefused(attack: String) throws {
        let baseline = try Self.keyedClean()
        let key = try Self.key()
        let kind = String(attack.split(separator: ":")[0])
        let parameters = (attack.contains(":") ? "," : ":") + "after-ms=500" + (kind == "flood" ? "" : ",source=genuine")
        let run = try Impaired.run(
            seconds: Hostile.seconds, sender: ["--frame", "5", "--key-file", key],
            impairment: ["--attack", attack + parameters], label: "keyed, \(attack)", receiver: ["--key-file", key],
            relayRTCP: true, proxySeconds: Hostile.proxySeconds)
        let outcome = Hostile.Outcome(run)
        let sent = outcome.proxyCounter("attack.\(kind)")
        let rejections = Self.securityRejections(run.stats)
        let refused = rejections.values.reduce(0, +)
        print("e2e keyed attack \(attack): sent \(sent), \(outcome) (keyed, no attack: \(baseline)), refused \(rejections)")
        #expect(sent > 0)
        #expect(outcome.glitchWindows <= baseline.glitchWindows, "\(outcome) against \(baseline)")
        #expect(outcome.medianDelayMs <= baseline.medianDelayMs + 5, "\(outcome) against \(baseline)")
        #expect(Receiver.int(run.stats, "resyncs") == 0)
        #expect(Receiver.int(run.stats, "sourceChanges") == 0)
        #expect(Receiver.int(run.stats, "rtcpGoodbyesReceived") == 0)
        if kind == "flood" {
            #expect(refused >= sent * 9 / 10, "refused \(refused) of \(sent)")
        } else {
            #expect(refused == sent, "\(rejections)")
        }
    }

    /// ffmpeg's SRTP sender (`-srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params KEY srtp://...`) into
    /// `earshot-recv --key-file`: plays with no glitch window after its start, nothing refused.
    @Test func ffmpegSRTPSenderPlaysCleanly() throws {
        let key = try Self.key()
        let base64 = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 5.5, extra: ["--record", wav, "--min-latency", "25", "--key-file", key])
        let sender = try ChildProcess(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=997:sample_rate=48000",
                "-t", "6", "-ac", "2", "-c:a", "libopus", "-application", "lowdelay", "-frame_duration", "5",
                "-b:a", "128k", "-f", "rtp", "-payload_type", "96", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80",
                "-srtp_out_params", base64, "srtp://127.0.0.1:\(port)",
            ])
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        sender.wait(seconds: 5)
        let stats = try Receiver.finalStats(receiver.log)
        let steady = try Receiver.steadyPart(try WAVFile.read(path: wav).samples, skipSeconds: 1.5, trimSeconds: 0.3)
        let glitches = SignalAnalysis.glitchWindows(
            steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e ffmpeg SRTP: glitch windows \(glitches.count)/\(steady.count / 480), \(Receiver.jsonLine(receiver.log))")
        #expect(Receiver.int(stats, "packetsReceived") >= 4 * 190, "\(sender.log)")
        #expect(glitches.isEmpty, "glitch windows \(glitches)")
        #expect(Self.securityRejections(stats).isEmpty, "\(stats)")
    }

    /// Plain RTP, and SRTP under another key, at a keyed receiver: every packet and report refused
    /// (`srtp_unauthenticated_source`, `srtcp_unauthenticated_source`, exactly as many as the sender sent), nothing
    /// played, one notice per sender saying what to do.
    @Test(arguments: ["plain", "another key"])
    func plainRTPAndAnotherKeyAreRefusedAtAKeyedReceiver(sender kind: String) throws {
        let key = try Self.key()
        let senderKey = kind == "plain" ? [] : ["--key-file", try Self.keyFile()]
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let receiver = try Receiver.receiver(rig: rig, port: port, seconds: 3.5, extra: ["--key-file", key])
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "2", "--stats", "0.5"] + senderKey)
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        let stats = try Receiver.finalStats(receiver.log)
        let rejections = Self.securityRejections(stats)
        let sentPackets = Self.senderFinal(sender.log, "packets")
        let notices = receiver.log.split(separator: "\n").filter { $0.contains("does not authenticate") }
        print("e2e \(kind) at a keyed receiver: sent \(sentPackets), refused \(rejections), notice: \(notices.first ?? "")")
        #expect(sentPackets >= 390)
        #expect(rejections["srtp_unauthenticated_source"] == sentPackets, "\(rejections)")
        #expect((rejections["srtcp_unauthenticated_source"] ?? 0) >= 2, "the sender's SRs and BYE")
        #expect(rejections.keys.allSatisfy { $0.hasSuffix("_unauthenticated_source") }, "\(rejections)")
        #expect(Receiver.int(stats, "packetsReceived") == 0)
        #expect(Receiver.int(stats, "rtcpGoodbyesReceived") == 0)
        #expect(notices.count == 1, "one notice per source: \(notices)")
        #expect(notices.first?.contains("--key-file") == true)
    }

    /// SRTP at a receiver without a key: once the first SRTCP report shows the stream is encrypted, its RTP is refused
    /// (`srtp_without_key`) and one notice says to give the receiver the key. What came before it (the packets of the
    /// first few milliseconds, until the sender's first report) cannot be told from plain RTP.
    @Test func srtpAtAReceiverWithoutAKeyIsRefusedAndSaid() throws {
        let key = try Self.key()
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let receiver = try Receiver.receiver(rig: rig, port: port, seconds: 3.5)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "2", "--stats", "0.5", "--key-file", key])
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        let stats = try Receiver.finalStats(receiver.log)
        let rejections = Self.securityRejections(stats)
        let sentPackets = Self.senderFinal(sender.log, "packets")
        let notices = receiver.log.split(separator: "\n").filter { $0.contains("this receiver has no key") }
        let passed = sentPackets - (rejections["srtp_without_key"] ?? 0)
        print("e2e SRTP at an unkeyed receiver: sent \(sentPackets), refused \(rejections), before the first SRTCP "
            + "\(passed), notice: \(notices.first ?? "")")
        #expect((rejections["srtcp_without_key"] ?? 0) >= 2)
        #expect(passed <= 10, "only the packets before the sender's first report pass: \(passed)")
        #expect(notices.count == 1, "\(notices)")
        #expect(notices.first?.contains("--key-file") == true)
    }

    /// A receiver that joins after the sender's sequence number wrapped (rollover counter 1): it cannot authenticate
    /// until the first SRTCP sender report tells it how many packets were sent, then plays cleanly.
    @Test func receiverJoiningAfterTheSequenceWrappedPlays() throws {
        let key = try Self.key()
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let seconds = 6.0
        // Sequence 65 400: the wrap comes 136 packets (0.7 s) after the start, before the receiver binds.
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "\(seconds + 4)", "--stats", "0.5",
             "--initial-sequence", "65400", "--key-file", key])
        defer { sender.stop() }
        usleep(1_200_000)
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: seconds, extra: ["--record", wav, "--key-file", key])
        #expect(receiver.wait(seconds: seconds + 5) == 0, "\(receiver.log)")
        let stats = try Receiver.finalStats(receiver.log)
        let rejections = Self.securityRejections(stats)
        let steady = try Receiver.steadyPart(try WAVFile.read(path: wav).samples, skipSeconds: 2, trimSeconds: 0.3)
        let glitches = SignalAnalysis.glitchWindows(
            steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e late joiner after the wrap: refused \(rejections), glitch windows \(glitches.count)/"
            + "\(steady.count / 480), \(Receiver.jsonLine(receiver.log))")
        #expect(Receiver.int(stats, "packetsReceived") >= Int((seconds - 1) * 190))
        #expect((rejections["srtp_auth_failed"] ?? 0) <= 2 * 200, "at most the packets before the first report")
        #expect(glitches.isEmpty, "glitch windows \(glitches)")
    }

    /// A field of `earshot-send`'s last status line (`packets=N`).
    static func senderFinal(_ log: String, _ key: String) -> Int {
        guard let line = log.split(separator: "\n").last(where: { $0.contains(" \(key)=") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("\(key)=") })
        else { return -1 }
        return Int(field.dropFirst(key.count + 1)) ?? -1
    }
}
