import EarshotALSA
import EarshotDSP
import EarshotRealtime
import EarshotTestRig
import Foundation
import Testing

/// PlaybackThread and CaptureThread on the paced PulseAudio rig. Serialized: each test starts and stops its own rig,
/// and paced tests starve each other on a 2-core machine.
@Suite(.serialized) struct PlaybackRigTests {
    static let frequency = 997.0
    static let configuration = PCMConfiguration(sampleRate: 48_000, channels: 2, periodFrames: 240, bufferFrames: 1920)

    /// 5 s of a 997 Hz sine through ring → PlaybackThread → ALSA pulse → null sink, recorded from the monitor, with
    /// the pacing chosen for a sound server (the timer) and with device wake-ups.
    @Test(arguments: [PlaybackThread.Pacing.automatic, .deviceWakeups])
    func sinePlaysFiveSecondsWithoutDropouts(pacing: PlaybackThread.Pacing) throws {
        let rig = try AudioRig()
        defer { rig.stop() }
        let ring = RingBuffer(minimumCapacity: 48_000, channels: 2)
        defer { ring.deallocate() }
        let device = try PCMDevice(
            name: rig.playbackDevices[0], stream: .playback, configuration: Self.configuration,
            configurationFile: rig.configurationFile)
        let producer = ToneProducer(ring: ring, frequency: Self.frequency, amplitude: 0.5, targetFrames: 4_800)
        let recording = try rig.startRecording(sink: rig.playbackDevices[0])
        let playback = PlaybackThread(device: device, ring: ring, options: PlaybackThread.Options(pacing: pacing))
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
        print("playback rig: \(playback.parameters) \(counters)")

        #expect(counters.underrunEvents == 0)
        #expect(counters.underrunFrames == 0)
        #expect(counters.xruns == 0)
        #expect(counters.fatalError == 0)
        // The device must consume at the real rate (a slow loop starves the server, and the monitor of a starved
        // null sink records nothing, so the recording alone would not show it). Generous bound: VM scheduling.
        let consumed = counters.framesFromRing - before.framesFromRing
        #expect(Double(consumed) > 0.9 * 48_000 * elapsed, "consumed \(consumed) frames in \(elapsed) s")

        let left = SignalAnalysis.channel(0, of: recorded, channels: 2)
        let sine = Self.trimmedToSine(left)
        // Everything taken from the ring was heard, except the 2 × 20 ms trimmed and what `stop()` dropped from the
        // device and server buffers (≤ 2 × 1920 frames).
        let expected = counters.framesFromRing - 2 * 960 - 2 * Self.configuration.bufferFrames
        // (Trimming to the sine may cut up to a millisecond more where an edge falls near a zero crossing.)
        #expect(sine.count >= expected - 48, "recorded \(sine.count) frames of sine, expected ≥ \(expected)")
        let dropouts = SignalAnalysis.dropouts(sine, threshold: 1e-3, minimumFrames: 24)
        #expect(dropouts.isEmpty, "dropouts at \(dropouts.prefix(5))")
        let fit = SignalAnalysis.sineFit(sine, frequency: Self.frequency, sampleRate: 48_000)
        let glitches = SignalAnalysis.glitchWindows(
            sine, frequency: Self.frequency, sampleRate: 48_000, windowFrames: 960, minimumSNRdB: 60)
        print("playback rig: SNR \(fit.snrDB) dB, amplitude \(fit.amplitude), glitch windows \(glitches.count)")
        #expect(abs(fit.amplitude - 0.5) < 0.01)
        #expect(fit.snrDB > 120)  // measured 153.7 dB: the float path is bit-exact; any glitch costs far more
        #expect(glitches.isEmpty)
    }

    /// Sine played into `mic_feed` comes back through CaptureThread from `mic` without overruns or gaps.
    @Test func captureThreadReceivesWhatIsPlayedIntoTheMic() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
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
        print("capture rig: \(capture.parameters) \(counters)")
        #expect(counters.overrunFrames == 0)
        #expect(counters.xruns == 0)
        #expect(counters.fatalError == 0)
        let sine = Self.trimmedToSine(SignalAnalysis.channel(1, of: captured, channels: 2))
        #expect(sine.count > 48_000 * 2)
        let fit = SignalAnalysis.sineFit(sine, frequency: Self.frequency, sampleRate: 48_000)
        print("capture rig: SNR \(fit.snrDB) dB over \(sine.count) frames")
        #expect(SignalAnalysis.dropouts(sine, threshold: 1e-3, minimumFrames: 24).isEmpty)
        #expect(fit.snrDB > 120)  // measured 153.7 dB: the float path is bit-exact; any glitch costs far more
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
