import EarshotTestRig
import Foundation
import Testing

@testable import EarshotProtocol

/// Real peers on loopback: ffmpeg 5.1 and GStreamer 1.22 send to us, and decode what we send.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct InteropTests {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let gstLaunch = "/usr/bin/gst-launch-1.0"

    struct Capture {
        var rtp: [[UInt8]] = []
        var rtcp: [[UInt8]] = []
    }

    /// Receives until `tool` has exited and the socket has been quiet for 500 ms (or 20 s passed).
    func capture(rtp: LoopbackUDPSocket, rtcp: LoopbackUDPSocket?, while tool: ChildProcess) -> Capture {
        var result = Capture()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let datagram = rtp.receive(timeoutMilliseconds: 500) {
                result.rtp.append(datagram)
            } else if !tool.process.isRunning {
                break
            }
            while let datagram = rtcp?.receive(timeoutMilliseconds: 0) { result.rtcp.append(datagram) }
        }
        tool.wait(seconds: 5)
        while let datagram = rtcp?.receive(timeoutMilliseconds: 100) { result.rtcp.append(datagram) }
        return result
    }

    /// Checks a peer's stream: PT 96, one SSRC, sequence +1 and timestamp +`increment` per packet, sane Opus.
    /// `firstTimestampStep` is the step between packets 0 and 1 when the encoder shifts its first packet (opusenc
    /// timestamps its first buffer after its lookahead: 960 − 312 = 648).
    func expectWellFormedStream(
        _ datagrams: [[UInt8]], timestampIncrement: UInt32, firstTimestampStep: UInt32? = nil, minimumCount: Int
    ) {
        #expect(datagrams.count >= minimumCount, "received \(datagrams.count) packets")
        var previous: (sequence: UInt16, timestamp: UInt32, ssrc: UInt32)?
        var statistics: RTPReceptionStatistics?
        for (index, datagram) in datagrams.enumerated() {
            datagram.withUnsafeBytes { raw in
                do throws(RTPRejection) {
                    let packet = try RTPPacket(validating: raw, payloadType: 96)
                    try OpusRTPProfile.validatePayload(packet.payload)
                    #expect(OpusPacketFraming.samplesPerChannel(packet.payload) == Int(timestampIncrement))
                    if let previous {
                        #expect(packet.ssrc == previous.ssrc)
                        #expect(packet.sequenceNumber == previous.sequence &+ 1)
                        let step = index == 1 ? firstTimestampStep ?? timestampIncrement : timestampIncrement
                        #expect(packet.timestamp &- previous.timestamp == step)
                    }
                    if statistics == nil {
                        statistics = RTPReceptionStatistics(ssrc: packet.ssrc, firstSequence: packet.sequenceNumber)
                    }
                    let update = statistics!.record(
                        sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                        arrival: UInt32(index) * timestampIncrement)
                    let expected: RTPSequenceClassification = index == 0 ? .probation : .inOrder(gap: 0)
                    #expect(update.classification == expected)
                    previous = (packet.sequenceNumber, packet.timestamp, packet.ssrc)
                } catch {
                    Issue.record("packet \(index) rejected: \(error.statName)")
                }
            }
        }
        if var statistics {
            let block = statistics.makeReportBlock()
            #expect(block.cumulativeLost == 0 && block.fractionLost == 0)
        }
    }

    @Test func parsesFFmpegRTPAndRTCP() throws {
        try #require(ChildProcess.isInstalled(Self.ffmpeg))
        // RTCP goes to port + 1; take a pair where both are free.
        var pair: (LoopbackUDPSocket, LoopbackUDPSocket)?
        for _ in 0..<20 where pair == nil {
            let rtp = try LoopbackUDPSocket()
            if rtp.port < 65535, let rtcp = try? LoopbackUDPSocket(port: rtp.port + 1) { pair = (rtp, rtcp) }
        }
        let (rtp, rtcp) = try #require(pair)
        let tool = try ChildProcess(
            Self.ffmpeg,
            [
                "-hide_banner", "-nostdin", "-re", "-f", "lavfi", "-i", "sine=frequency=997:sample_rate=48000",
                "-t", "0.5", "-ac", "2", "-c:a", "libopus", "-application", "lowdelay", "-frame_duration", "5",
                "-b:a", "128k", "-f", "rtp", "-payload_type", "96", "rtp://127.0.0.1:\(rtp.port)",
            ])
        let captured = capture(rtp: rtp, rtcp: rtcp, while: tool)
        expectWellFormedStream(captured.rtp, timestampIncrement: 240, minimumCount: 95)

        #expect(!captured.rtcp.isEmpty, "ffmpeg sent no RTCP")
        let ssrc = captured.rtp.first.map { $0.withUnsafeBytes { $0.loadBigEndianUInt32(at: 8) } }
        for datagram in captured.rtcp {
            try datagram.withUnsafeBytes { raw throws in
                #expect(RTPRTCPDemultiplexer.classify(raw) == .rtcp)
                let compound = try RTCPCompoundPacket(validating: raw)
                var packets = compound.makeIterator()
                guard case .senderReport(let report)? = packets.next() else {
                    Issue.record("first RTCP packet is not an SR")
                    return
                }
                #expect(report.ssrc == ssrc)
            }
        }
    }

    @Test func parsesGStreamerRTP() throws {
        try #require(ChildProcess.isInstalled(Self.gstLaunch))
        let rtp = try LoopbackUDPSocket()
        let tool = try ChildProcess(
            Self.gstLaunch,
            [
                "-q", "audiotestsrc", "num-buffers=25", "samplesperbuffer=960", "freq=997", "!",
                "audio/x-raw,rate=48000,channels=2", "!", "opusenc", "frame-size=20", "bitrate=128000", "!",
                "rtpopuspay", "pt=96", "!", "udpsink", "host=127.0.0.1", "port=\(rtp.port)",
            ])
        let captured = capture(rtp: rtp, rtcp: nil, while: tool)
        // 25 buffers of 20 ms; the encoder may hold back its last frame.
        expectWellFormedStream(captured.rtp, timestampIncrement: 960, firstTimestampStep: 648, minimumCount: 24)
    }

    /// Our packets: the ffmpeg-encoded 997 Hz payloads vector, re-packetized by `RTPPacketWriter` with a sequence
    /// number and timestamp that both wrap during the stream.
    func ourPackets(repeats: Int) throws -> [[UInt8]] {
        let payloads = TestVector.payloadLines("ffmpeg-997hz-stereo-5ms.hex")
        try #require(payloads.count >= 100)
        var packets: [[UInt8]] = []
        var header = RTPHeader(
            marker: true, payloadType: 96, sequenceNumber: 65_500, timestamp: 0xFFFF_F000, ssrc: 0x5EED_1234)
        for payload in Array(repeating: payloads, count: repeats).joined() {
            var buffer = [UInt8](repeating: 0, count: 1500)
            let count = try buffer.withUnsafeMutableBytes { out in
                try payload.withUnsafeBytes { try RTPPacketWriter.write(header, payload: $0, into: out) }
            }
            packets.append(Array(buffer[0..<count]))
            header.marker = false
            header.sequenceNumber &+= 1
            header.timestamp &+= 240
        }
        return packets
    }

    func send(_ packets: [[UInt8]], toPort port: UInt16) throws {
        let socket = try LoopbackUDPSocket()
        for packet in packets {
            packet.withUnsafeBytes { socket.send($0, toPort: port) }
            usleep(5_000)  // real-time pacing, 5 ms per packet
        }
    }

    /// Dominant frequency of the left channel of interleaved 16-bit stereo, from zero crossings.
    func leftChannelFrequency(_ url: URL) throws -> (frequency: Double, rms: Double, frames: Int) {
        let data = try Data(contentsOf: url)
        let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let left = stride(from: 0, to: samples.count - 1, by: 2).map { Double(samples[$0]) }
        // Skip the decoder's start-up; use the steady part.
        let steady = Array(left.dropFirst(min(left.count, 4800)))
        guard steady.count > 4800 else { return (0, 0, left.count) }
        var crossings = 0
        for index in 1..<steady.count where (steady[index - 1] < 0) != (steady[index] < 0) { crossings += 1 }
        let rms = (steady.reduce(0) { $0 + $1 * $1 } / Double(steady.count)).squareRoot()
        return (Double(crossings) / 2 / (Double(steady.count) / 48_000), rms, left.count)
    }

    @Test func gstreamerDecodesOurPackets() throws {
        try #require(ChildProcess.isInstalled(Self.gstLaunch))
        let port = try LoopbackUDPSocket.freePort()
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("earshot-gst-\(UUID().uuidString).raw")
        defer { try? FileManager.default.removeItem(at: output) }
        let tool = try ChildProcess(
            Self.gstLaunch,
            [
                "-q", "-e", "udpsrc", "address=127.0.0.1", "port=\(port)",
                "caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96", "!",
                "rtpjitterbuffer", "latency=20", "!", "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!",
                "audio/x-raw,format=S16LE,channels=2", "!", "filesink", "location=\(output.path)",
            ])
        usleep(1_500_000)  // let the pipeline reach PLAYING before the first packet
        try send(try ourPackets(repeats: 2), toPort: port)
        usleep(500_000)
        tool.stop()
        let decoded = try leftChannelFrequency(output)
        #expect(decoded.frames >= 48_000 / 2, "decoded \(decoded.frames) frames; log: \(tool.log)")
        #expect(abs(decoded.frequency - 997) < 20, "decoded frequency \(decoded.frequency) Hz")
        #expect(decoded.rms > 1000)
    }

    @Test func ffmpegDecodesOurPacketsFromOurSDP() throws {
        try #require(ChildProcess.isInstalled(Self.ffmpeg))
        let port = try LoopbackUDPSocket.freePort()
        var description = OpusSessionDescription(connection: .loopback, port: port)
        description.maxAverageBitrate = 128_000
        description.packetTime = 5
        let directory = FileManager.default.temporaryDirectory
        let sdp = directory.appendingPathComponent("earshot-\(UUID().uuidString).sdp")
        let output = directory.appendingPathComponent("earshot-ffmpeg-\(UUID().uuidString).raw")
        defer {
            try? FileManager.default.removeItem(at: sdp)
            try? FileManager.default.removeItem(at: output)
        }
        try description.render().write(to: sdp, atomically: true, encoding: .utf8)
        let tool = try ChildProcess(
            Self.ffmpeg,
            [
                "-hide_banner", "-nostdin", "-protocol_whitelist", "file,udp,rtp", "-i", sdp.path,
                "-f", "s16le", "-ac", "2", "-ar", "48000", "-y", output.path,
            ])
        usleep(1_500_000)
        try send(try ourPackets(repeats: 3), toPort: port)
        usleep(500_000)
        tool.stop()
        let decoded = try leftChannelFrequency(output)
        #expect(decoded.frames >= 48_000, "decoded \(decoded.frames) frames; log: \(tool.log)")
        #expect(abs(decoded.frequency - 997) < 20, "decoded frequency \(decoded.frequency) Hz")
        #expect(decoded.rms > 1000)
    }
}
