import EarshotTestRig
import EarshotDSP
import EarshotNet
import Foundation
import Testing

/// The two file-like sources, paced by the sender: a WAV file, and raw PCM on stdin. Both end at the end of input.
@Suite(.serialized) struct SenderFileInputTests {
    private static func tone(seconds: Double, channels: Int) -> [Float] {
        let frames = Int(seconds * 48_000)
        var samples = [Float](repeating: 0, count: frames * channels)
        for frame in 0..<frames {
            let value = Float(0.5 * sin(2 * Double.pi * 997 * Double(frame) / 48_000))
            for channel in 0..<channels { samples[frame * channels + channel] = value }
        }
        return samples
    }

    @Test func wavFileIsSentOnceThenTheSenderExits() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: path) }
        try WAVFile(sampleRate: 48_000, channels: 1, samples: Self.tone(seconds: 2, channels: 1), encoding: .int16)
            .write(path: path.path)
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(1 << 20)
        let sender = try ChildProcess(
            ChildProcess.earshotSend, ["--input", path.path, "--to", "127.0.0.1:\(receiver.localAddress.port)"])
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 1_500_000_000)
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(packets.count == 400)
        let tone = ToneMeasurement(try ReceivedStream.decode(packets), channels: 2)
        print("WAV input: \(tone)")
        #expect(tone.snrDB > 30 && abs(tone.levelDBFS - -6) < 1)
    }

    @Test func rawStandardInputIsSent() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(UUID().uuidString).raw")
        defer { try? FileManager.default.removeItem(at: path) }
        let samples = Self.tone(seconds: 2, channels: 2)
        let bytes = samples.flatMap { sample -> [UInt8] in
            let value = Int16(max(-32_768, min(32_767, (sample * 32_768).rounded())))
            return [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
        }
        try Data(bytes).write(to: path)
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(1 << 20)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--input", "-", "--format", "s16le", "--rate", "48000", "--channels", "2",
             "--to", "127.0.0.1:\(receiver.localAddress.port)"],
            standardInput: try FileHandle(forReadingFrom: path))
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 1_500_000_000)
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(packets.count == 400)
        let tone = ToneMeasurement(try ReceivedStream.decode(packets), channels: 2)
        print("stdin s16le input: \(tone)")
        #expect(tone.snrDB > 30 && abs(tone.levelDBFS - -6) < 1)
    }
}
