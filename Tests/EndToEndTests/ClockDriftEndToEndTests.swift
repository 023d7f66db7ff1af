import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// A sender whose clock runs ±500 ppm off (`earshot-send --clock-skew-ppm`, a chirp train from a WAV file) into the
/// receiver on the paced rig. The receiver's drift loop must follow by resampling: from the settling time on, the
/// latency measured on the chirps in what the receiver handed its device stays within 0.2 ms, nothing is concealed,
/// the tone beside the chirps has no glitch window and plays at the drifted frequency (within 0.1 Hz).
///
/// Latency of chirp `k`: where it starts in the receiver's record, minus where it starts in the file scaled to the
/// sender's clock (`onset / (1 + ppm · 10⁻⁶)`), both in 48 kHz frames: constant while the delay is held. Compared:
/// the median over 5 s from the settling time and over the last 5 s (single chirps scatter over 0.28 ms in a run: the
/// delay's reference, the fastest arrival of the last 2 s, moves with the sender's pacing). The run lasts `EARSHOT_DRIFT_SECONDS` (default
/// 60 s, as the issue asks; the loop converges within 20 s).
@Suite(.serialized, .tags(.rigTiming)) struct ClockDriftEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    static var streamSeconds: Double {
        ProcessInfo.processInfo.environment["EARSHOT_DRIFT_SECONDS"].flatMap(Double.init) ?? 60
    }
    /// From here on (seconds of stream) the loop has converged (`DriftSimulationTests`: 8–13 s).
    static let settleSeconds = 20.0
    /// The latency is compared between this long after settling and this long before the end.
    static let averagingSeconds = 5.0

    @Test(arguments: [500.0, -500.0])
    func skewedSenderIsFollowedByResampling(skewPpm: Double) throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let train = ChirpTrain(leadSeconds: 1, count: Int((Self.streamSeconds - 2) / 0.26), tailSeconds: 1)
        let input = rig.directory.appendingPathComponent("train.wav").path
        try WAVFile(sampleRate: 48_000, channels: 2, samples: train.samples).write(path: input)
        let scale = 1 + skewPpm * 1e-6
        let streamSeconds = Double(train.samples.count / 2) / 48_000 / scale
        let port = Receiver.portPair()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        // The receiver stops before the sender does, so the end of the stream is not concealed as loss.
        let receiver = try LoopbackEndToEndTests.receiver(
            rig: rig, port: port, device: "spk", seconds: streamSeconds - 0.5, extra: ["--record", wav])
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--input", input, "--frame", "5", "--to", "127.0.0.1:\(port)", "--clock-skew-ppm=\(skewPpm)",
             "--stats", "1"])
        #expect(receiver.wait(seconds: streamSeconds + 5) == 0, "\(receiver.log)")
        #expect(sender.wait(seconds: 5) == 0, "\(sender.log)")
        let stats = try Receiver.finalStats(receiver.log)
        let recorded = try WAVFile.read(path: wav).samples
        let sine = SignalAnalysis.channel(0, of: recorded, channels: 2)
        let chirps = SignalAnalysis.channel(1, of: recorded, channels: 2)

        // Each chirp's start in the record, refined by correlation, matched to the file's by the irregular gaps.
        let found = Self.chirpStarts(in: chirps)
        let first = try #require(Self.firstMatch(found, train.onsets, scale: scale), "chirps not matched: \(found)")
        var latencies: [(streamSeconds: Double, ms: Double, record: Int)] = []
        for (index, start) in found.enumerated() where first + index < train.onsets.count {
            let onset = Double(train.onsets[first + index])
            latencies.append((onset / 48_000 / scale, (Double(start) - onset / scale) / 48, start))
        }
        let lastSeconds = try #require(latencies.last?.streamSeconds)
        let settled = latencies.filter {
            $0.streamSeconds >= Self.settleSeconds && $0.streamSeconds < Self.settleSeconds + Self.averagingSeconds
        }
        let end = latencies.filter { $0.streamSeconds > lastSeconds - Self.averagingSeconds }
        try #require(settled.count >= 5 && end.count >= 5, "too few chirps: \(latencies.count)")
        let settledMs = LoopbackEndToEndTests.median(settled.map(\.ms))
        let endMs = LoopbackEndToEndTests.median(end.map(\.ms))
        let afterSettling = latencies.filter { $0.streamSeconds >= Self.settleSeconds }.map(\.ms)

        // The tone from the settling time on: glitch windows (10 ms, windows touching a chirp left out, as
        // `ChirpLatency` does) and its frequency over each second (the phase advance between its two halves).
        let toneFrequency = 997 * scale
        let settleFrame = try #require(settled.first?.record) - 2_400
        let chirpSpans = latencies.map { ($0.record - 480)..<($0.record + ChirpTrain.chirpFrames + 480) }
        var glitches: [Int] = []
        var window = settleFrame
        while window + 480 <= min(sine.count, end.last!.record + 4_800) {
            let span = window..<(window + 480)
            if !chirpSpans.contains(where: { $0.overlaps(span) }),
                SignalAnalysis.sineFit(sine[span], frequency: toneFrequency, sampleRate: 48_000).snrDB < 20
            {
                glitches.append(window)
            }
            window += 480
        }
        var frequencyErrors: [Double] = []
        var second = settleFrame
        while second + 48_000 <= end.last!.record {
            let early = SignalAnalysis.sineFit(
                sine[second..<(second + 24_000)], frequency: toneFrequency, sampleRate: 48_000)
            let late = SignalAnalysis.sineFit(
                sine[(second + 24_000)..<(second + 48_000)], frequency: toneFrequency, sampleRate: 48_000)
            // Beyond what half a second at the drifted frequency advances the phase by.
            var advance = late.phase - early.phase - 2 * Double.pi * toneFrequency * 0.5
            advance -= 2 * Double.pi * (advance / (2 * Double.pi)).rounded()
            frequencyErrors.append(advance / (2 * Double.pi * 0.5))
            second += 48_000
        }
        let worstFrequencyError = frequencyErrors.map(abs).max() ?? .nan
        let stealPercent = steal.percent()
        print(String(
            format: "e2e clock skew %+.0f ppm: latency after settling %.3f ms, at the end %.3f ms (%.3f ms apart), "
                + "range after settling %.3f ... %.3f ms over %d chirps; tone %.1f Hz off by at most %.3f Hz "
                + "over %d s; "
                + "glitch windows %d; host steal %.1f %%", skewPpm, settledMs, endMs, endMs - settledMs,
            afterSettling.min() ?? .nan, afterSettling.max() ?? .nan, afterSettling.count, toneFrequency,
            worstFrequencyError, frequencyErrors.count, glitches.count, stealPercent))
        print("e2e clock skew \(skewPpm) ppm: \(Receiver.jsonLine(receiver.log))")
        // The loop's course, every 5 s of the receiver's 0.5 s lines (delay/target, drift, ratio, error).
        let lines = receiver.log.split(separator: "\n").filter { $0.contains(" drift ") }
        for (index, line) in lines.enumerated() where index % 10 == 0 {
            print("e2e clock skew \(skewPpm) ppm: t \(index / 2) s: \(line.split(separator: "|")[2])")
        }

        // A packet can arrive late on a loopback only if it left late (the sender's pacer counts the ticks it woke more
        // than half a frame late, `late=`): the target then jumps and the splices follow it, which is their job, not
        // drift. What they moved the delay by since settling is allowed on top (one run: 2 late ticks at 30 s, the
        // target up to 5.7 ms and back, the latency 0.24 ms off at the end while the trim brought it back).
        let senderLate = LoopbackEndToEndTests.senderLateTicks(sender.log)
        let splicedMs = senderLate == 0 ? 0 : Self.splicedMsSince(
            seconds: Receiver.deviceWarmUpSeconds + Self.settleSeconds, log: receiver.log)
        print(String(format: "e2e clock skew %+.0f ppm: sender late ticks %d, spliced since settling %.2f ms", skewPpm,
                     senderLate, splicedMs))
        #expect(abs(endMs - settledMs) <= 0.2 + splicedMs, "latencies \(latencies.map { ($0.streamSeconds, $0.ms) })")
        #expect(Receiver.int(stats, "concealmentEvents") == 0)
        #expect(glitches.isEmpty, "glitch windows at record frames \(glitches)")
        #expect(worstFrequencyError < 0.1, "tone frequency errors \(frequencyErrors) Hz")
        // The loop's own figure: the drift it estimated, against the skew (the rig's device runs on the host clock).
        let drift = Receiver.double(stats, "driftPpm")
        #expect(abs(drift - skewPpm) < 20, "estimated drift \(drift) ppm")
        #expect(Receiver.int(stats, "deviceUnderruns") == 0)
        #expect(Receiver.int(stats, "xruns") <= HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent))
    }

    /// Samples stretched in and out (`stretch +I/-R smp` of the 0.5 s stats lines) from `seconds` after the receiver
    /// started to its end, in ms.
    static func splicedMsSince(seconds: Double, log: String) -> Double {
        let counts = log.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "stretch +") else { return nil }
            let fields = line[range.upperBound...].split(separator: " ")[0].split(separator: "/")
            guard fields.count == 2, let inserted = Int(fields[0]), let removed = Int(fields[1].dropFirst()) else {
                return nil
            }
            return inserted + removed
        }
        let index = min(counts.count - 1, Int(seconds / 0.5))
        guard index >= 0, let last = counts.last else { return 0 }
        return Double(last - counts[index]) / 48
    }

    /// Chirp starts (`ChirpLatency.onsets`), each refined to the lag of best correlation with the chirp within
    /// ±2 ms.
    static func chirpStarts(in signal: [Float]) -> [Int] {
        let chirp = ChirpTrain.chirp()
        return ChirpLatency.onsets(in: signal).compactMap { onset in
            let from = onset - 96 - 96
            let to = onset + ChirpTrain.chirpFrames + 96
            guard from >= 0, to <= signal.count else { return nil }
            let result = SignalAnalysis.delayByCrossCorrelation(
                reference: chirp, signal: Array(signal[from..<to]), maxLag: 2 * 96 + 96)
            return result.correlation > 0.8 ? from + result.lag : nil
        }
    }

    /// The file's chirp that the first found one is: the one whose next three gaps (scaled to the sender's clock)
    /// match the found ones' within 2 ms.
    static func firstMatch(_ found: [Int], _ onsets: [Int], scale: Double) -> Int? {
        guard found.count >= 4 else { return nil }
        for candidate in 0..<(onsets.count - 3) {
            let matches = (0..<3).allSatisfy { step in
                let sent = Double(onsets[candidate + step + 1] - onsets[candidate + step]) / scale
                let heard = Double(found[step + 1] - found[step])
                return abs(sent - heard) < 96
            }
            if matches { return candidate }
        }
        return nil
    }
}
