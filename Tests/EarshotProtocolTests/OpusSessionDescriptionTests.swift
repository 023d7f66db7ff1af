import Testing

@testable import EarshotProtocol

@Suite struct OpusSessionDescriptionTests {
    func fullDescription() -> OpusSessionDescription {
        var description = OpusSessionDescription(
            connection: SDPConnection(addressType: .ipv4, address: "239.10.20.30", ttl: 16), port: 5004)
        description.sessionID = 3_900_000_000
        description.sessionVersion = 2
        description.payloadType = 101
        description.maxAverageBitrate = 128_000
        description.packetTime = 2.5
        description.minimumPacketTime = 2.5
        description.rtcpPort = 6000
        description.crypto = SDPCryptoAttribute(inlineKey: "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")
        return description
    }

    @Test func renderedTextHasTheRFC7587Lines() {
        let text = fullDescription().render()
        let lines = text.components(separatedBy: "\r\n")
        #expect(text.hasSuffix("\r\n") && lines.first == "v=0")
        #expect(lines.contains("c=IN IP4 239.10.20.30/16"))
        #expect(lines.contains("m=audio 5004 RTP/SAVP 101"))
        #expect(lines.contains("a=rtpmap:101 opus/48000/2"))
        #expect(lines.contains("a=fmtp:101 stereo=1;sprop-stereo=1;useinbandfec=1;maxaveragebitrate=128000"))
        #expect(lines.contains("a=ptime:2.5") && lines.contains("a=minptime:2.5"))
        #expect(lines.contains("a=rtcp:6000"))
        #expect(lines.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"))
    }

    @Test func generateThenParseRoundTrips() throws {
        let full = fullDescription()
        #expect(try OpusSessionDescription.parse(full.render()) == full)

        var plain = OpusSessionDescription(connection: .loopback, port: 40_000)
        plain.rtcpPort = 40_001  // the default: not written, parsed back as nil
        plain.packetTime = 5
        let text = plain.render()
        #expect(!text.contains("a=rtcp:") && text.contains("m=audio 40000 RTP/AVP 96") && text.contains("a=ptime:5\r"))
        plain.rtcpPort = nil
        #expect(try OpusSessionDescription.parse(text) == plain)

        var ipv6 = OpusSessionDescription(connection: SDPConnection(addressType: .ipv6, address: "::1"), port: 5004)
        ipv6.rtcpMux = true
        ipv6.useInbandFEC = false
        #expect(try OpusSessionDescription.parse(ipv6.render()) == ipv6)
    }

    @Test func multicastDetection() {
        #expect(SDPConnection(addressType: .ipv4, address: "239.1.2.3", ttl: 1).isMulticast)
        #expect(!SDPConnection.loopback.isMulticast)
        #expect(SDPConnection(addressType: .ipv6, address: "ff02::1").isMulticast)
    }

    @Test func parsesFFmpegsSDP() throws {
        // What ffmpeg 5.1 printed for `-f rtp -payload_type 96` with libopus (LF line endings, media-level fmtp).
        let text = """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=No Name
            c=IN IP4 127.0.0.1
            t=0 0
            a=tool:libavformat LIBAVFORMAT_VERSION
            m=audio 54259 RTP/AVP 96
            b=AS:128
            a=rtpmap:96 opus/48000/2
            a=fmtp:96 sprop-stereo=1

            """
        let description = try OpusSessionDescription.parse(text)
        #expect(description.port == 54259 && description.payloadType == 96 && description.connection == .loopback)
        #expect(description.spropStereo && !description.stereo && !description.useInbandFEC)
        #expect(description.sessionName == "No Name")
    }

    @Test func rejectsWhatItCannotUse() {
        #expect(throws: OpusSessionDescription.ParseError.unsupportedVersion(line: 1)) {
            try OpusSessionDescription.parse("v=1\r\n")
        }
        #expect(throws: OpusSessionDescription.ParseError.malformedLine(line: 2)) {
            try OpusSessionDescription.parse("v=0\r\ngarbage\r\n")
        }
        #expect(throws: OpusSessionDescription.ParseError.missingAudioMedia) {
            try OpusSessionDescription.parse("v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 96\r\n")
        }
        #expect(throws: OpusSessionDescription.ParseError.missingOpusPayload) {
            try OpusSessionDescription.parse("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0\r\n")
        }
        #expect(throws: OpusSessionDescription.ParseError.missingConnection) {
            try OpusSessionDescription.parse("v=0\r\nm=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n")
        }
        #expect(throws: OpusSessionDescription.ParseError.invalidValue(line: 2)) {
            try OpusSessionDescription.parse("v=0\r\nc=IN IP9 x\r\n")
        }
    }
}
