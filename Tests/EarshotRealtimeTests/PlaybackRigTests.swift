import EarshotALSA
import EarshotDSP
import EarshotRealtime
import EarshotTestRig
import Foundation
import Testing

/// PlaybackThread and CaptureThread on the paced PulseAudio rig. Serialized: each test starts and stops its own rig,
/// and paced tests starve each other on a 2-core machine.
@Suite(.serialized, .tags(.rigTiming)) struct PlaybackRigTests {
    static let frequency = 997.0
    static let configuration = PCMConfiguration(sampleRate: 48_000, channels: 2, periodFrames: 240, bufferFrames: 1920)

    /// 5 s of a 997 Hz sine through ring → PlaybackThread → ALSA pulse → null sink, recorded from the monitor, with
    /// the pacing chosen for a sound server (the timer) and with device wake-ups.
    ///
    /// What the thread handed to the device (its tap) must be bit-exact and gapless. The rig's recording may show
    /// the rig's own underflows: its PulseAudio is not real-time on a VM whose host steals CPU, and its stream then
    /// underflows (an xrun here, a 10–30 ms gap in the recording) whatever plays into it. Two CI runs of 7c27ce4 failed
    /// this test on 2 and 1 such xruns while nothing in the playback path had changed since a green run.
    @Test(arguments: [PlaybackThread.Pacing.automatic, .deviceWakeups])
    func sinePlaysFiveSecondsWithoutDropouts(pacing: PlaybackThread.Pacing) throws {
        let rig = try AudioRig()
        defer { rig.stop() }
        let steal = HostStealMeter()
        let ring = RingBuffer(minimumCapacity: 48_000, channels: 2)
        defer { ring.deallocate() }
        // Holds the whole run (≤ 10 s start-up stall + 5 s), so nothing needs draining while the thread plays.
        let tap = RingBuffer(minimumCapacity: 48_000 * 20, channels: 2)
        defer { tap.deallocate() }
        let device = try PCMDevice(
            name: rig.playbackDevices[0], stream: .playback, configuration: Self.configuration,
            configurationFile: rig.configurationFile)
        let producer = ToneProducer(ring: ring, frequency: Self.frequency, amplitude: 0.5, targetFrames: 4_800)
        let recording = try rig.startRecording(sink: rig.playbackDevices[0])
        let playback = PlaybackThread(
            device: device, ring: ring, options: PlaybackThread.Options(pacing: pacing, tap: tap))
        #expect(playback.isPacedByTimer == (pacing == .automatic), "the pulse PCM is a sound server's plugin")
        producer.start()
        if let warning = try playback.start() { print("scheduling: \(warning)") }
        // A new PulseAudio stream here stalls ≈ 1.9 s before the server starts consuming (aplay and pacat show the
        // same): measure the rate only once frames flow beyond the first device buffer.
        let flowing = Self.waitUntil(timeout: 10) {
            playback.counters.framesFromRing > 2 * Self.configuration.bufferFrames
        }
        #expect(flowing, "playback never started consuming")
        let before = playback.counters
        let started = Date()
        Thread.sleep(forTimeInterval: 5.0)
        let counters = playback.counters  // before the producer stops: its end is not an underrun of the loop
        let elapsed = Date().timeIntervalSince(started)
        playback.stop()
        producer.stop()
        Thread.sleep(forTimeInterval: 0.1)
        let wavPath = rig.directory.appendingPathComponent("monitor.wav").path
        let recorded = try recording.stop(writingWAVTo: wavPath)
        #expect(try WAVFile.read(path: wavPath).samples == recorded)
        let stealPercent = steal.percent()
        print("playback rig: \(playback.parameters) \(counters), host steal \(stealPercent) %")

        #expect(counters.underrunEvents == 0)
        #expect(counters.underrunFrames == 0)
        #expect(counters.fatalError == 0)
        // The device must consume at the real rate (a slow loop starves the server, and the monitor of a starved
        // null sink records nothing, so the recording alone would not show it). Generous bound: VM scheduling.
        let consumed = counters.framesFromRing - before.framesFromRing
        #expect(Double(consumed) > 0.9 * 48_000 * elapsed, "consumed \(consumed) frames in \(elapsed) s")

        // What the thread wrote: every frame it took from the ring, in order, nothing else after the lead-in silence.
        var written = [Float](repeating: 0, count: tap.availableToRead() * 2)
        let tapped = written.withUnsafeMutableBufferPointer { tap.read(into: $0.baseAddress!, frames: $0.count / 2) }
        let handed = Self.trimmedToSine(SignalAnalysis.channel(0, of: Array(written[0..<tapped * 2]), channels: 2))
        #expect(handed.count >= counters.framesFromRing - 2 * 960 - 48, "tap holds \(handed.count) frames of sine")
        #expect(SignalAnalysis.dropouts(handed, threshold: 1e-3, minimumFrames: 24).isEmpty)
        let handedFit = SignalAnalysis.sineFit(handed, frequency: Self.frequency, sampleRate: 48_000)
        #expect(handedFit.snrDB > 120, "handed to the device: SNR \(handedFit.snrDB) dB")

        // What the rig played: the same, but for the rig's own underflows while the host steals CPU.
        let xruns = counters.xruns
        let rigUnderflows = HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent)
        #expect(xruns <= rigUnderflows, "xruns \(xruns) at \(stealPercent) % host steal")
        let sine = Self.trimmedToSine(SignalAnalysis.channel(0, of: recorded, channels: 2))
        // Everything taken from the ring was heard, except the 2 × 20 ms trimmed, what `stop()` dropped from the
        // device and server buffers (≤ 2 × 1920 frames), and what each underflow lost (at most a device buffer).
        let expected = counters.framesFromRing - 2 * 960 - (2 + rigUnderflows) * Self.configuration.bufferFrames
        // (Trimming to the sine may cut up to a millisecond more where an edge falls near a zero crossing.)
        #expect(sine.count >= expected - 48, "recorded \(sine.count) frames of sine, expected ≥ \(expected)")
        // The rig's own gaps: its stream's xruns, and stalls of the server or its monitor that no xrun reports (a CI
        // run of f17b3c6 at 17.7 % steal recorded one gap with 0 xruns and a bit-exact tap).
        let dropouts = SignalAnalysis.dropouts(sine, threshold: 1e-3, minimumFrames: 24)
        #expect(dropouts.count <= rigUnderflows, "dropouts at \(dropouts.prefix(5)), xruns \(xruns)")
        let glitches = SignalAnalysis.glitchWindows(
            sine, frequency: Self.frequency, sampleRate: 48_000, windowFrames: 960, minimumSNRdB: 60)
        let fit = SignalAnalysis.sineFit(sine, frequency: Self.frequency, sampleRate: 48_000)
        print("playback rig: SNR \(fit.snrDB) dB, amplitude \(fit.amplitude), glitch windows \(glitches.count)")
        // A gap of up to 30 ms touches at most three 20 ms windows (and shifts the phase, so the whole-run fit is
        // judged only without one).
        #expect(glitches.count <= 3 * rigUnderflows, "glitch windows \(glitches.prefix(5)), xruns \(xruns)")
        if glitches.isEmpty {
            #expect(abs(fit.amplitude - 0.5) < 0.01)
            #expect(fit.snrDB > 120)  // measured 153.7 dB: the float path is bit-exact; any glitch costs far more
        }
    }

    /// Sine played into `mic_feed` comes back through CaptureThread from `mic` without overruns or gaps, but for the
    /// rig's own underflows while the host steals CPU (two CI first passes failed on one such gap: 25 dB).
    @Test func captureThreadReceivesWhatIsPlayedIntoTheMic() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let steal = HostStealMeter()
        let playRing = RingBuffer(minimumCapacity: 48_000, channels: 2)
        defer { playRing.deallocate() }
        let captureRing = RingBuffer(minimumCapacity: 48_000, channels: 2)
        defer { captureRing.deallocate() }
        let capture = CaptureThread(
            device: try PCMDevice(
                name: rig.captureDevice, stream: .capture, configuration: Self.configuration,
                configurationFile: rig.configurationFile),
            ring: captureRing)
        let playback = PlaybackThread(
            device: try PCMDevice(
                name: rig.micFeedDevice, stream: .playback, configuration: Self.configuration,
                configurationFile: rig.configurationFile),
            ring: playRing)
        let producer = ToneProducer(ring: playRing, frequency: Self.frequency, amplitude: 0.5, targetFrames: 4_800)
        producer.start()
        try capture.start()
        try playback.start()
        let flowing = Self.waitUntil(timeout: 10) {
            capture.counters.framesToRing > 2 * Self.configuration.bufferFrames
        }
        #expect(flowing, "capture never received frames")
        var captured: [Float] = []
        var chunk = [Float](repeating: 0, count: 960 * 2)
        let deadline = Date().addingTimeInterval(3.0)
        while Date() < deadline {
            let got = chunk.withUnsafeMutableBufferPointer { captureRing.read(into: $0.baseAddress!, frames: 960) }
            captured += chunk[0..<got * 2]
            if got == 0 { usleep(5_000) }
        }
        let counters = capture.counters
        playback.stop()
        capture.stop()
        producer.stop()
        let playbackCounters = playback.counters
        let stealPercent = steal.percent()
        print("capture rig: \(capture.parameters) \(counters), feed \(playbackCounters), host steal \(stealPercent) %")
        #expect(counters.overrunFrames == 0)
        #expect(counters.xruns == 0)
        #expect(counters.fatalError == 0)
        #expect(playbackCounters.underrunEvents == 0, "the feed ran short: not the rig's fault")
        let sine = Self.trimmedToSine(SignalAnalysis.channel(1, of: captured, channels: 2))
        #expect(sine.count > 48_000 * 2)
        let fit = SignalAnalysis.sineFit(sine, frequency: Self.frequency, sampleRate: 48_000)
        let glitches = SignalAnalysis.glitchWindows(
            sine, frequency: Self.frequency, sampleRate: 48_000, windowFrames: 960, minimumSNRdB: 60)
        print("capture rig: SNR \(fit.snrDB) dB over \(sine.count) frames, glitch windows \(glitches.prefix(9))")
        // The rig's two streams (feed and capture) may each underflow while the host steals CPU; every gap shows as up
        // to three 20 ms windows (the feed's xruns are counted, the capture side's are not visible to us).
        let rigUnderflows = HostStealMeter.rigUnderflowsAllowed(stealPercent: stealPercent)
        let dropouts = SignalAnalysis.dropouts(sine, threshold: 1e-3, minimumFrames: 24)
        #expect(dropouts.count <= rigUnderflows, "dropouts \(dropouts.prefix(5)) at \(stealPercent) % steal")
        #expect(glitches.count <= 3 * rigUnderflows, "glitch windows \(glitches.prefix(9))")
        if glitches.isEmpty {
            #expect(fit.snrDB > 120)  // measured 153.7 dB: the float path is bit-exact; any glitch costs far more
        }
    }

    /// Polls `condition` every 10 ms; false if it did not become true within `timeout` seconds.
    static func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// The recorded sine without the lead-in/tail silence and 20 ms at each edge (fade-in of the sink, stop fade).
    static func trimmedToSine(_ signal: [Float]) -> [Float] {
        guard let first = signal.firstIndex(where: { abs($0) > 0.01 }),
            let last = signal.lastIndex(where: { abs($0) > 0.01 }), last - first > 2_000
        else { return [] }
        return Array(signal[(first + 960)..<(last - 960)])
    }
}
