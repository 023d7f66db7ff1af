import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// Our sender → our receiver on the paced rig, no impairment.
///
/// What "playout latency" means here (numbers printed by every run):
/// - receiver-reported: `playoutDelayMs` = how long after the frame's earliest possible arrival (fastest packet in
///   the estimator's window) the producer hands it to the ring, smoothed; compared with `targetDelayMs`. It excludes
///   the ring (≤ 1 period + 1 frame) and the ALSA buffer, which are fixed by configuration.
/// - glass-to-glass: chirp in `ref` → `ref_in` → earshot-send → UDP → earshot-recv → `out`, sample-aligned in one
///   recording. Minus the rig floor (arecord | aplay on the same PCMs, same run) and the codec's algorithmic delay
///   (frame + 2.5 ms low-delay lookahead), the rest is network + jitter buffer + ring + buffer differences.
@Suite(.serialized, .tags(.rigTiming)) struct LoopbackEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    /// Starts `earshot-recv` (stdout in its log) and waits out the rig's stream start-up stall.
    static func receiver(rig: AudioRig, port: Int, device: String, seconds: Double, extra: [String] = [])
        throws -> ChildProcess
    {
        // A 30 ms device buffer (6 × 5 ms periods): the rig's PulseAudio, itself not real-time on a 2-core VM, reported
        // xruns and gaps with 15 ms; a sound card plays the 3-period default.
        let child = try ChildProcess(
            Receiver.product("earshot-recv"),
            ["--listen", "127.0.0.1:\(port)", "--device", device,
             "--duration", "\(seconds + Receiver.deviceWarmUpSeconds)", "--stats", "0.5", "--buffer-periods", "6"] + extra,
            environment: rig.environment)
        usleep(useconds_t(Receiver.deviceWarmUpSeconds * 1_000_000))
        return child
    }

    /// The periodic (current, target) delays from `skip` lines on, without the final line.
    static func steadyDelays(_ log: String, skip: Int) -> [(current: Double, target: Double)] {
        let delays = Receiver.delays(log)
        return delays.count > skip + 1 ? Array(delays[skip..<(delays.count - 1)]) : []
    }

    static func median(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.sorted()[values.count / 2] }

    /// Pacer ticks the sender woke more than half a frame late (`late=` on its final status line).
    static func senderLateTicks(_ log: String) -> Int {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("done:") }),
            let field = line.split(separator: " ").first(where: { $0.hasPrefix("late=") })
        else { return 0 }
        return Int(field.dropFirst(5)) ?? 0
    }

    /// Sine fits of the 997 Hz tone over consecutive `seconds`-long segments. A splice that shifts the tone's phase
    /// by a fraction of a sample is inaudible, and so is a block the rig's recorder drops while the host steals the
    /// CPU, but a fit over the whole run sees the phases before and after disagree: one such shift halfway through
    /// a run fitted at amplitude 0.25 and −5 dB SNR while every 0.1 s segment fitted at 0.5 and 40 dB. Short
    /// segments still catch a click or a repeated block that the 10 ms glitch windows might straddle.
    struct SegmentFits {
        var worstSNR: Double
        var medianSNR: Double
        var medianAmplitude: Double
    }

    ///
    /// Each segment is fitted at the best of 997 Hz ± 0.3 Hz in 0.05 Hz steps: while the drift loop converges its trim
    /// bends the pitch by up to 200 ppm, which a fit at exactly 997 Hz over 0.1 s reads as noise (SNR at most ~29 dB
    /// at 0.2 Hz). The pitch itself is judged by `ClockDriftEndToEndTests`.
    static func segmentFits(_ signal: [Float], seconds: Double) -> SegmentFits {
        let length = Int(seconds * 48_000)
        var fits: [SineFit] = []
        var start = 0
        while start + length <= signal.count {
            let segment = signal[start..<(start + length)]
            let candidates = (-6...6).map {
                SignalAnalysis.sineFit(segment, frequency: 997 + Double($0) * 0.05, sampleRate: 48_000)
            }
            fits.append(candidates.max { $0.snrDB < $1.snrDB }!)
            start += length
        }
        return SegmentFits(
            worstSNR: fits.map(\.snrDB).min() ?? -.infinity, medianSNR: median(fits.map(\.snrDB)),
            medianAmplitude: median(fits.map(\.amplitude)))
    }

    /// Glitch windows grouped into events: windows at most `gap` apart are one dropout (a 20 ms gap spans two or
    /// three 10 ms windows). Any sorted positions will do, e.g. the frame bounds of silent stretches.
    static func glitchEvents(_ windows: [Int], gap: Int = 3) -> Int {
        var events = 0
        var last = Int.min
        for window in windows.sorted() {
            if last == Int.min || window - last > gap { events += 1 }
            last = window
        }
        return events
    }

    /// The lowest sine-fit SNR over consecutive `seconds`-long segments (see `SegmentFits`).
    static func worstSegmentSNR(_ signal: [Float], seconds: Double) -> Double {
        segmentFits(signal, seconds: seconds).worstSNR
    }

    // MARK: - 1. Clean loopback, tone

    /// `--tone 997 --frame 5` → `earshot-recv` → `spk`: the recording is the tone (sine fit over the steady part,
    /// no glitch window), nothing concealed, no underrun, no xrun. Latency: the receiver follows its target by
    /// time-stretching the decoded audio in sub-frame steps whatever the loudness; with a fixed target it holds a
    /// constant delay; with `auto` the target falls from its 20 ms start-up value to a few ms on a clean loopback and
    /// the delay follows it to within 2 ms within 2 s and stays there, never below target.
    @Test(arguments: ["auto", "10"])
    func toneLoopbackIsClean(latency: String) throws {
        let seconds = latency == "auto" ? 13.0 : 6.0
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let port = Receiver.portPair()
        let recording = try rig.startRecording()
        // The receiver stops before the sender does, so the end of the stream is not concealed as loss.
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let receiver = try Self.receiver(
            rig: rig, port: port, device: "spk", seconds: seconds, extra: ["--latency", latency, "--record", wav])
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--frame", "5", "--to", "127.0.0.1:\(port)", "--duration", "\(seconds + 1.5)",
             "--stats", "1"])
        #expect(receiver.wait(seconds: seconds + 5) == 0, "\(receiver.log)")
        #expect(sender.wait(seconds: 5) == 0, "\(sender.log)")
        let samples = try recording.stop()
        let stats = try Receiver.finalStats(receiver.log)

        let steady = try Receiver.steadyPart(samples, skipSeconds: 1.5, trimSeconds: 0.2)
        let fit = SignalAnalysis.sineFit(steady, frequency: 997, sampleRate: 48_000)
        let rigSegments = Self.segmentFits(steady, seconds: 0.1)
        // Clicks and splices are judged on what the receiver handed to the device: the rig's PulseAudio, not
        // real-time on a 2-core VM, glitches by itself now and then (the capture test's floor run shows it).
        let recordedSteady = try Receiver.steadyPart(
            try WAVFile.read(path: wav).samples, skipSeconds: 1.5, trimSeconds: 0.2)
        let segmentSNR = Self.worstSegmentSNR(recordedSteady, seconds: 0.1)
        let glitches = SignalAnalysis.glitchWindows(
            recordedSteady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        let rigGlitches = SignalAnalysis.glitchWindows(
            steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        // Steady state: from 2 s after the stream started (4 lines of 0.5 s), i.e. past the start-up target.
        let delays = Self.steadyDelays(receiver.log, skip: 5 + 4)
        let currents = delays.map(\.current)
        // A reading right after the target rose (a late packet raised it) shows the delay still growing toward it.
        let settled = delays.indices.filter { $0 == 0 || delays[$0].target <= delays[$0 - 1].target + 0.5 }
        let offsets = settled.map { delays[$0].current - delays[$0].target }
        print(String(
            format: "e2e loopback tone (--latency %@): rig recording: whole-run fit SNR %.1f dB, amplitude %.3f over "
                + "%.1f s; 0.1 s segments: median SNR %.1f dB, median amplitude %.3f, %d glitch windows. Receiver's "
                + "record: worst 0.1 s segment %.1f dB, %d glitch windows", latency, fit.snrDB, fit.amplitude,
            Double(steady.count) / 48_000, rigSegments.medianSNR, rigSegments.medianAmplitude, rigGlitches.count,
            segmentSNR, glitches.count))
        print(String(
            format: "e2e loopback tone (--latency %@): playout delay median %.2f ms (min %.2f, max %.2f), "
                + "target median %.2f ms, delay − target min %.2f max %.2f ms over %d readings",
            latency, Self.median(currents), currents.min() ?? .nan, currents.max() ?? .nan,
            Self.median(delays.map(\.target)), offsets.min() ?? .nan, offsets.max() ?? .nan, delays.count))
        print("e2e loopback tone (--latency \(latency)): \(Receiver.jsonLine(receiver.log))")

        // A packet can arrive late on a loopback only if it left late: the sender's pacer counts every tick it woke
        // more than half a frame late. The CI VM stalls the sender now and then; a late packet the sender sent on
        // time, or a concealment no late packet explains, is the receiver's fault.
        let senderLateTicks = Self.senderLateTicks(sender.log)
        let late = Receiver.int(stats, "packetsLate")
        // 5 ms CELT at 128 kbps, −6 dBFS: measured 40+ dB through the rig. A splice (matched at ≥ 0.95) may leave
        // the tone's phase off by up to ~0.3 rad, and a segment may hold a few while the delay follows a falling
        // target (23–39 dB measured). A dropped or concealed block brings a 0.1 s segment below 15 dB; 20 dB leaves
        // room for the splices, and the 10 ms glitch windows below catch a click. After a late packet or an xrun
        // (the rig's stream underflowing while the host steals CPU) the delay is rebuilt by a run of splices within
        // a few tenths of a second: 16.4 dB in one CI run with 1 xrun, 0 late packets and 0 glitch windows.
        let xruns = Receiver.int(stats, "xruns")
        #expect(segmentSNR > (late == 0 && xruns == 0 ? 20 : 10), "worst segment SNR \(segmentSNR) dB, xruns \(xruns)")
        #expect(glitches.count <= Receiver.int(stats, "concealmentEvents"), "glitch windows \(glitches)")
        // What the device played: the receiver's glitches plus at most one dropout of the rig's own. The rig's
        // PulseAudio is not real-time on a VM whose host steals CPU (2.7 s of 80 CPU-seconds in one run of this test;
        // the rig's direct loop dropped out 1–56 times per 20 s in the same hour): its stream then underflows once,
        // which the receiver counts as an xrun and the recording shows as a 10–30 ms gap (windows [191, 193]). The
        // receiver's own record above must stay clean, so a late or missing write of ours still fails. While the host
        // steals more than 2 % of the CPU, the rig underflows more often (30 s streams on 2026-11-26: 37 xruns at 19 %
        // steal, 1-8 at 3-7 %, 0-1 on a quiet host, whichever build played): up to three are the host's then.
        let stealPercent = steal.percent()
        let rigUnderflows = HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent)
        print(String(format: "e2e loopback tone (--latency %@): host steal %.1f %%", latency, stealPercent))
        let rigDropouts = Self.glitchEvents(rigGlitches)
        #expect(rigDropouts <= glitches.count + rigUnderflows,
                "glitch windows on the rig \(rigGlitches), host steal \(stealPercent) %")
        #expect(abs(20 * log10(rigSegments.medianAmplitude) - -6) < 1,
                "level \(20 * log10(rigSegments.medianAmplitude)) dBFS")
        #expect(Receiver.int(stats, "packetsReceived") >= Int(seconds * 200) - 10)
        #expect(Receiver.int(stats, "packetsLost") == 0)
        #expect(late <= senderLateTicks, "late packets \(late), sender's late ticks \(senderLateTicks)")
        #expect(Receiver.int(stats, "concealmentEvents") <= late)
        #expect(Receiver.int(stats, "concealedSamples") <= late * 240)
        #expect(Receiver.int(stats, "underruns") == 0)
        #expect(Receiver.int(stats, "deviceUnderruns") == 0)
        // At most the underflows of the rig's stream allowed above.
        #expect(xruns <= rigUnderflows, "xruns \(xruns), rig dropouts \(rigDropouts), host steal \(stealPercent) %")

        try #require(delays.count >= Int(seconds) - 4, "too few stats lines:\n\(receiver.log)")
        // What is queued ahead of the speaker after each refill: the ring tops itself and the device buffer (6 periods
        // here) up to the buffer plus a period, 35 ms, overshooting by less than a 5 ms frame. Earlier rules kept a
        // period more (40 ms), and before that a whole device buffer and a frame in the ring besides the device: 65 ms.
        let queues = Receiver.outputQueues(receiver.log).dropFirst(5)
        let queue = Self.median(Array(queues))
        print(String(format: "e2e loopback tone (--latency %@): output queue median %.1f ms", latency, queue))
        #expect(queue >= 30 && queue <= 40, "output queue \(Array(queues)) ms")
        if latency == "auto" {
            #expect(Double(recordedSteady.count) / 48_000 >= 10, "at least 10 s of steady tone analysed")
        }
        // Never below target (the smoothed delay may dip a fraction of a ms between readings).
        #expect((offsets.min() ?? -1) >= -0.5, "delay below target: \(delays)")
        // Within 2 ms of target from 2 s after the start (the corrector's dead band is 1.5 ms).
        #expect((offsets.max() ?? 99) <= 2, "delay − target \(offsets)")
        if latency != "auto" {
            // Constant: no drift and no stretching back and forth in the steady state; it may wander only within the
            // corrector's dead band (0.5 ms below to 1.5 ms above the target).
            #expect((currents.max() ?? 0) - (currents.min() ?? 0) <= 2, "delay not steady: \(currents)")
            if late == 0 { #expect(rigSegments.medianSNR > 30, "median segment SNR \(rigSegments.medianSNR) dB") }
        } else if late == 0 {
            // It followed a falling target: 20 ms at start-up, a few ms on a clean loopback. Only the lowest reading
            // is judged: the CI VM stalls the sender now and then, and the target rightly rises to cover that (one
            // run: 40 ms peaks, median 21.8 ms, nothing late, every reading within 1.4 ms of its target).
            let lowest = delays.map(\.target).min() ?? 99
            #expect(lowest < 15, "target never fell: \(delays)")
            #expect(currents.min() ?? 99 < lowest + 2, "delay did not follow the target down: \(delays)")
        }
    }

    // MARK: - 2. Capture → send → receive, glass to glass

    /// A chirp train played into `ref` is captured by `earshot-send --device ref_in`, received by `earshot-recv
    /// --device out`, and recorded sample-aligned with the reference. Every chirp that arrives while the system is
    /// flowing correlates ≥ 0.9 with the original at one constant lag (the glass-to-glass latency, printed), the
    /// continuous sine beside it has no glitch window, and the rig floor is measured in the same run.
    @Test(arguments: [2.5, 5.0])
    func capturedSignalMatchesAndLatencyIsMeasured(frameMs: Double) throws {
        let rig = try AudioRig(outputs: 1, aligned: true)
        defer { rig.stop() }
        let train = ChirpTrain(leadSeconds: 3.5, count: 12)
        let trainFile = rig.directory.appendingPathComponent("train.raw")
        try train.write(to: trainFile)
        let trainSeconds = Double(train.samples.count / 2) / 48_000
        let play = ["-q", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000", "-D", rig.referenceDevice,
                    trainFile.path]

        // Rig floor: arecord ref_in | aplay out, the harness's 10 ms buffers.
        let floor: ChirpLatency
        do {
            let recording = try rig.startAlignedRecording()
            let pipe = Pipe()
            let format = ["-q", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000", "--buffer-time=10000",
                          "--period-time=2500"]
            let player = try ChildProcess(
                "/usr/bin/aplay", format + ["-D", rig.outputDevice], environment: rig.environment,
                standardInput: pipe.fileHandleForReading)
            let capture = try ChildProcess(
                "/usr/bin/arecord", format + ["-D", rig.referenceCaptureDevice], environment: rig.environment,
                standardOutput: pipe.fileHandleForWriting)
            let reference = try ChildProcess("/usr/bin/aplay", play, environment: rig.environment)
            reference.wait(seconds: trainSeconds + 4)
            capture.stop()
            player.stop()
            floor = ChirpLatency(recording: try recording.stop())
        }

        let port = Receiver.portPair()
        let recording = try rig.startAlignedRecording()
        let steal = HostStealMeter()
        let receiver = try Self.receiver(rig: rig, port: port, device: rig.outputDevice, seconds: trainSeconds + 2)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--device", rig.referenceCaptureDevice, "--frame", "\(frameMs)", "--to", "127.0.0.1:\(port)",
             "--duration", "\(trainSeconds + 4)", "--stats", "1"],
            environment: rig.environment)
        let reference = try ChildProcess("/usr/bin/aplay", play, environment: rig.environment)
        reference.wait(seconds: trainSeconds + 4)
        #expect(receiver.wait(seconds: 6) == 0, "\(receiver.log)")
        sender.stop()
        let measured = ChirpLatency(recording: try recording.stop())
        let stealPercent = steal.percent()
        // While the host steals CPU the rig's streams stall more: its capture (late packets at the sender) and its
        // output (glitch windows of its own), as in `toneLoopbackIsClean`. A CI run of 0867c6e at 19 % steal read 5
        // glitch windows with no late packet, its rerun 3 late packets (2.5 ms frames).
        let noisy = stealPercent > HostStealMeter.noisyPercent
        let rigGlitchAllowance = 3 * (HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent) - 1)
        print(String(format: "e2e capture --frame %.1f: host steal %.1f %%", frameMs, stealPercent))
        let stats = try Receiver.finalStats(receiver.log)
        let delays = Receiver.delays(receiver.log).filter { $0.current > 0 }.dropFirst(4)
        let playout = Self.median(delays.map(\.current))
        let target = Self.median(delays.map(\.target))
        let codec = frameMs + 2.5
        let rest = measured.medianMs - floor.medianMs - codec
        print("e2e capture --frame \(frameMs): glass-to-glass \(measured)")
        print("e2e capture --frame \(frameMs): rig floor (arecord | aplay) \(floor)")
        print(String(
            format: "e2e capture --frame %.1f: glass-to-glass %.2f − floor %.2f − codec %.1f = %.2f ms; receiver "
                + "playout delay %.2f ms, target %.2f ms", frameMs, measured.medianMs, floor.medianMs, codec, rest,
            playout, target))
        print("e2e capture --frame \(frameMs): \(Receiver.jsonLine(receiver.log))")

        #expect(measured.latenciesMs.count >= 8, "\(measured)\n\(receiver.log)\n\(sender.log)")
        // Nearly every chirp comes through intact; one may be hit by a sub-frame delay correction (a splice inside a
        // 50 ms chirp) or by the rig's own xrun (below).
        let intact = measured.correlations.filter { $0 >= 0.9 }.count
        #expect(intact >= measured.correlations.count - 1, "\(measured.correlations)")
        // One lag for all chirps: no drift, no step. The lag may move only by what the receiver reports it
        // stretched in or out to follow its target (the rig's capture stream stalls up to ~20 ms every few seconds,
        // and a late packet raises the target).
        let stretchedMs = Double(Receiver.int(stats, "insertedSamplesForDeceleration")
            + Receiver.int(stats, "removedSamplesForAcceleration")) / 48
        #expect(measured.spreadMs <= 1 + stretchedMs, "\(measured.latenciesMs), stretched \(stretchedMs) ms")
        // The sine beside the chirps: a glitch window is one the rig glitched itself (its floor runs have shown up
        // to 2; a run may show none), or a late packet's: its concealed frame, then the run of splices that grows the delay to the
        // raised target within a few frames.
        let late = Receiver.int(stats, "packetsLate")
        // Known limit (closing note): in 2.5 ms frames a splice has at most 1.25 ms of signal to match on, and about
        // one in two of them shows on the −20 dBFS sine as a window below 20 dB; each moves the delay by 1–2 ms.
        let spliceAllowance = frameMs < 5 ? Int(stretchedMs) : 0
        #expect(
            measured.glitchWindows <= max(floor.glitchWindows, 2) + 4 * late + spliceAllowance + rigGlitchAllowance,
            "\(measured), floor \(floor), host steal \(stealPercent) %")
        #expect(Receiver.int(stats, "packetsLost") == 0)
        // Late packets come from capture stalls on the rig's sound server (the tone loopback, paced by the sender's
        // own clock, shows none); two in a 15 s run is the most seen on a quiet host, four while it steals CPU. Every
        // concealment must be one of them.
        #expect(late <= (noisy ? 4 : 2), "late packets \(late), host steal \(stealPercent) %")
        #expect(Receiver.int(stats, "concealmentEvents") <= late)
        #expect(Receiver.int(stats, "deviceUnderruns") == 0)
        // Three PulseAudio streams start around this run (reference, capture, output): the rig reports one xrun in
        // most runs, early and once, with no underrun of ours; its cause was not found (closing note). More is a bug,
        // but for the rig's own underflows while the host steals CPU.
        #expect(Receiver.int(stats, "xruns") <= HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent))
        // The receiver's part of the latency is its playout delay: the glass-to-glass figure cannot be below
        // floor + codec + playout delay by more than the floor's own extra buffering (its 10 ms ALSA buffer).
        #expect(floor.latenciesMs.count >= 8, "rig floor: \(floor)")
        #expect(measured.medianMs > codec + playout, "glass-to-glass \(measured.medianMs) ms")
        // And from above, at the default latency: what is left over the floor and the codec is the receiver's device
        // buffer beyond the floor's (6 × 5 ms against 10 ms), its ring (at most a period), the playout delay it
        // reports (its target and the smoothing around it), and 3 ms for the rig's scheduling.
        let bufferBeyondFloorMs = 6 * 5.0 - 10
        let bound = bufferBeyondFloorMs + 5 + max(playout, target) + 3
        #expect(rest <= bound, "glass-to-glass \(measured.medianMs) ms is \(rest) ms over floor + codec, bound \(bound)")
    }
}
