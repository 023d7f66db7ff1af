import EarshotDSP
import EarshotNet
import EarshotTestRig
import Foundation
import Testing

/// `earshot-send --device mic` on the audio rig: a known tone is played into `mic_feed` with aplay, captured by the
/// sender through ALSA (paced by the device), and decoded from the packets on a test socket.
@Suite(.serialized, .tags(.rigTiming)) struct SenderCaptureRigTests {
    @Test func capturedToneArrivesInThePackets() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let tone = rig.directory.appendingPathComponent("tone.wav").path
        let frames = 48_000 * 8
        var samples = [Float](repeating: 0, count: frames * 2)
        for frame in 0..<frames {
            let value = Float(0.5 * sin(2 * Double.pi * 997 * Double(frame) / 48_000))
            samples[2 * frame] = value
            samples[2 * frame + 1] = value
        }
        try WAVFile(sampleRate: 48_000, channels: 2, samples: samples).write(path: tone)

        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(1 << 20)
        let feed = try ChildProcess("/usr/bin/aplay", ["-q", "-D", rig.micFeedDevice, tone], environment: rig.environment)
        defer { feed.stop() }
        usleep(500_000)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--device", rig.captureDevice, "--to", "127.0.0.1:\(receiver.localAddress.port)", "--duration", "4",
             "--stats", "1"],
            environment: rig.environment)
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 3_000_000_000)
        #expect(sender.wait(seconds: 15) == 0, "\(sender.log)")
        #expect(packets.count >= 780 && packets.count <= 800, "\(packets.count) packets for 4 s of capture")
        let measured = ToneMeasurement(try ReceivedStream.decode(packets), channels: 2, skipSeconds: 1)
        print("capture from rig mic: \(packets.count) packets, \(measured)")
        #expect(abs(measured.frequency - 997) < 3)
        #expect(abs(measured.levelDBFS - -6) < 2)
        #expect(measured.snrDB > 25, "\(sender.log)")
    }
}
