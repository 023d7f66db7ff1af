import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// The speaker box's device faults and idle handling, on the paced rig with the release `earshot-recv` fed by
/// `earshot-send --tone 997`: the sound server killed and restarted mid-stream, SIGHUP, SIGTERM, `--standby close`
/// with `--on-active`/`--on-idle`.
@Suite(.serialized, .tags(.rigTiming)) struct SpeakerBoxDeviceTests {
    typealias Receiver = ReceiverEndToEndTests

    /// The supervisor's longest wait between two attempts to open a lost device (`PlaybackDeviceSupervisor`).
    static let longestRetrySeconds = 2.0
    /// What one attempt and the log's way to the test may add: the receiver polls a failed device every 100 ms, and
    /// an attempt that meets a server still starting waits for its connection.
    static let attemptAllowanceSeconds = 0.5

    static func sender(port: Int, seconds: Double) throws -> ChildProcess {
        try ChildProcess(
            Receiver.product("earshot-send"),
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "\(seconds)"])
    }

    static func occurrences(of text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    /// Seconds from now until `text` shows in `child`'s log (polled every 20 ms), or nil after `timeout`.
    static func secondsUntil(_ text: String, in child: ChildProcess, timeout: Double) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if child.log.contains(text) { return Date().timeIntervalSince(start) }
            usleep(20_000)
        }
        return nil
    }

    /// The tone's median SNR over 0.1 s segments of the recording's steady part (from its first loud sample to its
    /// last, less 0.2 s at each end: a new PulseAudio stream, the recorder's or the receiver's, starts after a stall
    /// of up to ~1.9 s, and the recorder's last block may be cut). Records an issue unless the tone lasts a second
    /// and is within 1 dB of `levelDBFS` (the sender's −6 dBFS, less the receiver's volume).
    static func expectTone(
        _ interleaved: [Float], _ what: String, levelDBFS: Double = -6,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let steady = try Receiver.steadyPart(interleaved, skipSeconds: 0.2, trimSeconds: 0.2)
        let fits = LoopbackEndToEndTests.segmentFits(steady, seconds: 0.1)
        print("\(what): \(String(format: "%.1f", Double(steady.count) / 48_000)) s of tone, median amplitude \(String(format: "%.3f", fits.medianAmplitude)), median SNR \(String(format: "%.1f", fits.medianSNR)) dB")
        #expect(abs(20 * log10(fits.medianAmplitude) - levelDBFS) <= 1, sourceLocation: sourceLocation)
        #expect(fits.medianSNR >= 20, sourceLocation: sourceLocation)
    }

    /// With `--mixer`: the sound server comes back with its sink at its default level (0 dB), and the receiver sets
    /// its control to the volume again.
    @Test func deviceLossAndReturnMidStreamPlaysAgainAfterTheRetry() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 12, extra: ["--mixer", "Master", "--mixer-device", "spk", "--volume", "-12"])
        let mixerBefore = OutputVolumeRigTests.sinkDecibels(rig)
        let sender = try Self.sender(port: port, seconds: 11.5)
        usleep(2_000_000)
        let down = Date()
        try rig.stopServer()
        usleep(2_000_000)
        try rig.restartServer()
        let up = Date()
        let recording = try rig.startRecording(sink: "spk")
        let back = try #require(
            Self.secondsUntil("device back:", in: receiver, timeout: Self.longestRetrySeconds + 3),
            "no `device back:` line: \(receiver.log.suffix(2000))")
        usleep(useconds_t((5 - back) * 1_000_000))
        let played = try recording.stop()
        let mixerAfter = OutputVolumeRigTests.sinkDecibels(rig)
        _ = sender.wait(seconds: 5)
        let status = receiver.wait(seconds: 8)
        let log = receiver.log
        print("device loss: sink volume \(mixerBefore ?? .nan) dB before, \(mixerAfter ?? .nan) dB after the return")
        #expect(abs((mixerBefore ?? .nan) - -12) < 0.05)
        #expect(abs((mixerAfter ?? .nan) - -12) < 0.05, "the mixer control was not set again")
        print("device loss: down for \(String(format: "%.2f", up.timeIntervalSince(down))) s, back \(String(format: "%.2f", back)) s after the server")

        // The process never exited: it ran to its --duration and printed its figures.
        #expect(status == 0)
        // One line each way.
        #expect(Self.occurrences(of: "device lost:", in: log) == 1)
        #expect(Self.occurrences(of: "device back:", in: log) == 1)
        // Playing again within the retry interval (plus one attempt) of the device's return.
        #expect(back <= Self.longestRetrySeconds + Self.attemptAllowanceSeconds)
        let stats = try Receiver.finalStats(log)
        #expect(Receiver.int(stats, "deviceLosses") == 1)
        #expect(Receiver.int(stats, "deviceReturns") == 1)
        #expect(Receiver.int(stats, "deviceFailedOpens") >= 1)
        // The gap is counted: frames taken at the device's rate from the loss until the return.
        let gapSeconds = Double(Receiver.int(stats, "framesWithoutDevice")) / 48_000
        let outageSeconds = up.timeIntervalSince(down) + back
        print("device loss: \(String(format: "%.2f", gapSeconds)) s of frames counted without a device, outage \(String(format: "%.2f", outageSeconds)) s")
        #expect(abs(gapSeconds - outageSeconds) <= Self.attemptAllowanceSeconds)
        // And the tone is heard again, at the volume set on the mixer.
        try Self.expectTone(played, "device loss: after the return", levelDBFS: -18)
    }

    /// A sound server (or DAC) that comes up after the receiver: without `--wait-for-device` that is an error at
    /// start, naming the device; with it the stream is received and counted until the device opens, then plays, at
    /// the volume set on its mixer control (which was not there at start either).
    @Test func waitForDeviceWaitsForASoundServerThatStartsLater() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        try rig.stopServer()
        let port = Receiver.portPair()
        let refused = try ChildProcess(
            Receiver.product("earshot-recv"), ["--listen", "127.0.0.1:\(port)", "--device", "spk", "--duration", "5"],
            environment: rig.environment)
        #expect(refused.wait(seconds: 5) == 1)
        #expect(refused.log.contains("spk"), "\(refused.log)")
        let receiver = try ChildProcess(
            Receiver.product("earshot-recv"),
            ["--listen", "127.0.0.1:\(port)", "--device", "spk", "--duration", "10", "--stats", "0.5",
             "--buffer-periods", "6", "--wait-for-device", "--mixer", "Master", "--mixer-device", "spk",
             "--volume", "-12"],
            environment: rig.environment)
        let sender = try Self.sender(port: port, seconds: 9.5)
        usleep(2_000_000)
        try rig.restartServer()
        let recording = try rig.startRecording(sink: "spk")
        let ready = Self.secondsUntil("device ready:", in: receiver, timeout: Self.longestRetrySeconds + 3)
        usleep(5_000_000)
        let played = try recording.stop()
        _ = sender.wait(seconds: 5)
        let status = receiver.wait(seconds: 6)
        let log = receiver.log
        #expect(status == 0, "\(log.suffix(2000))")
        let readySeconds = try #require(ready, "no `device ready:` line: \(log.suffix(2000))")
        print("wait for device: ready \(String(format: "%.2f", readySeconds)) s after the server came up")
        #expect(readySeconds <= Self.longestRetrySeconds + Self.attemptAllowanceSeconds)
        #expect(Self.occurrences(of: "not available at start", in: log) == 1)
        let stats = try Receiver.finalStats(log)
        #expect(Receiver.int(stats, "deviceLosses") == 0)
        #expect(Receiver.int(stats, "deviceReturns") == 0)
        #expect(Receiver.int(stats, "deviceFailedOpens") >= 1)
        #expect(Receiver.int(stats, "framesWithoutDevice") >= 48_000, "the stream was taken while waiting")
        #expect(abs((OutputVolumeRigTests.sinkDecibels(rig) ?? .nan) - -12) < 0.05)
        try Self.expectTone(played, "wait for device: once it came", levelDBFS: -18)
    }

    @Test func sighupReopensTheDeviceAndTheStreamGoesOn() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let receiver = try Receiver.receiver(rig: rig, port: port, seconds: 7)
        let sender = try Self.sender(port: port, seconds: 6.5)
        usleep(2_000_000)
        receiver.signal(SIGHUP)
        let reopened = Self.secondsUntil("device spk reopened", in: receiver, timeout: 2)
        let recording = try rig.startRecording(sink: "spk")
        usleep(3_500_000)
        let played = try recording.stop()
        _ = sender.wait(seconds: 5)
        let status = receiver.wait(seconds: 6)
        let log = receiver.log
        #expect(status == 0, "SIGHUP must not end the process")
        #expect(reopened != nil, "\(log.suffix(1500))")
        #expect(Self.occurrences(of: "reopening (SIGHUP)", in: log) == 1)
        let stats = try Receiver.finalStats(log)
        #expect(Receiver.int(stats, "deviceLosses") == 0)
        try Self.expectTone(played, "SIGHUP: after the reopen")
    }

    /// SIGTERM while a stream plays and while the device is in standby (the producer then waits up to 500 ms for a
    /// datagram): the process exits cleanly, with its final figures, within a second.
    @Test(arguments: [false, true]) func sigtermExitsCleanlyWithinASecond(idle: Bool) throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 20, extra: ["--standby-after", "0.5"])
        let sender = idle ? nil : try Self.sender(port: port, seconds: 10)
        usleep(1_500_000)
        let lastStats = receiver.log.split(separator: "\n").last { $0.hasPrefix("stats rx") } ?? ""
        #expect(lastStats.contains("(now)") == idle, "\(lastStats)")
        let start = Date()
        receiver.signal(SIGTERM)
        let status = receiver.wait(seconds: 3)
        let seconds = Date().timeIntervalSince(start)
        sender?.stop()
        print("SIGTERM (\(idle ? "idle" : "streaming")): exited after \(String(format: "%.3f", seconds)) s")
        #expect(status == 0)
        #expect(seconds < 1)
        #expect(receiver.log.contains("stats-json {"))
    }

    /// `--standby close` releases the device while idle (the server then has no stream of ours) and opens it again for
    /// the next stream; `--on-active` and `--on-idle` run at each change, without blocking.
    @Test func standbyCloseReleasesTheDeviceAndTheNextStreamReopensIt() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let events = rig.directory.appendingPathComponent("activity.log").path
        // The idle command sleeps: the receiver must not wait for it.
        let receiver = try Receiver.receiver(
            rig: rig, port: port, seconds: 9,
            extra: [
                "--standby", "close", "--standby-after", "0.5",
                "--on-active", "echo \"$EARSHOT_ACTIVITY\" >> \(events)",
                "--on-idle", "echo \"$EARSHOT_ACTIVITY\" >> \(events); sleep 30",
            ])
        var first = try Self.sender(port: port, seconds: 1.5)
        _ = first.wait(seconds: 4)
        usleep(1_500_000)
        let streamsWhileReleased = try rig.playbackStreamCount()
        let recording = try rig.startRecording(sink: "spk")
        first = try Self.sender(port: port, seconds: 4)
        usleep(1_000_000)
        let streamsWhilePlaying = try rig.playbackStreamCount()
        usleep(2_500_000)
        let played = try recording.stop()
        _ = first.wait(seconds: 4)
        let status = receiver.wait(seconds: 8)
        let log = receiver.log
        let activity = (try? String(contentsOfFile: events, encoding: .utf8)) ?? ""

        #expect(status == 0, "\(log.suffix(3000))")
        #expect(streamsWhileReleased == 0, "the idle receiver still holds a stream on the server")
        #expect(streamsWhilePlaying == 1)
        #expect(Self.occurrences(of: "released while idle", in: log) >= 2, "\(log.suffix(2000))")
        #expect(Self.occurrences(of: "opened again for a stream", in: log) == 2)
        let stats = try Receiver.finalStats(log)
        #expect(Receiver.int(stats, "deviceReleases") >= 2)
        #expect(Receiver.int(stats, "deviceLosses") == 0)
        // Idle at start (no stream for 0.5 s), active, idle, active, and idle after the last stream.
        #expect(activity.split(separator: "\n") == ["idle", "active", "idle", "active", "idle"], "\(activity)")
        try Self.expectTone(played, "standby close: after the reopen")
    }
}
