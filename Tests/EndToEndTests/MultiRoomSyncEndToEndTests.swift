import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// Two receivers fed by one sender (`earshot-send --to A --to B`) with one `--sync-latency`, on the aligned rig:
/// receiver A plays into `ref`, B into `out`, and one recording of the 4-channel sink holds both sample-aligned. The
/// stream is a chirp train (`ChirpTrain`, a WAV file); the alignment error of chirp `k` is the lag of B's copy against
/// A's (positive: B late), by cross-correlation over the chirp refined to a fraction of a sample by a parabola through
/// the correlation peak. Target (issue #25): median |error| ≤ 0.1 ms, max ≤ 0.3 ms, counted from `settleSeconds`
/// after the first chirp both played (each box's start is off by its device's delay report at that instant, up to
/// 1.4 ms on the rig, and the drift loop's trim takes it to under 0.1 ms in about 10 s; the log prints the course).
@Suite(.serialized, .tags(.rigTiming)) struct MultiRoomSyncEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    static var streamSeconds: Double {
        ProcessInfo.processInfo.environment["EARSHOT_SYNC_SECONDS"].flatMap(Double.init) ?? 60
    }
    static let syncLatencyMs = 80.0
    /// From here on after the first chirp both played, the bounds hold (see the type's comment).
    static let settleSeconds = 10.0
    /// The bound for a late joiner: aligned within 5 s of its start.
    static let joinSettleSeconds = 5.0

    /// One chirp's alignment: where A played it (frames into the recording) and B's lag against A, in ms.
    struct Alignment {
        var frame: Int
        var errorMs: Double
        var correlation: Double
    }

    /// Starts `earshot-recv` on `device` for `seconds` (no warm-up wait: the caller waits once for all).
    static func syncReceiver(rig: AudioRig, port: Int, device: String, seconds: Double, extra: [String] = [])
        throws -> ChildProcess
    {
        try ChildProcess(
            Receiver.product("earshot-recv"),
            ["--listen", "127.0.0.1:\(port)", "--device", device, "--duration", "\(seconds)", "--stats", "0.5",
             "--buffer-periods", "6", "--sync-latency", "\(syncLatencyMs)"] + extra,
            environment: rig.environment)
    }

    /// Plays a chirp train of `seconds` to two receivers, B started `joinAfterSeconds` into the stream with `extraB`;
    /// returns the alignments of the chirps both played and the receivers' logs.
    static func run(seconds: Double, joinAfterSeconds: Double = 0, extraA: [String] = [], extraB: [String] = [])
        throws -> (alignments: [Alignment], logA: String, logB: String, joinFrame: Int, senderLateTicks: Int)
    {
        let rig = try AudioRig(outputs: 1, aligned: true)
        defer { rig.stop() }
        let train = ChirpTrain(leadSeconds: 1, count: Int((seconds - 2) / 0.26), tailSeconds: 1)
        let input = rig.directory.appendingPathComponent("train.wav").path
        try WAVFile(sampleRate: 48_000, channels: 2, samples: train.samples).write(path: input)
        let trainSeconds = Double(train.samples.count / 2) / 48_000
        let portA = Receiver.portPair()
        let portB = Receiver.portPair()
        // A late B hears the stream through relays (RTP and RTCP) started at the join; its process and device start
        // with A's (see `lateJoinerIsAlignedWithinFiveSeconds` for why).
        let relayPort = joinAfterSeconds > 0 ? Receiver.portPair() : portB
        var relays: [ChildProcess] = []
        defer { for relay in relays { relay.stop() } }
        let receiverA = try syncReceiver(
            rig: rig, port: portA, device: rig.referenceDevice, seconds: trainSeconds + Receiver.deviceWarmUpSeconds,
            extra: extraA)
        let receiverB = try syncReceiver(
            rig: rig, port: portB, device: rig.outputDevice, seconds: trainSeconds + Receiver.deviceWarmUpSeconds,
            extra: extraB)
        usleep(useconds_t(Receiver.deviceWarmUpSeconds * 1_000_000))
        let recording = try rig.startAlignedRecording()
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--input", input, "--frame", "5", "--to", "127.0.0.1:\(portA)", "--to", "127.0.0.1:\(relayPort)",
             "--stats", "1"])
        if joinAfterSeconds > 0 {
            usleep(useconds_t(joinAfterSeconds * 1_000_000))
            for offset in [0, 1] {
                relays.append(try ChildProcess(
                    Receiver.product("earshot-impair"),
                    ["--listen", "127.0.0.1:\(relayPort + offset)", "--to", "127.0.0.1:\(portB + offset)",
                     "--duration", "\(trainSeconds - joinAfterSeconds + 2)"]))
            }
        }
        #expect(sender.wait(seconds: trainSeconds + 5) == 0, "\(sender.log)")
        #expect(receiverA.wait(seconds: 5) == 0, "\(receiverA.log)")
        #expect(receiverB.wait(seconds: 5) == 0, "\(receiverB.log)")
        let recorded = try recording.stop()
        let a = SignalAnalysis.channel(1, of: recorded, channels: 4)
        let b = SignalAnalysis.channel(3, of: recorded, channels: 4)
        let onsetsB = ChirpLatency.onsets(in: b)
        return (
            alignments(a, b), receiverA.log, receiverB.log, onsetsB.first ?? .max,
            LoopbackEndToEndTests.senderLateTicks(sender.log)
        )
    }

    /// Every chirp of `a` that `b` also played within ±10 ms, with B's lag against A in ms.
    static func alignments(_ a: [Float], _ b: [Float]) -> [Alignment] {
        let search = 480
        var result: [Alignment] = []
        for onset in ChirpLatency.onsets(in: a) {
            let from = onset - 96
            let to = onset + ChirpTrain.chirpFrames + 96
            guard from - search >= 0, to + search <= b.count else { continue }
            guard SignalAnalysis.rms(b[(from - search)..<(to + search)]) > 0.01 else { continue }
            let reference = Array(a[from..<to])
            var scores = [Double](repeating: 0, count: 2 * search + 1)
            var referenceEnergy = 0.0
            for sample in reference { referenceEnergy += Double(sample) * Double(sample) }
            for lag in -search...search {
                var sum = 0.0
                for index in 0..<reference.count { sum += Double(reference[index]) * Double(b[from + lag + index]) }
                scores[lag + search] = sum
            }
            let best = scores.indices.max { scores[$0] < scores[$1] }!
            guard best > 0, best < scores.count - 1 else { continue }
            // Sub-sample: the vertex of the parabola through the peak and its neighbours.
            let (left, peak, right) = (scores[best - 1], scores[best], scores[best + 1])
            let curvature = left - 2 * peak + right
            let fraction = curvature < 0 ? 0.5 * (left - right) / curvature : 0
            var signalEnergy = 0.0
            for index in 0..<reference.count {
                let sample = Double(b[from + best - search + index])
                signalEnergy += sample * sample
            }
            let correlation = peak / max(1e-12, (referenceEnergy * signalEnergy).squareRoot())
            result.append(Alignment(
                frame: onset, errorMs: (Double(best - search) + fraction) / 48, correlation: correlation))
        }
        return result
    }

    static func summary(_ errors: [Double]) -> (median: Double, max: Double) {
        let magnitudes = errors.map(abs).sorted()
        return (magnitudes.isEmpty ? .nan : magnitudes[magnitudes.count / 2], magnitudes.last ?? .nan)
    }

    static func describe(_ alignments: [Alignment], from startFrame: Int) -> String {
        alignments.filter { $0.frame >= startFrame }
            .map { String(format: "%.1f s %+.3f", Double($0.frame) / 48_000, $0.errorMs) }.joined(separator: ", ")
    }

    /// The error about every 2 s (for the log).
    static func course(_ alignments: [Alignment]) -> String {
        var lastSecond = -2.0
        var parts: [String] = []
        for alignment in alignments where Double(alignment.frame) / 48_000 >= lastSecond + 2 {
            lastSecond = Double(alignment.frame) / 48_000
            parts.append(String(format: "%.0f s %+.3f", lastSecond, alignment.errorMs))
        }
        return parts.joined(separator: ", ")
    }

    @Test func twoReceiversOnTheSystemClockPlayAsOne() throws {
        let seconds = Self.streamSeconds
        let run = try Self.run(seconds: seconds)
        let first = try #require(run.alignments.first, "no chirp in both outputs\n\(run.logA)\n\(run.logB)")
        let settled = run.alignments.filter { $0.frame >= first.frame + Int(Self.settleSeconds * 48_000) }
        let (median, maximum) = Self.summary(settled.map(\.errorMs))
        print(String(
            format: "e2e sync system clock: %d chirps over %.0f s after %.0f s, |error| median %.3f ms, max %.3f ms, "
                + "mean %+.3f ms; first chirp %+.3f ms", settled.count, seconds, Self.settleSeconds, median, maximum,
            settled.map(\.errorMs).reduce(0, +) / Double(max(1, settled.count)), first.errorMs))
        print("e2e sync system clock: course \(Self.course(run.alignments)); sender late ticks \(run.senderLateTicks)")
        print("e2e sync system clock A: \(Receiver.jsonLine(run.logA))")
        print("e2e sync system clock B: \(Receiver.jsonLine(run.logB))")
        #expect(settled.count >= Int((seconds - Self.settleSeconds - 4) / 0.3), "\(settled.count) chirps")
        #expect(median <= 0.1, "\(Self.describe(run.alignments, from: 0))")
        #expect(maximum <= 0.3, "\(Self.describe(run.alignments, from: 0))")
    }

    /// `--clock sender` on both, and B's view of the system clock 30 ms ahead and 300 ppm fast (test-only flags):
    /// each measures the sender's clock by RTCP exchanges, so B's wrong clock does not move it (on the system clock
    /// it would play 30 ms early, and drift 0.3 ms a second further).
    @Test func senderClockAlignsAReceiverWithAWrongClock() throws {
        let seconds = Self.streamSeconds
        let run = try Self.run(
            seconds: seconds, extraA: ["--clock", "sender"],
            extraB: ["--clock", "sender", "--test-clock-offset", "30", "--test-clock-skew-ppm", "300"])
        let first = try #require(run.alignments.first, "no chirp in both outputs\n\(run.logA)\n\(run.logB)")
        let settled = run.alignments.filter { $0.frame >= first.frame + Int(Self.settleSeconds * 48_000) }
        let (median, maximum) = Self.summary(settled.map(\.errorMs))
        print(String(
            format: "e2e sync sender clock (B 30 ms, 300 ppm off): %d chirps over %.0f s after %.0f s, |error| median "
                + "%.3f ms, max %.3f ms; first chirp %+.3f ms", settled.count, seconds, Self.settleSeconds, median,
            maximum, first.errorMs))
        print("e2e sync sender clock: course \(Self.course(run.alignments)); sender late ticks \(run.senderLateTicks)")
        print("e2e sync sender clock A: \(Receiver.jsonLine(run.logA))")
        print("e2e sync sender clock B: \(Receiver.jsonLine(run.logB))")
        #expect(settled.count >= Int((seconds - Self.settleSeconds - 4) / 0.3), "\(settled.count) chirps")
        #expect(median <= 0.1, "\(Self.describe(run.alignments, from: 0))")
        #expect(maximum <= 0.3, "\(Self.describe(run.alignments, from: 0))")
    }

    /// B hears the stream only from 20 s into it on: from 5 s after its first chirp, within the bounds.
    ///
    /// B's process and device start with A's, idle, and the stream reaches it through relays started at the join: a
    /// playback stream that joins the rig's running sink later moved both streams' delay reports (PulseAudio's) by
    /// 100–300 ppm for tens of seconds, so a receiver process started late tested the rig's server.
    ///
    /// Disabled: not met on the rig. Runs read median 0.04–2.1 ms, max 0.2–2.8 ms (4.9 ms from the buffer level
    /// instead of `snd_pcm_delay`). In them, a receiver's own schedule error stays under 0.2 ms while the recording
    /// has the two up to 2 ms apart, and each receiver's delay measurement drifts by 200–350 ppm against the sender's
    /// capture clock for 10 s at a time, with 4.6 ms steps back in the device's buffer level, also in a receiver that
    /// plays alone and not in every run; two receivers started together drift alike, which is why they align. Where
    /// the drift comes from (the rig's PulseAudio, its `pulse` plugin's reports, or the receiver) is not settled.
    @Test(.disabled("on the rig a late joiner is 0.2-2.8 ms off while its own error reads < 0.2 ms; see the comment"))
    func lateJoinerIsAlignedWithinFiveSeconds() throws {
        let join = 20.0
        let seconds = join + Self.joinSettleSeconds + 8
        let run = try Self.run(seconds: seconds, joinAfterSeconds: join)
        let first = try #require(
            run.alignments.first { $0.frame >= run.joinFrame }, "B played no chirp\n\(run.logB)")
        let settled = run.alignments.filter { $0.frame >= run.joinFrame + Int(Self.joinSettleSeconds * 48_000) }
        let (median, maximum) = Self.summary(settled.map(\.errorMs))
        print(String(
            format: "e2e sync late joiner: first chirp %.1f s after the stream's, %+.3f ms; from %.0f s after it: "
                + "%d chirps, |error| median %.3f ms, max %.3f ms", Double(first.frame) / 48_000, first.errorMs,
            Self.joinSettleSeconds, settled.count, median, maximum))
        print("e2e sync late joiner: course \(Self.course(run.alignments)); sender late ticks \(run.senderLateTicks)")
        // B's loop, every second: delay/target, drift, ratio, error.
        for (index, line) in run.logB.split(separator: "\n").filter({ $0.contains(" drift ") }).enumerated()
        where index % 2 == 0 {
            print("e2e sync late joiner B: t \(index / 2) s: \(line)")
        }
        #expect(settled.count >= 20, "\(settled.count) chirps\n\(run.logB)")
        #expect(median <= 0.1, "\(Self.describe(run.alignments, from: run.joinFrame))")
        #expect(maximum <= 0.3, "\(Self.describe(run.alignments, from: run.joinFrame))")
    }

    /// The sender captures what is played into `ref` (`ref_in`) and stamps its reports with the instant the audio
    /// entered the capture device (`CaptureTimestamps`); the receiver plays into `out` at capture + sync latency, so
    /// the chirps' glass-to-glass latency in the aligned recording is the sync latency, plus what neither end can
    /// see: the rig's path from `ref` through the monitor into `ref_in` before the capture device reports the audio,
    /// and whatever PulseAudio's delay reports leave out. That rest read 3.5 ms (4.0 ms with the read time as the
    /// stamp, as before `CaptureTimestamps`); the bound allows it, not an early playout.
    @Test func glassToGlassIsTheSyncLatency() throws {
        let rig = try AudioRig(outputs: 1, aligned: true)
        defer { rig.stop() }
        let train = ChirpTrain(leadSeconds: 3.5, count: 60)
        let trainFile = rig.directory.appendingPathComponent("train.raw")
        try train.write(to: trainFile)
        let trainSeconds = Double(train.samples.count / 2) / 48_000
        let port = Receiver.portPair()
        let recording = try rig.startAlignedRecording()
        let receiver = try Self.syncReceiver(
            rig: rig, port: port, device: rig.outputDevice, seconds: trainSeconds + Receiver.deviceWarmUpSeconds + 2)
        usleep(useconds_t(Receiver.deviceWarmUpSeconds * 1_000_000))
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--device", rig.referenceCaptureDevice, "--frame", "5", "--to", "127.0.0.1:\(port)",
             "--duration", "\(trainSeconds + 4)", "--stats", "1"],
            environment: rig.environment)
        let reference = try ChildProcess(
            "/usr/bin/aplay",
            ["-q", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000", "-D", rig.referenceDevice, trainFile.path],
            environment: rig.environment)
        reference.wait(seconds: trainSeconds + 4)
        #expect(receiver.wait(seconds: 8) == 0, "\(receiver.log)")
        sender.stop()
        let measured = ChirpLatency(recording: try recording.stop())
        // From `settleSeconds` after the first chirp on (chirps about 0.26 s apart).
        let settled = Array(measured.latenciesMs.dropFirst(Int(Self.settleSeconds / 0.26)))
        let median = LoopbackEndToEndTests.median(settled)
        print(String(
            format: "e2e sync glass to glass: --sync-latency %.0f ms, measured median %.3f ms (%.3f ms over), "
                + "range %.3f ... %.3f ms over %d chirps", Self.syncLatencyMs, median, median - Self.syncLatencyMs,
            settled.min() ?? .nan, settled.max() ?? .nan, settled.count))
        print("e2e sync glass to glass: \(Receiver.jsonLine(receiver.log))")
        #expect(settled.count >= 12, "\(measured)\n\(receiver.log)\n\(sender.log)")
        #expect(median >= Self.syncLatencyMs && median <= Self.syncLatencyMs + 4.5, "\(settled)")
    }
}
