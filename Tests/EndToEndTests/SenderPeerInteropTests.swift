import EarshotTestRig
import EarshotDSP
import EarshotNet
import Foundation
import Testing

/// Real peers decode `earshot-send`'s stream: ffmpeg from our SDP, GStreamer from caps. Each receiver is started
/// first, then the sender; the decoded 997 Hz tone is checked for frequency, level and SNR on its steady part.
@Suite(.serialized) struct SenderPeerInteropTests {
    static func freePorts() throws -> UInt16 {
        // RTP on P, RTCP on P + 1: both must be free for ffmpeg. Released before the tool binds them.
        for _ in 0..<50 {
            let rtp = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), reuseAddress: false)
            let port = rtp.localAddress.port
            guard port < 65_000, port % 2 == 0,
                (try? UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:\(port + 1)"), reuseAddress: false))
                    != nil
            else { continue }
            return port
        }
        throw SocketError(operation: .bind, code: 98)
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("earshot-send-\(UUID().uuidString)-\(name)")
    }

    /// `earshot-send --tone 997 --sdp s.sdp --to 127.0.0.1:PORT --duration 3` →
    /// `ffmpeg -protocol_whitelist file,udp,rtp -i s.sdp out.wav`.
    @Test func ffmpegDecodesTheToneFromOurSDP() throws {
        try #require(ChildProcess.isInstalled(ChildProcess.ffmpeg))
        let port = try Self.freePorts()
        let sdp = Self.temporary("s.sdp")
        let output = Self.temporary("out.wav")
        defer {
            try? FileManager.default.removeItem(at: sdp)
            try? FileManager.default.removeItem(at: output)
        }
        let common = ["--tone", "997", "--sdp", sdp.path, "--to", "127.0.0.1:\(port)"]
        let writer = try ChildProcess(ChildProcess.earshotSend, common + ["--sdp-only"])
        try #require(writer.wait(seconds: 10) == 0, "\(writer.log)")
        let ffmpeg = try ChildProcess(
            ChildProcess.ffmpeg,
            ["-hide_banner", "-nostdin", "-protocol_whitelist", "file,udp,rtp", "-i", sdp.path, "-y", output.path])
        usleep(1_500_000)  // ffmpeg binds its ports before the first packet
        let sender = try ChildProcess(ChildProcess.earshotSend, common + ["--duration", "3", "--stats", "1"])
        #expect(sender.wait(seconds: 15) == 0, "\(sender.log)")
        // ffmpeg ends on our RTCP BYE; the bound stops it (SIGINT, so the WAV header is finalised) if it does not.
        let ffmpegStatus = ffmpeg.wait(seconds: 5)
        let wav = try WAVFile.read(path: output.path)
        let tone = ToneMeasurement(wav.samples, channels: wav.channels)
        print("ffmpeg decoded: \(tone); ffmpeg exit \(ffmpegStatus.map(String.init) ?? "stopped")")
        #expect(wav.sampleRate == 48_000)
        #expect(Double(tone.frames) > 2.5 * 48_000, "\(ffmpeg.log)")
        #expect(abs(tone.frequency - 997) < 2)
        #expect(abs(tone.levelDBFS - -6) < 1)
        #expect(tone.snrDB > 30)
        #expect(ffmpegStatus == 0, "ffmpeg did not end on BYE: \(ffmpeg.log)")
    }

    /// `gst-launch-1.0 udpsrc port=PORT caps=... ! rtpjitterbuffer ! rtpopusdepay ! opusdec ! audioconvert !
    /// wavenc ! filesink`.
    @Test func gstreamerDecodesTheTone() throws {
        try #require(ChildProcess.isInstalled(ChildProcess.gstLaunch))
        let port = try Self.freePorts()
        let output = Self.temporary("gst.wav")
        defer { try? FileManager.default.removeItem(at: output) }
        let gst = try ChildProcess(
            ChildProcess.gstLaunch,
            [
                "-q", "-e", "udpsrc", "address=127.0.0.1", "port=\(port)",
                "caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96", "!",
                "rtpjitterbuffer", "latency=20", "!", "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!",
                "wavenc", "!", "filesink", "location=\(output.path)",
            ])
        usleep(1_500_000)  // the pipeline reaches PLAYING before the first packet
        let sender = try ChildProcess(
            ChildProcess.earshotSend, ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "3"])
        #expect(sender.wait(seconds: 15) == 0, "\(sender.log)")
        usleep(300_000)
        gst.stop()  // SIGINT with -e: EOS, wavenc writes its header
        let wav = try WAVFile.read(path: output.path)
        let tone = ToneMeasurement(wav.samples, channels: wav.channels)
        print("GStreamer decoded: \(tone)")
        #expect(wav.sampleRate == 48_000)
        #expect(Double(tone.frames) > 2.5 * 48_000, "\(gst.log)")
        #expect(abs(tone.frequency - 997) < 2)
        #expect(abs(tone.levelDBFS - -6) < 1)
        #expect(tone.snrDB > 30)
    }
}
