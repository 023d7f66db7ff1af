import EarshotDSP
import EarshotReceiver
import EarshotTestRig
import Foundation
import Testing

/// The output volume on the paced rig, fed by `earshot-send --tone 997` (−6 dBFS, 5 ms frames): the software gain's
/// step, mute and unmute as the device got them (the pipeline's tap, after the gain), the card's mixer control
/// (`--mixer`, the rig's `ctl.spk` → PulseAudio sink volume), and `--state-file` across a restart of `earshot-recv`.
@Suite(.serialized, .tags(.rigTiming)) struct OutputVolumeRigTests {
    typealias Receiver = ReceiverEndToEndTests

    /// A pipeline on the rig's `spk` that keeps every period it hands to the device. Fixed 20 ms latency: the delay
    /// corrector does not splice once it holds it, so the tone around a change is the tone and the gain only.
    static func pipeline(rig: AudioRig, volumeDB: Double = 0, mixer: String? = nil) throws -> ReceiverPipeline {
        try ReceiverPipeline(
            configuration: ReceiverConfiguration(
                listen: "127.0.0.1:0", device: rig.playbackDevices[0], deviceConfigurationFile: rig.configurationFile,
                latency: .fixed(milliseconds: 20), bufferPeriods: 6, volumeDB: volumeDB, standbyAfterSeconds: 0,
                mixer: mixer, mixerDevice: mixer == nil ? nil : rig.playbackDevices[0]),
            output: .device(recordingCapacitySeconds: 4))
    }

    /// Lets the pipeline run for `seconds`, collecting the tap as it goes.
    static func play(_ pipeline: ReceiverPipeline, seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            pipeline.collectRecording()
            usleep(50_000)
        }
    }

    /// The tone sent to `port` for `seconds`.
    static func tone(port: UInt16, seconds: Double) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--frame", "5", "--to", "127.0.0.1:\(port)", "--duration", "\(seconds)", "--stats", "1"])
    }

    /// A 997 Hz sine's peak amplitude over `samples`, in dBFS: the median of fits over 20 ms windows. While the drift
    /// loop converges the pitch may be off by up to 200 ppm, which a single fit at exactly 997 Hz over seconds reads
    /// as a lower level (−0.6 dB over 3 s at 0.2 Hz); over 20 ms it moves the phase by 0.03 rad.
    static func levelDBFS(_ samples: ArraySlice<Float>) -> Double {
        let window = 960
        guard samples.count >= 2 * window else {
            return 20 * log10(max(1e-12, SignalAnalysis.sineFit(samples, frequency: 997, sampleRate: 48_000).amplitude))
        }
        let amplitudes = stride(from: samples.startIndex, to: samples.endIndex - window + 1, by: window).map {
            SignalAnalysis.sineFit(samples[$0..<($0 + window)], frequency: 997, sampleRate: 48_000).amplitude
        }.sorted()
        return 20 * log10(max(1e-12, amplitudes[amplitudes.count / 2]))
    }

    /// The largest change from one sample to the next.
    static func largestStep(_ samples: ArraySlice<Float>) -> Float {
        zip(samples, samples.dropFirst()).map { abs($1 - $0) }.max() ?? 0
    }

    /// The steepest a steady stretch of the tone gets from one sample to the next, coding noise included: its own
    /// largest step, plus 4 σ of the step its coding noise can add on top (the sine fit's residual, √2 for the
    /// difference of two samples). A click (a gain step without a ramp) at the tone's crest is 0.375 at −6 dBFS
    /// stepped to −12 dB, 0.5 muted: several times this.
    static func steepestStep(_ samples: ArraySlice<Float>) -> Float {
        let fit = SignalAnalysis.sineFit(samples, frequency: 997, sampleRate: 48_000)
        let residualRMS = fit.amplitude / 2.0.squareRoot() * pow(10, -fit.snrDB / 20)
        return largestStep(samples) + Float(4 * 2.0.squareRoot() * residualRMS)
    }

    /// A rig tool's output (`pactl`, `amixer`).
    static func output(_ rig: AudioRig, _ executable: String, _ arguments: [String]) -> String {
        guard let child = try? ChildProcess(executable, arguments, environment: rig.environment) else { return "" }
        child.wait(seconds: 5)
        return child.log
    }

    /// What `pactl` says the sink's volume is, in dB (first channel).
    static func sinkDecibels(_ rig: AudioRig) -> Double? {
        let text = output(rig, "/usr/bin/pactl", ["get-sink-volume", rig.playbackDevices[0]])
        guard let range = text.range(of: " dB") else { return nil }
        return Double(text[..<range.lowerBound].split(separator: " ").last ?? "")
    }

    // MARK: - Software gain

    /// −12 dB, mute, unmute while the tone plays. In the tap each change starts in the period in flight when the call
    /// returned or the next (one period of 5 ms; the ring's queue comes after the gain, so it adds nothing here, and
    /// the device's 30 ms buffer plays out first to the ear), and ends one ramp (240 frames) later. Measured: the
    /// step as −12 ± 0.5 dB, no glitch window the receiver did not conceal, digital zero while muted, the tone back at
    /// −12 dB after unmuting, and around each ramp no sample-to-sample step larger than the louder tone's own.
    @Test func aVolumeStepMuteAndUnmuteAreRampedWithinAPeriodWithoutAClick() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let pipeline = try Self.pipeline(rig: rig)
        _ = try pipeline.start()
        defer { pipeline.stop() }
        Self.play(pipeline, seconds: Receiver.deviceWarmUpSeconds)
        let sender = try Self.tone(port: pipeline.localAddress.port, seconds: 8)
        defer { sender.stop() }
        Self.play(pipeline, seconds: 1.5)
        // Each call, and the periods the playback thread had written when it returned.
        var calls: [(volume: OutputVolume, periodsWritten: Int)] = []
        for volume in [
            OutputVolume(decibels: -12), OutputVolume(decibels: -12, isMuted: true), OutputVolume(decibels: -12),
        ] {
            try pipeline.setOutputVolume(volume)
            calls.append((volume, pipeline.playbackCounters?.periods ?? -1))
            #expect(pipeline.outputVolume == volume)
            Self.play(pipeline, seconds: 0.6)
        }
        pipeline.stop()
        let stats = pipeline.stats()
        let period = try #require(pipeline.deviceParameters?.periodFrames)
        let left = SignalAnalysis.channel(0, of: pipeline.recording, channels: 2)
        let periods = left.count / period
        func slice(periods range: Range<Int>) -> ArraySlice<Float> {
            left[(max(0, range.lowerBound) * period)..<(min(periods, range.upperBound) * period)]
        }
        // The tap holds every period rendered; an xrun's period is in the tap but not counted as written.
        let xruns = stats.xruns

        // Where each change begins: the first period (from two before the call on) off the level before it by more
        // than 0.5 dB (a period is 5 cycles of the tone: its RMS is the level within 0.03 dB).
        var changes: [Int] = []
        for call in calls {
            let before = slice(periods: (call.periodsWritten - 20)..<(call.periodsWritten - 2))
            let reference = SignalAnalysis.rms(before)
            let first = (call.periodsWritten - 2)..<periods
            let change = first.first { index in
                let rms = SignalAnalysis.rms(slice(periods: index..<(index + 1)))
                return reference == 0 ? rms > 0 : abs(20 * log10(max(rms, 1e-12) / reference)) > 0.5
            }
            changes.append(try #require(change, "no change after the call at period \(call.periodsWritten)"))
        }
        let full = slice(periods: (changes[0] - 100)..<changes[0])
        let stepped = slice(periods: (changes[0] + 1)..<changes[1])
        let muted = slice(periods: (changes[1] + 1)..<changes[2])
        let unmuted = slice(periods: (changes[2] + 1)..<(changes[2] + 101))
        let fullLevel = Self.levelDBFS(full)
        let step = Self.levelDBFS(stepped) - fullLevel
        let unmutedStep = Self.levelDBFS(unmuted) - fullLevel
        func glitches(_ samples: ArraySlice<Float>) -> [Int] {
            SignalAnalysis.glitchWindows(
                Array(samples), frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        }
        let glitchWindows = [full, stepped, unmuted].map(glitches)
        // Each ramp's period, from the sample before it (where a step without a ramp would be) to the one after,
        // against the louder side's tone.
        let rampSteps = changes.map { Self.largestStep(left[($0 * period - 1)...(($0 + 1) * period)]) }
        let ownSteps = [Self.steepestStep(full), Self.steepestStep(stepped), Self.steepestStep(unmuted)]
        print(String(
            format: "volume rig: calls at periods %@, changes began at %@; level %.2f dBFS, step %.2f dB, after "
                + "unmute %.2f dB; muted %d samples, %d non-zero; glitch windows %@; largest steps around the ramps "
                + "%@ against the tone's own %@; %@",
            "\(calls.map(\.periodsWritten))", "\(changes)", fullLevel, step, unmutedStep, muted.count,
            muted.filter { $0 != 0 }.count, "\(glitchWindows)", "\(rampSteps)", "\(ownSteps)", stats.json))

        for (call, change) in zip(calls, changes) {
            // The period in flight when the call returned, or the next (plus any period an xrun left uncounted).
            #expect(change >= call.periodsWritten - 1 && change <= call.periodsWritten + 1 + xruns,
                    "\(call.volume) called at period \(call.periodsWritten), began at \(change), xruns \(xruns)")
        }
        #expect(abs(fullLevel - -6.02) < 0.5, "the tone at unity: \(fullLevel) dBFS")
        #expect(abs(step - -12) < 0.5, "step \(step) dB")
        #expect(muted.count >= 100 * period && muted.allSatisfy { $0 == 0 }, "digital zero after the mute's ramp")
        #expect(abs(unmutedStep - -12) < 0.5, "unmuted at \(unmutedStep) dB")
        // As in the loopback tests: a glitch window only where the receiver concealed.
        #expect(glitchWindows.map(\.count).reduce(0, +) <= stats.concealmentEvents, "\(glitchWindows)")
        // No click: −12 dB and mute ramp down from the full and the −12 dB tone, unmute up to the −12 dB tone.
        #expect(rampSteps[0] <= ownSteps[0], "step to -12 dB: \(rampSteps[0]) against \(ownSteps[0])")
        #expect(rampSteps[1] <= ownSteps[1], "mute: \(rampSteps[1]) against \(ownSteps[1])")
        #expect(rampSteps[2] <= ownSteps[2], "unmute: \(rampSteps[2]) against \(ownSteps[2])")
    }

    // MARK: - Mixer

    /// `--mixer Master` on the rig's `ctl.spk`: a control the device lacks is an error at start that lists what it
    /// has; the start-up volume and each change land on the sink (read back with `pactl` and `amixer`), while the
    /// samples handed to the device stay at the tone's level (software gain 0 dB), muted or not.
    @Test func theMixerControlTakesTheVolumeAndTheSamplesStayAtUnity() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        #expect {
            try Self.pipeline(rig: rig, mixer: "Headphone")
        } throws: { error in
            let text = "\(error)"
            return text.contains("has no control 'Headphone' (it has 'Master', 'Capture')")
                && text.contains("`amixer -D spk scontrols`")
        }
        let pipeline = try Self.pipeline(rig: rig, volumeDB: -3, mixer: "Master")
        let startDecibels = Self.sinkDecibels(rig)
        _ = try pipeline.start()
        defer { pipeline.stop() }
        Self.play(pipeline, seconds: Receiver.deviceWarmUpSeconds)
        let sender = try Self.tone(port: pipeline.localAddress.port, seconds: 6)
        defer { sender.stop() }
        Self.play(pipeline, seconds: 1.5)
        let beforeChange = pipeline.recording.count / 2
        try pipeline.setOutputVolume(OutputVolume(decibels: -12))
        let changedDecibels = Self.sinkDecibels(rig)
        let amixer = Self.output(rig, "/usr/bin/amixer", ["-D", rig.playbackDevices[0], "sget", "Master"])
        Self.play(pipeline, seconds: 0.6)
        let beforeMute = pipeline.recording.count / 2
        try pipeline.setOutputVolume(OutputVolume(decibels: -12, isMuted: true))
        let mutedState = Self.output(rig, "/usr/bin/pactl", ["get-sink-mute", rig.playbackDevices[0]])
        Self.play(pipeline, seconds: 0.6)
        let afterMute = pipeline.recording.count / 2
        try pipeline.setOutputVolume(OutputVolume(decibels: -12))
        let unmutedState = Self.output(rig, "/usr/bin/pactl", ["get-sink-mute", rig.playbackDevices[0]])
        pipeline.stop()

        let left = SignalAnalysis.channel(0, of: pipeline.recording, channels: 2)
        let before = Self.levelDBFS(left[(beforeChange - 24_000)..<beforeChange])
        let after = Self.levelDBFS(left[(beforeChange + 2_400)..<beforeMute])
        let whileMuted = Self.levelDBFS(left[(beforeMute + 2_400)..<afterMute])
        print(String(
            format: "mixer rig: sink at start %@ dB, after -12 dB %@ dB; %@; %@ / %@; tap level before %.3f, after "
                + "%.3f, muted %.3f dBFS",
            "\(startDecibels ?? .nan)", "\(changedDecibels ?? .nan)",
            amixer.split(separator: "\n").last { $0.contains("Front Left:") }.map(String.init) ?? amixer,
            mutedState.trimmingCharacters(in: .whitespacesAndNewlines),
            unmutedState.trimmingCharacters(in: .whitespacesAndNewlines), before, after, whileMuted))

        #expect(abs((startDecibels ?? .nan) - -3) < 0.05, "the sink at --volume from the start")
        #expect(abs((changedDecibels ?? .nan) - -12) < 0.05, "pactl: \(changedDecibels ?? .nan) dB")
        // 65536 · 10^(−12/60): the cube-root scale on the control's raw range.
        #expect(amixer.contains("Playback 41350 ["), "\(amixer)")
        #expect(mutedState.contains("Mute: yes") && unmutedState.contains("Mute: no"), "\(mutedState) \(unmutedState)")
        // The samples are untouched: the tone's level before and after the change, and while muted.
        #expect(abs(before - -6.02) < 0.5, "tap before: \(before) dBFS")
        #expect(abs(after - before) < 0.1 && abs(whileMuted - before) < 0.1, "tap \(before), \(after), \(whileMuted)")
    }

    // MARK: - State file

    /// A receiver set −12 dB and stopped (its state file written); `earshot-recv --state-file` with `--volume -3`
    /// comes back at −12 dB (the tone in its `--record` at −18 dBFS). A corrupt state file is one warning naming the
    /// file and the line, and the receiver plays on at `--volume` (−9 dBFS) and exits cleanly. Both receivers run at
    /// once on the rig: each records what it handed to the device.
    @Test func earshotRecvComesBackAtTheSavedVolumeAndACorruptFileIsAWarning() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let saved = rig.directory.appendingPathComponent("saved.state").path
        let corrupt = rig.directory.appendingPathComponent("corrupt.state").path
        do {
            let first = try ReceiverPipeline(
                configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0, stateFile: saved),
                output: .caller)
            try first.setOutputVolume(OutputVolume(decibels: -12))
        }
        try "volume_db=-12\nmuted=maybe\n".write(toFile: corrupt, atomically: false, encoding: .utf8)

        let seconds = 3.0
        let runs = [(state: saved, port: Receiver.portPair()), (state: corrupt, port: Receiver.portPair())]
        let wavs = runs.indices.map { rig.directory.appendingPathComponent("recv-\($0).wav").path }
        let receivers = try runs.indices.map { index in
            try ChildProcess(
                Receiver.product("earshot-recv"),
                ["--listen", "127.0.0.1:\(runs[index].port)", "--device", rig.playbackDevices[0],
                 "--duration", "\(seconds + Receiver.deviceWarmUpSeconds)", "--buffer-periods", "6",
                 "--latency", "20", "--volume", "-3", "--state-file", runs[index].state, "--record", wavs[index]],
                environment: rig.environment)
        }
        usleep(useconds_t(Receiver.deviceWarmUpSeconds * 1_000_000))
        let senders = try runs.map { try Self.tone(port: UInt16($0.port), seconds: seconds + 1) }
        let statuses = receivers.map { $0.wait(seconds: seconds + 5) }
        for sender in senders { sender.stop() }
        let levels = try wavs.map { wav in
            Self.levelDBFS(ArraySlice(
                try Receiver.steadyPart(try WAVFile.read(path: wav).samples, skipSeconds: 0.5, trimSeconds: 0.2)))
        }
        let logs = receivers.map(\.log)
        print(String(format: "state file rig: restored run %.2f dBFS, corrupt-file run %.2f dBFS", levels[0], levels[1]))
        print("state file rig: corrupt-file run's log:\n\(logs[1])")

        #expect(statuses == [0, 0], "\(logs)")
        #expect(logs[0].contains("output volume -12.0 dB") && !logs[0].contains("warning"), "\(logs[0])")
        #expect(abs(levels[0] - -18.02) < 0.5, "restored: \(levels[0]) dBFS")
        let warnings = logs[1].split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count == 1, "\(logs[1])")
        #expect(warnings.first?.contains(
            "--state-file: state file \(corrupt) is not an earshot-recv state file (line 2: muted 'maybe' is not true "
                + "or false)") == true, "\(warnings)")
        #expect(logs[1].contains("starting at --volume -3.0 dB, unmuted") && logs[1].contains("output volume -3.0 dB"))
        #expect(abs(levels[1] - -9.02) < 0.5, "corrupt file, --volume -3: \(levels[1]) dBFS")
    }
}
