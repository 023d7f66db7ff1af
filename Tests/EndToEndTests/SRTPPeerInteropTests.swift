import EarshotDSP
import EarshotTestRig
import Foundation
import Testing

/// Peers decode `earshot-send --key-file`'s SRTP: ffmpeg from the SDP alone (`RTP/SAVP` and `a=crypto`), GStreamer's
/// `srtpdec` from caps (it needs the SSRC and the key in them). And the key flags' errors.
@Suite(.serialized) struct SRTPPeerInteropTests {
    typealias Interop = SenderPeerInteropTests

    @Test func ffmpegDecodesOurSRTPFromTheSDP() throws {
        try #require(ChildProcess.isInstalled(ChildProcess.ffmpeg))
        let key = try SRTPEndToEndTests.keyFile()
        let port = try Interop.freePorts()
        let sdp = Interop.temporary("s.sdp")
        let output = Interop.temporary("out.wav")
        defer {
            try? FileManager.default.removeItem(at: sdp)
            try? FileManager.default.removeItem(at: output)
        }
        let common = ["--tone", "997", "--sdp", sdp.path, "--to", "127.0.0.1:\(port)", "--key-file", key]
        let writer = try ChildProcess(ChildProcess.earshotSend, common + ["--sdp-only"])
        try #require(writer.wait(seconds: 10) == 0, "\(writer.log)")
        let text = try String(contentsOf: sdp, encoding: .utf8)
        let mode = (try FileManager.default.attributesOfItem(atPath: sdp.path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(text.contains("RTP/SAVP") && text.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"), "\(text)")
        #expect(mode == 0o600, "an SDP that holds the key is private")
        let ffmpeg = try ChildProcess(
            ChildProcess.ffmpeg,
            ["-hide_banner", "-nostdin", "-protocol_whitelist", "file,udp,rtp,srtp", "-i", sdp.path, "-y",
             output.path])
        usleep(1_500_000)
        let sender = try ChildProcess(ChildProcess.earshotSend, common + ["--duration", "3", "--stats", "1"])
        #expect(sender.wait(seconds: 15) == 0, "\(sender.log)")
        let ffmpegStatus = ffmpeg.wait(seconds: 5)
        let wav = try WAVFile.read(path: output.path)
        let tone = ToneMeasurement(wav.samples, channels: wav.channels)
        print("ffmpeg decoded SRTP: \(tone); ffmpeg exit \(ffmpegStatus.map(String.init) ?? "stopped")")
        #expect(Double(tone.frames) > 2.5 * 48_000, "\(ffmpeg.log)")
        #expect(abs(tone.frequency - 997) < 2)
        #expect(abs(tone.levelDBFS - -6) < 1)
        #expect(tone.snrDB > 30)
    }

    @Test func gstreamerSrtpdecDecodesOurSRTP() throws {
        try #require(ChildProcess.isInstalled(ChildProcess.gstLaunch))
        let key = try SRTPEndToEndTests.keyFile()
        let base64 = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let hex = Data(base64Encoded: base64)!.map { String(format: "%02x", $0) }.joined()
        let ssrc: UInt32 = 0x1234_5678
        let port = try Interop.freePorts()
        let output = Interop.temporary("gst.wav")
        defer { try? FileManager.default.removeItem(at: output) }
        let caps = "application/x-srtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96,ssrc=(uint)\(ssrc),"
            + "srtp-key=(buffer)\(hex),srtp-cipher=aes-128-icm,srtp-auth=hmac-sha1-80,srtcp-cipher=aes-128-icm,"
            + "srtcp-auth=hmac-sha1-80,roc=(uint)0"
        let gst = try ChildProcess(
            ChildProcess.gstLaunch,
            ["-q", "-e", "udpsrc", "address=127.0.0.1", "port=\(port)", "caps=\(caps)", "!", "srtpdec", "!",
             "rtpjitterbuffer", "latency=20", "!", "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!",
             "wavenc", "!", "filesink", "location=\(output.path)"])
        usleep(1_500_000)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "3", "--key-file", key, "--ssrc", "\(ssrc)"])
        #expect(sender.wait(seconds: 15) == 0, "\(sender.log)")
        usleep(300_000)
        gst.stop()
        let wav = try WAVFile.read(path: output.path)
        let tone = ToneMeasurement(wav.samples, channels: wav.channels)
        print("GStreamer srtpdec decoded: \(tone)")
        #expect(Double(tone.frames) > 2.5 * 48_000, "\(gst.log)")
        #expect(abs(tone.frequency - 997) < 2)
        #expect(abs(tone.levelDBFS - -6) < 1)
        #expect(tone.snrDB > 30)
    }

    /// A key file others may read, a malformed key, a missing file, an unknown suite: one line naming the flag, exit 2,
    /// before anything opens a device or a socket.
    @Test func keyFlagErrorsAreOneLineNamingTheFlagWithExitTwo() throws {
        let good = try SRTPEndToEndTests.keyFile()
        let loose = try SRTPEndToEndTests.keyFile()
        chmod(loose, 0o644)
        let malformed = try SRTPEndToEndTests.keyFile(suite: "aead-aes-128-gcm")  // 28 bytes: not an AES-CM key
        let cases: [([String], String, String)] = [
            (["--key-file", loose], "--key-file", "chmod 600"),
            (["--key-file", malformed], "--key-file", "holds 28 bytes"),
            (["--key-file", good + ".missing"], "--key-file", "no such file"),
            (["--key-file", good, "--srtp-suite", "aes-256"], "--srtp-suite", "aes-cm-128-hmac-sha1-80 or"),
            (["--srtp-suite", "aead-aes-128-gcm"], "--srtp-suite", "needs a key"),
        ]
        for (arguments, flag, text) in cases {
            for program in [ChildProcess.product("earshot-recv"), ChildProcess.earshotSend] {
                let extra = program == ChildProcess.earshotSend ? ["--tone", "997", "--to", "127.0.0.1:9"]
                    : ["--device", "earshot_no_such_pcm"]
                let process = try ChildProcess(program, extra + arguments)
                let status = process.wait(seconds: 10)
                let lines = process.log.split(separator: "\n")
                #expect(status == 2, "\(arguments): \(process.log)")
                #expect(lines.count == 1 && lines[0].contains(flag) && lines[0].contains(text), "\(process.log)")
            }
        }
        let again = try ChildProcess(ChildProcess.earshotSend, ["--generate-key", good])
        #expect(again.wait(seconds: 10) == 2 && again.log.contains("--generate-key") && again.log.contains("exists"))
    }
}
