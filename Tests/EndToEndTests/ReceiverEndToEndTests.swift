import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// ffmpeg (RTP Opus, 5 ms low-delay frames) → [earshot-impair] → the built `earshot-recv` → the rig's paced `spk`
/// sink, whose monitor is recorded and analysed. Each test starts and stops its own rig and uses its own ports;
/// every child process has a hard time limit.
@Suite(.serialized, .tags(.rigTiming)) struct ReceiverEndToEndTests {
    static func product(_ name: String) -> String { ChildProcess.product(name) }

    /// An RTP/RTCP port pair on loopback, different for each call and each test process.
    static func portPair() -> Int {
        counter += 4
        return 20_000 + Int(getpid() % 500) * 40 + counter
    }
    nonisolated(unsafe) static var counter = 0

    static func ffmpeg(port: Int, seconds: Int) throws -> ChildProcess {
        try ChildProcess(
            "/usr/bin/ffmpeg",
            [
                "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=997:sample_rate=48000",
                "-t", "\(seconds)", "-ac", "2", "-c:a", "libopus", "-application", "lowdelay", "-frame_duration", "5",
                "-b:a", "128k", "-f", "rtp", "-payload_type", "96", "rtp://127.0.0.1:\(port)",
            ])
    }

    /// The rig's PulseAudio stalls a new playback stream for up to ~1.9 s before it consumes anything (aplay shows
    /// the same); the sender starts only after that, so the stall is not mistaken for network delay.
    static let deviceWarmUpSeconds = 2.5

    /// Starts `earshot-recv` for `seconds` of streaming after the device warm-up, and waits out the warm-up.
    static func receiver(rig: AudioRig, port: Int, seconds: Double, extra: [String] = []) throws -> ChildProcess {
        // A 30 ms device buffer (6 × 5 ms periods): the rig's PulseAudio, itself not real-time on a 2-core VM, reported
        // xruns and gaps with 15 ms; a sound card plays the 3-period default.
        let child = try ChildProcess(
            product("earshot-recv"),
            ["--listen", "127.0.0.1:\(port)", "--device", "spk", "--duration", "\(seconds + deviceWarmUpSeconds)",
             "--stats", "0.5", "--buffer-periods", "6"] + extra,
            environment: rig.environment)
        usleep(useconds_t(deviceWarmUpSeconds * 1_000_000))
        return child
    }

    static func impair(from proxyPort: Int, to receiverPort: Int, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(
            product("earshot-impair"),
            ["--listen", "127.0.0.1:\(proxyPort)", "--to", "127.0.0.1:\(receiverPort)"] + arguments)
    }

    /// The `stats-json` line as a dictionary.
    static func finalStats(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("stats-json ") })
        let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst("stats-json ".count).utf8))
        return try #require(object as? [String: Any])
    }

    static func jsonLine(_ output: String) -> String {
        String(output.split(separator: "\n").last { $0.hasPrefix("stats-json") } ?? "")
    }

    /// The periodic `stats` lines' "delay current/target ms" pairs.
    static func delays(_ output: String) -> [(current: Double, target: Double)] {
        output.split(separator: "\n").filter { $0.hasPrefix("stats rx") }.compactMap { line in
            guard let range = line.range(of: "delay ") else { return nil }
            let parts = line[range.upperBound...].split(separator: " ")[0].split(separator: "/")
            guard parts.count == 2, let current = Double(parts[0]), let target = Double(parts[1]) else { return nil }
            return (current, target)
        }
    }

    /// The periodic `stats` lines' "queue X ms" (`outputQueueMs`), where published.
    static func outputQueues(_ output: String) -> [Double] {
        output.split(separator: "\n").filter { $0.hasPrefix("stats rx") }.compactMap { line in
            guard let range = line.range(of: " queue ") else { return nil }
            return Double(line[range.upperBound...].split(separator: " ")[0])
        }
    }

    /// Left channel from `skipSeconds` after the tone starts to `trimSeconds` before it ends.
    static func steadyPart(_ interleaved: [Float], skipSeconds: Double, trimSeconds: Double) throws -> [Float] {
        let left = SignalAnalysis.channel(0, of: interleaved, channels: 2)
        let first = try #require(left.firstIndex { abs($0) > 0.05 })
        let last = try #require(left.lastIndex { abs($0) > 0.05 })
        let start = first + Int(skipSeconds * 48_000)
        let end = last - Int(trimSeconds * 48_000)
        try #require(end - start > 48_000, "tone shorter than expected: \(first)..<\(last)")
        return Array(left[start..<end])
    }

    /// The integer `stats[key]`; a missing or non-numeric key fails the calling test (a default would pass every
    /// bound) and reads as `Int.min`.
    static func int(_ stats: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        guard let value = (stats[key] as? NSNumber)?.intValue else {
            Issue.record("stats-json has no integer \"\(key)\": \(stats.keys.sorted())", sourceLocation: sourceLocation)
            return Int.min
        }
        return value
    }

    /// The number `stats[key]`; a missing or non-numeric key fails the calling test and reads as NaN.
    static func double(
        _ stats: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Double {
        guard let value = (stats[key] as? NSNumber)?.doubleValue else {
            Issue.record("stats-json has no number \"\(key)\": \(stats.keys.sorted())", sourceLocation: sourceLocation)
            return .nan
        }
        return value
    }

    /// Voluntary context switches (wake-ups) of each thread of `pid`, by thread id.
    static func wakeUps(of pid: Int32) -> [Int: (name: String, count: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var result: [Int: (name: String, count: Int)] = [:]
        for task in tasks {
            guard let id = Int(task),
                let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            else { continue }
            let fields = Dictionary(
                status.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 ? (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }, uniquingKeysWith: { first, _ in first })
            result[id] = (fields["Name"] ?? "?", Int(fields["voluntary_ctxt_switches"] ?? "") ?? 0)
        }
        return result
    }

    /// A speaker box spends most of its time waiting for a stream: its threads wake about once a 5 ms period
    /// (PulseAudio's client thread a few times as often while the device plays), never in a tight loop. The producer
    /// once timed its idle wait on the ring alone against a level that counts the device too, and woke 2 700 times
    /// a second (12 % of a core) until a stream played.
    @Test func idleReceiverDoesNotSpin() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let receiver = try Self.receiver(rig: rig, port: Self.portPair(), seconds: 3)
        let pid = receiver.process.processIdentifier
        let before = Self.wakeUps(of: pid)
        usleep(2_000_000)
        let after = Self.wakeUps(of: pid)
        #expect(receiver.wait(seconds: 5) == 0, "\(receiver.log)")
        let rates = after.compactMap { id, thread in
            before[id].map { (name: thread.name, perSecond: Double(thread.count - $0.count) / 2) }
        }
        print("e2e idle receiver: wake-ups per second by thread: "
            + rates.map { String(format: "%@ %.0f", $0.name, $0.perSecond) }.joined(separator: ", "))
        #expect(rates.count >= 3, "threads \(after)")
        for rate in rates { #expect(rate.perSecond < 1000, "\(rate.name) woke \(rate.perSecond) times a second") }
    }

    /// With no stream for `--standby-after`, the receiver stops its device, and the whole process wakes a few dozen
    /// times a second instead of about 780 (the device playing silence keeps the playback thread, the producer and
    /// the sound server's client thread busy). The next stream starts the device again and plays, and the device
    /// stops again after it.
    @Test func idleReceiverStopsItsDeviceAndTheNextStreamStartsIt() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let port = Self.portPair()
        let recording = try rig.startRecording()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        // The device warm-up (2.5 s) is over before the measurement; standby began 0.5 s into it.
        let receiver = try Self.receiver(
            rig: rig, port: port, seconds: 9, extra: ["--standby-after", "0.5", "--record", wav])
        let pid = receiver.process.processIdentifier
        let before = Self.wakeUps(of: pid)
        usleep(2_000_000)
        let after = Self.wakeUps(of: pid)
        let idleWakeUps = after.reduce(0.0) { sum, entry in
            sum + Double(entry.value.count - (before[entry.key]?.count ?? entry.value.count)) / 2
        }
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "4", "--stats", "1"])
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(receiver.wait(seconds: 10) == 0, "\(receiver.log)")
        let samples = try recording.stop()
        let stats = try Self.finalStats(receiver.log)
        // A sine at -6 dBFS (0.5) lies above 0.05 for 93.6 % of its samples.
        func toneSeconds(_ interleaved: [Float]) -> Double {
            Double(SignalAnalysis.channel(0, of: interleaved, channels: 2).filter { abs($0) > 0.05 }.count) / 48_000
                / 0.936
        }
        let heard = toneSeconds(samples)
        let handed = toneSeconds(try WAVFile.read(path: wav).samples)
        // A device that stalled after standby would hold the stream back: its delay would grow by the stall. The first
        // 1.5 s of the stream (three readings) show it; later ones may show the host's stalls.
        let delays = Array(Self.delays(receiver.log).map(\.current).drop { $0 == 0 }.prefix(3))
        print(String(
            format: "e2e standby: idle process wake-ups %.0f/s; tone heard %.2f s, handed to the device %.2f s; "
                + "playout delays %@; %@", idleWakeUps, heard, handed, "\(delays)", Self.jsonLine(receiver.log)))
        // A playing device wakes the process about 780 times a second on this rig (idleReceiverDoesNotSpin's
        // threads); stopped, the playback thread looks for a stream 50 times a second and the main thread 20.
        #expect(idleWakeUps < 150, "idle process woke \(idleWakeUps) times a second")
        #expect(receiver.log.contains("device spk stopped: no stream for 0.5 s"), "\(receiver.log)")
        #expect(receiver.log.contains("device spk started again for a stream"))
        // Two stops: before the stream and after it.
        #expect(Self.int(stats, "standbyEntries") == 2, "\(Self.jsonLine(receiver.log))")
        #expect(Self.int(stats, "inStandby") == 1)
        #expect(Self.int(stats, "packetsReceived") >= 790)
        let stealPercent = steal.percent()
        // One ring shortage while the host steals CPU, as in `randomLossIsRecoveredWithFEC`.
        #expect(Self.int(stats, "deviceUnderruns") <= (stealPercent > HostStealMeter.noisyPercent ? 1 : 0),
                "host steal \(stealPercent) %")
        // The device takes the stream at its rate from the first packet: one that stalled after standby would hold
        // the stream back, and the playout delay would grow by the stall (the start-up target is 20 ms).
        #expect((delays.max() ?? 0) < 60, "playout delays \(delays) ms")
        #expect(handed > 3.5 && heard > 3.5, "of the 4 s tone: handed \(handed) s, heard \(heard) s")
    }

    @Test func ffmpegToSpeakerPlaysCleanly() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let port = Self.portPair()
        let recording = try rig.startRecording()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        // The receiver stops before ffmpeg does, so the end of the stream is not concealed as loss.
        // ffmpeg -re sends 4 packets per 20 ms in bursts: a 25 ms floor under the adaptive delay is what such a peer
        // needs (the estimator alone learns it only after its first late packet).
        let receiver = try Self.receiver(
            rig: rig, port: port, seconds: 5.5, extra: ["--record", wav, "--min-latency", "25"])
        let sender = try Self.ffmpeg(port: port, seconds: 6)
        receiver.wait(seconds: 10)
        let output = receiver.log
        sender.wait(seconds: 5)
        let samples = try recording.stop()
        let stats = try Self.finalStats(output)

        let steady = try Self.steadyPart(samples, skipSeconds: 1.5, trimSeconds: 0.2)
        let fit = SignalAnalysis.sineFit(steady, frequency: 997, sampleRate: 48_000)
        let glitches = SignalAnalysis.glitchWindows(
            steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("e2e clean: SNR \(fit.snrDB) dB, amplitude \(fit.amplitude), delays \(Self.delays(output).suffix(3))")
        print("e2e clean: \(Self.jsonLine(output))")
        // Per 0.1 s segment: the receiver's sub-frame delay corrections shift the tone's phase a little at each splice,
        // which a single fit over seconds would count as noise (see LoopbackEndToEndTests.worstSegmentSNR).
        let segmentSNR = LoopbackEndToEndTests.worstSegmentSNR(steady, seconds: 0.1)
        // On the rig's recording: one glitch of the rig's own (its PulseAudio is not real-time on a 2-core VM; three
        // while the host steals CPU, see `HostStealMeter`) or of a concealed late packet. A CI run of da492ba had one
        // such gap (2 windows, a 0.1 s segment at 1.4 dB) with the receiver's own record and counters clean. The
        // receiver's own recording below is held to none of its own making.
        let stealPercent = steal.percent()
        let rigUnderflows = HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent)
        let rigGlitchEvents = LoopbackEndToEndTests.glitchEvents(glitches)
        print(String(format: "e2e clean: host steal %.1f %%, rig glitch events %d", stealPercent, rigGlitchEvents))
        #expect(rigGlitchEvents <= rigUnderflows, "glitch windows \(glitches), host steal \(stealPercent) %")
        if glitches.isEmpty {
            // 20 dB as in the tone loopback: two sub-frame splices in one segment measured 27.8 dB; a concealed or
            // dropped block is below 15 dB.
            #expect(segmentSNR > 20, "worst segment SNR \(segmentSNR) dB (whole-run fit \(fit.snrDB) dB)")
        }
        #expect(Self.int(stats, "packetsReceived") > 900)
        #expect(Self.int(stats, "packetsLost") == 0)
        // ffmpeg is not real-time: on the 2-core CI VM it has once stalled longer than the 15 ms of margin above its
        // bursts (1 packet late in 5 s; the receiver then raised its target and held it). More than one, or a
        // concealment that no late packet explains, is ours.
        #expect(Self.int(stats, "packetsLate") <= 1)
        #expect(Self.int(stats, "concealmentEvents") <= Self.int(stats, "packetsLate"))
        #expect(Self.int(stats, "underruns") == 0)
        #expect(Self.int(stats, "deviceUnderruns") <= 1, "one ring shortage is tolerated on the shared rig; more is a bug")
        // Underflows of the rig's own stream (see `toneLoopbackIsClean`).
        #expect(Self.int(stats, "xruns") <= rigUnderflows)
        #expect(Self.int(stats, "rtcpReportsSent") >= 4)

        let recorded = try WAVFile.read(path: wav)
        let recordedSteady = try Self.steadyPart(recorded.samples, skipSeconds: 1.5, trimSeconds: 0.2)
        #expect(LoopbackEndToEndTests.worstSegmentSNR(recordedSteady, seconds: 0.1) > 20)
        let ownGlitches = SignalAnalysis.glitchWindows(
            recordedSteady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        #expect(ownGlitches.count <= Self.int(stats, "concealmentEvents"), "receiver's glitch windows \(ownGlitches)")
    }

    @Test func randomLossIsConcealedAndMatchesProxyLog() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let receiverPort = Self.portPair()
        let proxyPort = Self.portPair()
        let log = rig.directory.appendingPathComponent("impair.log").path
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let recording = try rig.startRecording()
        // The receiver outlives the stream: its end is concealed for 100 ms (20 frames), then counted as one
        // underrun; the expectations below account for that tail.
        let receiver = try Self.receiver(rig: rig, port: receiverPort, seconds: 7.5, extra: ["--record", wav])
        let proxy = try Self.impair(
            from: proxyPort, to: receiverPort, ["--loss", "5", "--seed", "7", "--log", log, "--duration", "7.5"])
        let sender = try Self.ffmpeg(port: proxyPort, seconds: 6)
        sender.wait(seconds: 9)
        receiver.wait(seconds: 10)
        let output = receiver.log
        proxy.wait(seconds: 10)
        let samples = try recording.stop()
        let stats = try Self.finalStats(output)

        let drops = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains(" drop ") }.count
        let lost = Self.int(stats, "packetsLost")
        let concealedFrames = Self.int(stats, "concealedSamples") / 240
        let fec = Self.int(stats, "fecRecoveredFrames")
        let steady = try Self.steadyPart(samples, skipSeconds: 1.5, trimSeconds: 0.3)
        let segments = LoopbackEndToEndTests.segmentFits(steady, seconds: 0.1)
        print("e2e loss: proxy drops \(drops), lost \(lost), concealed frames \(concealedFrames), fec \(fec), 0.1 s segments: median SNR \(segments.medianSNR) dB, worst \(segments.worstSNR) dB")
        print("e2e loss: \(Self.jsonLine(output))")
        #expect(drops > 30)
        // Every lost frame was concealed or rebuilt from FEC, exactly once; a packet that arrives after its frame was
        // concealed is counted late and no longer lost (as RTCP's cumulative loss), but it was still concealed. The
        // receiver stops before ffmpeg, so the stream's tail is concealed for 100 ms (20 frames) without being lost:
        // nothing after it proves those packets were sent.
        // (A late packet from before playout started was never concealed, hence the range.)
        let tailFrames = 20
        let late = Self.int(stats, "packetsLate")
        #expect((lost + tailFrames...lost + late + tailFrames).contains(concealedFrames + fec))
        // Lost = what the proxy dropped (± packets at the edges of the run).
        #expect(abs(lost - drops) <= 3, "lost \(lost), proxy drops \(drops)")
        // One ring shortage was seen in 1 of 2 runs on the shared 2-core VM (scheduling spike, not loss handling).
        #expect(Self.int(stats, "deviceUnderruns") <= 1)
        #expect(Self.int(stats, "underruns") <= 1)
        // Playback continuous: no stretch of silence as long as one frame in what the receiver handed to the device.
        // In the rig's recording, the rig's own underflows while the host steals CPU (a CI run of 7080975 had two
        // clusters of them) may add some. The tone, fitted per 0.1 s segment (a whole-run fit is low by nature: each
        // lost 5 ms CELT frame is PLC, and the drift loop's start-up trim bends the pitch), holds 20 dB in the median
        // segment (about 33 dB measured at 5% loss; a segment with a lost frame falls to about 9).
        let handed = try Self.steadyPart(try WAVFile.read(path: wav).samples, skipSeconds: 1.5, trimSeconds: 0.3)
        let ownSilences = SignalAnalysis.dropouts(handed, threshold: 1e-3, minimumFrames: 240)
        #expect(ownSilences.isEmpty, "silent stretches handed to the device \(ownSilences)")
        let silences = SignalAnalysis.dropouts(steady, threshold: 1e-3, minimumFrames: 240)
        // Stretches less than 0.1 s apart (end to next start) are one underflow of the rig's stream.
        let rigEvents = LoopbackEndToEndTests.glitchEvents(
            silences.flatMap { [$0.lowerBound, $0.upperBound] }, gap: 4_800)
        let stealPercent = steal.percent()
        let rigAllowance = stealPercent > HostStealMeter.noisyPercent
            ? HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent) : 0
        #expect(rigEvents <= rigAllowance, "silent stretches \(silences), host steal \(stealPercent) %")
        #expect(segments.medianSNR > 20, "median segment SNR \(segments.medianSNR) dB with 5% loss concealed")
    }

    @Test func jitterRaisesTargetDelayAndItFallsBackAfterwards() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let receiverPort = Self.portPair()
        let proxyPort = Self.portPair()
        // The second proxy forwards from a new source port: the same SSRC from another address is a collision until
        // the source times out, then a takeover (`sourceChanges` 1). A short timeout keeps that gap to half a second.
        let receiver = try Self.receiver(rig: rig, port: receiverPort, seconds: 11, extra: ["--source-timeout", "0.5"])
        // Phase 1: 20 ms jitter for about 4 s; phase 2: a clean proxy on the same port.
        let jittery = try Self.impair(from: proxyPort, to: receiverPort, ["--jitter", "20", "--delay", "20", "--duration", "4.3"])
        let sender = try Self.ffmpeg(port: proxyPort, seconds: 10)
        jittery.wait(seconds: 6)
        let clean = try Self.impair(from: proxyPort, to: receiverPort, ["--duration", "7"])
        receiver.wait(seconds: 12)
        let output = receiver.log
        sender.wait(seconds: 3)
        clean.wait(seconds: 3)
        let stats = try Self.finalStats(output)
        let delays = Self.delays(output)
        print("e2e jitter: delays \(delays.map { "\($0.current)/\($0.target)" }.joined(separator: " "))")
        print("e2e jitter: \(Self.jsonLine(output))")
        try #require(delays.count >= 16)
        let peak = delays[2..<9].map(\.target).max() ?? 0
        // The lowest target after the jitter stopped, not the last one: a stall of the host late in the run (two CI
        // passes of 26c4b06 at 10-16 % steal: playout delays of 110-215 ms, a resync, 104-173 late packets) raises
        // the target again after it fell (to 40.0 and 33.0 ms there, from peaks of 52.1 and 47.0).
        let fallen = delays[9..<(delays.count - 2)].map(\.target).min() ?? .infinity
        #expect(peak > 40, "target during 20 ms jitter: \(peak) ms")
        #expect(fallen < peak - 10, "target after jitter stopped: \(fallen) ms at its lowest (peak \(peak) ms)")
        #expect(Self.int(stats, "deviceUnderruns") == 0)
        // Underflows of the rig's own stream while the host steals CPU, by the suite's rule (`HostStealMeter`).
        let stealPercent = steal.percent()
        #expect(Self.int(stats, "xruns") <= HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent),
                "host steal \(stealPercent) %")
    }
}
