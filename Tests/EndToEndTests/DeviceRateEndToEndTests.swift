import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// A device that runs at 44.1 kHz (`--device-rate 44100` on the paced rig): the producer converts the 48 kHz stream to
/// it, the fixed ratio times the drift loop's. What the receiver handed the device (its `--record`, at the device's
/// rate) must carry the 997 Hz tone at 997 Hz, not at 1085 Hz (48/44.1 too fast, as without a conversion), clean in
/// every 10 ms window; what the sound server played (its monitor, at 48 kHz) the same tone at the sender's level.
@Suite(.serialized, .tags(.rigTiming)) struct DeviceRateEndToEndTests {
    typealias Receiver = ReceiverEndToEndTests

    @Test func a44100HzDevicePlaysTheStreamAtItsPitch() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let port = Receiver.portPair()
        let wav = rig.directory.appendingPathComponent("recv.wav").path
        let seconds = 8.0
        let receiver = try LoopbackEndToEndTests.receiver(
            rig: rig, port: port, device: "spk", seconds: seconds, extra: ["--device-rate", "44100", "--record", wav])
        let recording = try rig.startRecording(sink: "spk")
        // The sender outlasts the receiver, so the end of the stream is not concealed as loss.
        let sender = try SpeakerBoxDeviceTests.sender(port: port, seconds: seconds + 1)
        #expect(receiver.wait(seconds: seconds + 5) == 0, "\(receiver.log)")
        _ = sender.wait(seconds: 5)
        let played = try recording.stop()
        let log = receiver.log
        #expect(log.contains("device spk at 44100 Hz"), "\(log.prefix(2000))")
        let stats = try Receiver.finalStats(log)

        let record = try WAVFile.read(path: wav)
        #expect(record.sampleRate == 44_100)
        let left = SignalAnalysis.channel(0, of: record.samples, channels: 2)
        // From 3 s in (the start-up target's decay and the drift loop's first estimate) to 0.5 s before the end.
        let steady = Array(left[min(left.count, 3 * 44_100)..<max(3 * 44_100, left.count - 22_050)])
        try #require(steady.count >= 3 * 44_100, "only \(steady.count) frames recorded")
        var crossings = 0
        for index in 1..<steady.count where (steady[index - 1] < 0) != (steady[index] < 0) { crossings += 1 }
        let frequency = Double(crossings) / 2 / (Double(steady.count) / 44_100)
        let snrs = SignalAnalysis.windowSNRs(steady, frequency: 997, sampleRate: 44_100, windowFrames: 441)
        let glitches = snrs.enumerated().filter { $0.element < 30 }.map(\.offset)
        let median = snrs.sorted()[snrs.count / 2]
        print(String(
            format: "device rate 44100: record %.2f Hz, 10 ms windows median SNR %.1f dB, worst %.1f dB, below 30 dB %d",
            frequency, median, snrs.min() ?? .nan, glitches.count))
        print("device rate 44100: \(Receiver.jsonLine(log))")
        #expect(abs(frequency - 997) < 0.5, "the record's tone is at \(frequency) Hz")
        #expect(glitches.isEmpty, "windows below 30 dB at \(glitches)")
        #expect(Receiver.int(stats, "concealmentEvents") == 0)
        #expect(Receiver.int(stats, "deviceUnderruns") == 0)
        // What the sound server played, converted back to its 48 kHz.
        try SpeakerBoxDeviceTests.expectTone(played, "device rate 44100: the sink's monitor")
    }
}
