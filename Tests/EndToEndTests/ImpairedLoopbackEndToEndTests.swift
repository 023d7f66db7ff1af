import EarshotDSP
import EarshotNet
import EarshotTestRig
import Foundation
import Testing

/// `earshot-send --tone 997` → `earshot-impair` → `earshot-recv` → `spk` (recorded). Each test has its own rig and
/// ports; the receiver stops before the sender so the end of the stream is not counted as loss.
@Suite(.serialized, .tags(.rigTiming)) struct ImpairedLoopbackEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    struct Run {
        var samples: [Float]
        var stats: [String: Any]
        var log: String
        var senderLog: String
        var proxyLog: String
        /// The proxy's standard output: its summary and its `earshot-impair counters: key=value ...` line.
        var proxyOutput: String
        /// The steady part of the rig's recording of the device.
        var steady: [Float]
        /// The steady part of what the receiver handed to the device (`--record`): free of the rig's own glitches.
        var recordedSteady: [Float]
        /// The host's steal over the run, in percent of the CPU (`HostStealMeter`).
        var stealPercent: Double
    }

    /// Streams `seconds` through the proxy with `impairment`; `duringStream` runs on the test thread meanwhile. The
    /// proxy runs `proxySeconds` (default: until after the receiver stopped).
    static func run(
        seconds: Double, sender: [String], impairment: [String], label: String, receiver receiverFlags: [String] = [],
        relayRTCP: Bool = false, proxySeconds: Double? = nil, duringStream: (_ receiverPort: Int) throws -> Void = { _ in }
    ) throws -> Run {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let receiverPort = Receiver.portPair()
        let proxyPort = Receiver.portPair()
        let logFile = rig.directory.appendingPathComponent("impair.log").path
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let recording = try rig.startRecording()
        let receiver = try LoopbackEndToEndTests.receiver(
            rig: rig, port: receiverPort, device: "spk", seconds: seconds, extra: ["--record", wav] + receiverFlags)
        let proxy = try ChildProcess(
            Receiver.product("earshot-impair"),
            ["--listen", "127.0.0.1:\(proxyPort)", "--to", "127.0.0.1:\(receiverPort)", "--seed", "7", "--log", logFile,
             "--duration", "\(proxySeconds ?? seconds + 3)"] + impairment)
        // RTCP both ways, unimpaired: the sender's reports reach the receiver through a second proxy, and the
        // receiver answers the proxy, which passes the answer back to the sender.
        let rtcpRelay = relayRTCP
            ? try ChildProcess(
                Receiver.product("earshot-impair"),
                ["--listen", "127.0.0.1:\(proxyPort + 1)", "--to", "127.0.0.1:\(receiverPort + 1)",
                 "--duration", "\(seconds + 3)"])
            : nil
        defer { rtcpRelay?.stop() }
        let send = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(proxyPort)", "--duration", "\(seconds + 1.5)", "--stats", "1"]
                + sender)
        try duringStream(receiverPort)
        #expect(receiver.wait(seconds: seconds + 5) == 0, "\(receiver.log)")
        #expect(send.wait(seconds: 5) == 0, "\(send.log)")
        proxy.stop()
        let samples = try recording.stop()
        let stats = try Receiver.finalStats(receiver.log)
        print("e2e \(label): \(Receiver.jsonLine(receiver.log))")
        return Run(
            samples: samples, stats: stats, log: receiver.log, senderLog: send.log,
            proxyLog: (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "", proxyOutput: proxy.log,
            steady: try Receiver.steadyPart(samples, skipSeconds: 1.5, trimSeconds: 0.2),
            recordedSteady: try Receiver.steadyPart(
                try WAVFile.read(path: wav).samples, skipSeconds: 1.5, trimSeconds: 0.2),
            stealPercent: steal.percent())
    }

    static func proxyCount(_ log: String, _ word: String) -> Int {
        log.split(separator: "\n").filter { $0.contains(" \(word)") }.count
    }

    /// Proxy drops among the packets the receiver's run covered: the `span` packets (received + lost) from the first
    /// one forwarded. Drops before it anchored or after it stopped are not losses it could see.
    static func proxyDrops(_ log: String, span: Int) -> Int {
        let lines = log.split(separator: "\n")
        guard let first = lines.firstIndex(where: { $0.contains(" forward ") }) else { return 0 }
        return lines[first..<min(lines.count, first + span)].filter { $0.contains(" drop ") }.count
    }

    // MARK: - 3. Random loss with real FEC

    /// 5% random loss, sender FEC on (SILK/hybrid-capable `audio` mode, 10/20 ms frames): the receiver rebuilds some
    /// lost frames from the next packet's FEC, conceals the rest, and every lost frame is accounted for exactly once.
    @Test(arguments: [10.0, 20.0])
    func randomLossIsRecoveredWithFEC(frameMs: Double) throws {
        let run = try Self.run(
            seconds: 5,
            sender: ["--frame", "\(frameMs)", "--fec", "--expected-loss", "5", "--application", "audio"],
            impairment: ["--loss", "5"], label: "loss+FEC --frame \(frameMs)")
        let lost = Receiver.int(run.stats, "packetsLost")
        let late = Receiver.int(run.stats, "packetsLate")
        let drops = Self.proxyDrops(run.proxyLog, span: Receiver.int(run.stats, "packetsReceived") + lost + late)
        let fec = Receiver.int(run.stats, "fecRecoveredFrames")
        let concealedFrames = Receiver.int(run.stats, "concealedSamples") / Int(frameMs * 48)
        // On what the receiver handed to the device: an underflow of the rig's own stream (allowed below) is silent
        // in the rig's recording (42 ms in one CI run with 1 xrun).
        let silences = SignalAnalysis.dropouts(run.recordedSteady, threshold: 1e-3, minimumFrames: Int(frameMs * 48))
        let fit = SignalAnalysis.sineFit(run.steady, frequency: 997, sampleRate: 48_000)
        print("e2e loss+FEC --frame \(frameMs): proxy drops \(drops), lost \(lost), late \(late), fec \(fec), "
            + "concealed frames \(concealedFrames), SNR \(fit.snrDB) dB, silent stretches \(silences.count), host steal "
            + "\(run.stealPercent) %")
        #expect(drops >= 10, "proxy dropped \(drops)")
        #expect(fec > 0, "no frame was rebuilt from FEC")
        // Every loss was repaired (FEC or PLC). A frame concealed for a late packet is not lost, and the playout
        // start or end may conceal a frame or two beyond that (a short start-up stretch, the stream's tail).
        #expect(concealedFrames + fec >= lost, "concealed \(concealedFrames) + FEC \(fec) < lost \(lost)")
        #expect(concealedFrames + fec <= lost + late + 2, "concealed \(concealedFrames) + FEC \(fec), lost \(lost)")
        // Every proxy drop within the receiver's run is a loss at the receiver (± one packet at the far edge).
        #expect(abs(lost - drops) <= 1, "lost \(lost), proxy drops \(drops)")
        #expect(Receiver.int(run.stats, "underruns") == 0)
        // Underflows of the rig's stream, and a late refill of ours, while the host steals CPU (as in
        // `toneLoopbackIsClean`): one of the rig's on a quiet host; above 2 % steal (a CI rerun had 1 ring shortage
        // and 2 xruns) three, and one shortage.
        let noisy = run.stealPercent > HostStealMeter.noisyPercent
        #expect(Receiver.int(run.stats, "deviceUnderruns") <= (noisy ? 1 : 0), "host steal \(run.stealPercent) %")
        #expect(Receiver.int(run.stats, "xruns") <= HostStealMeter.rigUnderflowsAllowed(stealPercent: run.stealPercent),
                "host steal \(run.stealPercent) %")
        #expect(silences.isEmpty, "silent stretches \(silences)")
    }

    // MARK: - 3b. Bursts of loss, recovered by redundancy

    /// Gilbert–Elliott loss (5 % mean, bursts of 4 datagrams on average) with `--redundancy 15`: a frame is missing
    /// only when its original and its copy (sent 15 ms later) are both dropped, or the copy came too late for the
    /// target the losses raised. Without the copies every drop would be a lost frame.
    @Test func burstyLossIsRecoveredByRedundancy() throws {
        let run = try Self.run(
            seconds: 6, sender: ["--frame", "5", "--redundancy", "15"], impairment: ["--burst", "1.32,25"],
            label: "bursty loss + redundancy")
        let received = Receiver.int(run.stats, "packetsReceived")
        let lost = Receiver.int(run.stats, "packetsLost")
        let late = Receiver.int(run.stats, "packetsLate")
        let duplicates = Receiver.int(run.stats, "packetsDuplicated")
        let drops = Self.proxyCount(run.proxyLog, "drop")
        let concealedFrames = Receiver.int(run.stats, "concealedSamples") / 240
        let glitches = SignalAnalysis.glitchWindows(
            run.recordedSteady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e bursty loss + redundancy: proxy drops \(drops), received \(received), duplicates \(duplicates), "
            + "lost \(lost), late \(late), concealed frames \(concealedFrames), glitch windows \(glitches.count), "
            + "target \(run.stats["targetDelayMs"] ?? "?") ms")
        #expect(drops >= 40, "proxy dropped \(drops)")
        // Most copies arrive after their original was played: counted duplicates, not used.
        #expect(duplicates > received / 3, "duplicates \(duplicates) of \(received)")
        // The copies repaired at least three drops in four.
        #expect(4 * (lost + late) <= drops, "lost \(lost) + late \(late) of \(drops) dropped datagrams")
        #expect(concealedFrames <= lost + late + 2, "concealed \(concealedFrames), lost \(lost), late \(late)")
        #expect(Receiver.int(run.stats, "deviceUnderruns") == 0)
        #expect(glitches.count <= 2 * concealedFrames, "glitch windows \(glitches)")
    }

    /// The default `--redundancy auto` with RTCP flowing: the same bursty loss as above switches copies on from the
    /// receiver's first report that shows it (about a second in), and they stay on while the copies keep the
    /// receiver's own loss count falling, because datagrams still go missing. Before the switch every drop is lost.
    @Test func burstyLossSwitchesAutomaticRedundancyOn() throws {
        let run = try Self.run(
            seconds: 8, sender: ["--frame", "5"], impairment: ["--burst", "1.32,25"],
            label: "bursty loss, --redundancy auto", relayRTCP: true)
        let lost = Receiver.int(run.stats, "packetsLost")
        let late = Receiver.int(run.stats, "packetsLate")
        let drops = Self.proxyCount(run.proxyLog, "drop")
        let final = run.senderLog.split(separator: "\n").last { $0.contains("copies=") }.map(String.init) ?? ""
        let field = { (name: String) in
            final.split(separator: " ").first { $0.hasPrefix("\(name)=") }.flatMap { Int($0.dropFirst(name.count + 1)) }
        }
        let copies = field("copies") ?? 0
        let packets = field("packets") ?? 0
        print("e2e bursty loss, --redundancy auto: proxy drops \(drops), lost \(lost), late \(late), copies \(copies) "
            + "of \(packets) packets, sender: \(final)")
        #expect(drops >= 40, "proxy dropped \(drops)")
        // On within about two seconds of 9.5, and on to the end: most packets went twice.
        #expect(copies >= packets * 6 / 10, "copies \(copies) of \(packets) packets")
        #expect(field("copies_on") == 1, "\(final)")
        // The copies repaired at least half of what the proxy dropped, all of it after the first seconds.
        #expect(2 * (lost + late) <= drops, "lost \(lost) + late \(late) of \(drops) dropped datagrams")
        #expect(Receiver.int(run.stats, "deviceUnderruns") == 0)
    }

    /// A clean network with RTCP flowing: `auto` never sends a copy.
    @Test func cleanNetworkSendsNoCopies() throws {
        let run = try Self.run(
            seconds: 4, sender: ["--frame", "5"], impairment: [], label: "clean, --redundancy auto", relayRTCP: true)
        let final = run.senderLog.split(separator: "\n").last { $0.contains("copies=") }.map(String.init) ?? ""
        print("e2e clean, --redundancy auto: sender: \(final)")
        #expect(final.contains(" copies=0 ") && final.contains(" copies_on=0"), "\(final)")
        #expect(final.contains("receivers=1"), "the receiver's reports reached the sender: \(final)")
        #expect(Receiver.int(run.stats, "packetsLost") == 0)
    }

    // MARK: - 4. Reordering and duplicates

    /// 5% of packets held back 12 ms (overtaken by the next two) and 5% duplicated: both counted, nothing lost; a frame is concealed
    /// only if its packet came too late (then counted late), and the steady part has no glitch window.
    @Test func reorderingAndDuplicatesAreCountedAndHarmless() throws {
        let run = try Self.run(
            seconds: 6, sender: ["--frame", "5"],
            impairment: ["--reorder", "5", "--reorder-delay", "12", "--duplicate", "5"], label: "reorder+dup")
        let late = Receiver.int(run.stats, "packetsLate")
        let concealedFrames = Receiver.int(run.stats, "concealedSamples") / 240
        // On what the receiver handed to the device: the rig's PulseAudio glitches by itself now and then.
        let glitches = SignalAnalysis.glitchWindows(
            run.recordedSteady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e reorder+dup: proxy reordered \(Self.proxyCount(run.proxyLog, "reorder")), duplicated "
            + "\(Self.proxyCount(run.proxyLog, "dup")), late \(late), concealed frames \(concealedFrames), "
            + "glitch windows \(glitches.count)")
        #expect(Receiver.int(run.stats, "packetsReordered") > 0)
        #expect(Receiver.int(run.stats, "packetsDuplicated") > 0)
        #expect(Receiver.int(run.stats, "packetsLost") == 0)
        // Concealment only for packets that came too late (a late packet from before playout started was never
        // concealed, hence at most).
        #expect(concealedFrames <= late, "concealed \(concealedFrames) frames, \(late) late packets")
        #expect(Receiver.int(run.stats, "deviceUnderruns") == 0)
        // Sub-frame stretching is inaudible to the 10 ms windows; only a concealed frame (it can straddle two
        // windows) may show.
        #expect(glitches.count <= 2 * concealedFrames, "glitch windows \(glitches)")
    }

    /// A fixed 3 ms target and 3 % of packets held back 8 ms: each of those is due before it arrives. While the ring
    /// and the device still hold a device buffer, the receiver leaves the frame for its next wake-up instead of
    /// concealing it (a take in between is held back while the device holds more than a period), so it plays.
    /// Concealing at once, as before, made nearly every held-back packet a late one with a concealed frame (21–44 of
    /// about 40 in four runs; 0–2 with a wait of two wake-ups, 5 of 65 in one run with one).
    @Test func aPacketLaterThanTheTargetPlaysWhileTheOutputQueueHoldsIt() throws {
        let run = try Self.run(
            seconds: 6, sender: ["--frame", "5"], impairment: ["--reorder", "3", "--reorder-delay", "8"],
            label: "held back 8 ms, --latency 3", receiver: ["--latency", "3"])
        let heldBack = Self.proxyCount(run.proxyLog, "reorder")
        let late = Receiver.int(run.stats, "packetsLate")
        let concealmentEvents = Receiver.int(run.stats, "concealmentEvents")
        let glitches = SignalAnalysis.glitchWindows(
            run.recordedSteady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e held back 8 ms, --latency 3: proxy held back \(heldBack), late \(late), concealment events "
            + "\(concealmentEvents), glitch windows \(glitches.count), xruns \(Receiver.int(run.stats, "xruns"))")
        #expect(heldBack >= 20, "proxy held back \(heldBack)")
        let target = Receiver.double(run.stats, "targetDelayMs")
        #expect(target == 3, "target \(target) ms")
        // An xrun of the rig's stream (the host stealing CPU) can make a packet or two late on its own.
        #expect(4 * late <= heldBack, "late \(late) of \(heldBack) held back")
        #expect(4 * concealmentEvents <= heldBack, "concealment events \(concealmentEvents) of \(heldBack) held back")
        #expect(Receiver.int(run.stats, "packetsLost") == 0)
        #expect(Receiver.int(run.stats, "deviceUnderruns") == 0)
        #expect(glitches.count <= 2 * concealmentEvents, "glitch windows \(glitches)")
    }

    // MARK: - 5. Corruption and garbage

    /// Garbage datagrams from the test straight to the receiver's port (random bytes, RTP version 1, a truncated
    /// header, a wrong payload type, another SSRC) plus 3% of the stream's packets with bit flips or truncation
    /// from the proxy: every detectable one is dropped and counted by reason; the garbage never touches playback.
    ///
    /// A bit flip inside an Opus payload is not detectable (RTP has no checksum and UDP's is recomputed by the
    /// proxy): that frame decodes to whatever the codec makes of it. So the steady part may have at most one glitch
    /// window per corrupted packet the receiver accepted.
    @Test func malformedPacketsAreCountedAndPlaybackContinues() throws {
        var garbageSent = 0
        let run = try Self.run(
            seconds: 6, sender: ["--frame", "5"], impairment: ["--corrupt", "3", "--corrupt-bits", "4", "--truncate"],
            label: "corrupt+garbage"
        ) { port in
            let socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
            let destination = try SocketAddress(parsing: "127.0.0.1:\(port)")
            var generator = SystemRandomNumberGenerator()
            // After the receiver has locked onto the stream: a stray packet first would take the lock (see report).
            usleep(1_000_000)
            let rtp: [UInt8] = [0x80, 96, 0, 1, 0, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 0xFC, 0xFF, 0xFE]
            for round in 0..<40 {
                let datagrams: [[UInt8]] = [
                    (0..<Int.random(in: 1...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                    [0x40] + rtp.dropFirst(),  // version 1
                    Array(rtp.prefix(7)),  // truncated header
                    [0x80, 0x5F] + rtp.dropFirst(2),  // payload type 95
                    rtp,  // another SSRC while the stream is locked
                ]
                for datagram in datagrams {
                    try socket.send(datagram, to: destination)
                    garbageSent += 1
                }
                usleep(50_000)
            }
        }
        let corrupted = Self.proxyCount(run.proxyLog, "corrupt")
        let malformed = Receiver.int(run.stats, "packetsMalformed")
        let reasons = try #require(run.stats["packetsMalformedByReason"] as? [String: Any])
        let glitches = SignalAnalysis.glitchWindows(
            run.steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e corrupt+garbage: garbage sent \(garbageSent), proxy corrupted \(corrupted), malformed \(malformed) "
            + "by reason \(reasons), glitch windows \(glitches.count)")
        #expect(corrupted > 0)
        // Every garbage datagram is rejected: 4 of each round are malformed RTP, the other-SSRC one is refused by
        // the source lock (also a counted reason); the random one may by chance look like RTCP and be counted there.
        #expect(malformed >= 4 * 40, "malformed \(malformed) of \(garbageSent) garbage datagrams")
        #expect(reasons.count >= 3, "reasons \(reasons)")
        #expect(Receiver.int(run.stats, "sourceChanges") == 0)
        #expect(Receiver.int(run.stats, "deviceUnderruns") == 0)
        // One underflow of the rig's own stream while the host steals CPU (see `toneLoopbackIsClean`); one CI run
        // saw it here.
        #expect(Receiver.int(run.stats, "xruns") <= 1)
        #expect(glitches.count <= corrupted, "glitch windows \(glitches) with \(corrupted) corrupted packets")
    }
}
