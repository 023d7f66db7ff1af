/// The SDP (RFC 4566, Opus parameters per RFC 7587 section 7) describing one Earshot Opus stream; rendered for
/// peers such as `ffmpeg -protocol_whitelist file,udp,rtp -i stream.sdp`, and parsed from peers' SDP files.
///
/// Value type; not used on real-time threads (it builds strings).
public struct OpusSessionDescription: Equatable, Sendable {
    public var sessionName = "Earshot"
    /// `o=` session id and version (NTP-format numbers are conventional; any decimal works).
    public var sessionID: UInt64 = 0
    public var sessionVersion: UInt64 = 0
    /// Where the media goes (`c=`); also used as the origin address.
    public var connection: SDPConnection
    /// RTP port (`m=audio PORT`). RTCP is on `port + 1` unless ``rtcpPort`` or ``rtcpMux`` say otherwise.
    public var port: UInt16
    public var payloadType: UInt8 = OpusRTPProfile.defaultPayloadType
    /// `stereo=1`: the receiver prefers stereo.
    public var stereo = true
    /// `sprop-stereo=1`: the sender may send stereo.
    public var spropStereo = true
    /// `useinbandfec=1`: the decoder may use in-band FEC (LBRR).
    public var useInbandFEC = true
    /// `maxaveragebitrate` in bits per second, if announced.
    public var maxAverageBitrate: Int?
    /// `a=ptime` in milliseconds (packet duration, e.g. 5 or 2.5).
    public var packetTime: Double?
    /// `a=minptime` in milliseconds.
    public var minimumPacketTime: Double?
    /// RTCP port when it is not `port + 1` (`a=rtcp:`); `nil` means the default `port + 1`.
    public var rtcpPort: UInt16?
    /// `a=rtcp-mux`: RTCP shares the RTP port (RFC 5761).
    public var rtcpMux = false
    /// `a=crypto` (SDES, RFC 4568): the SRTP suite and key; when present the transport is `RTP/SAVP`.
    public var crypto: SDPCryptoAttribute?

    public init(connection: SDPConnection, port: UInt16) {
        self.connection = connection
        self.port = port
    }

    /// Why an SDP text was not accepted. `line` is 1-based; fix the named line.
    public enum ParseError: Error, Equatable, Sendable {
        case malformedLine(line: Int)
        case unsupportedVersion(line: Int)
        case missingConnection
        case missingAudioMedia
        case missingOpusPayload
        case invalidValue(line: Int)
    }

    /// The SDP text, CRLF line endings.
    public func render() -> String {
        var lines: [String] = []
        lines.append("v=0")
        lines.append("o=- \(sessionID) \(sessionVersion) IN \(connection.addressType.rawValue) \(connection.address)")
        lines.append("s=\(sessionName)")
        lines.append("c=\(connection.rendered)")
        lines.append("t=0 0")
        lines.append("m=audio \(port) \(crypto == nil ? "RTP/AVP" : "RTP/SAVP") \(payloadType)")
        lines.append("a=rtpmap:\(payloadType) opus/\(OpusRTPProfile.clockRate)/\(OpusRTPProfile.rtpmapChannels)")
        var parameters = [
            "stereo=\(stereo ? 1 : 0)", "sprop-stereo=\(spropStereo ? 1 : 0)", "useinbandfec=\(useInbandFEC ? 1 : 0)",
        ]
        if let maxAverageBitrate { parameters.append("maxaveragebitrate=\(maxAverageBitrate)") }
        lines.append("a=fmtp:\(payloadType) \(parameters.joined(separator: ";"))")
        if let packetTime { lines.append("a=ptime:\(Self.milliseconds(packetTime))") }
        if let minimumPacketTime { lines.append("a=minptime:\(Self.milliseconds(minimumPacketTime))") }
        if let rtcpPort, rtcpPort != port &+ 1 { lines.append("a=rtcp:\(rtcpPort)") }
        if rtcpMux { lines.append("a=rtcp-mux") }
        if let crypto { lines.append("a=crypto:\(crypto.rendered)") }
        lines.append("a=sendonly")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func milliseconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Parses an SDP with an audio stream whose payload type maps to `opus/48000/2`. Accepts LF or CRLF. Unknown
    /// lines and attributes are ignored, as RFC 4566 requires; the first Opus audio `m=` section is used.
    public static func parse(_ text: String) throws(ParseError) -> OpusSessionDescription {
        var sessionConnection: SDPConnection?
        var mediaConnection: SDPConnection?
        var sessionName = "-"
        var sessionID: UInt64 = 0
        var sessionVersion: UInt64 = 0
        var port: UInt16?
        var mediaPayloadTypes: [UInt8] = []
        var inAudio = false
        var opusPayloadType: UInt8?
        var attributes: [(line: Int, name: Substring, value: Substring)] = []

        for (index, rawLine) in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).enumerated() {
            let line = index + 1
            let content = rawLine.drop { $0 == " " }
            guard content.count >= 2, content.dropFirst().first == "=" else { throw .malformedLine(line: line) }
            let value = content.dropFirst(2)
            switch content.first {
            case "v":
                guard value == "0" else { throw .unsupportedVersion(line: line) }
            case "o":
                let fields = value.split(separator: " ")
                guard fields.count == 6 else { throw .malformedLine(line: line) }
                sessionID = UInt64(fields[1]) ?? 0
                sessionVersion = UInt64(fields[2]) ?? 0
            case "s":
                sessionName = String(value)
            case "c":
                guard let connection = SDPConnection(parsing: value) else { throw .invalidValue(line: line) }
                if port == nil { sessionConnection = connection } else if inAudio { mediaConnection = connection }
            case "m":
                if port != nil && opusPayloadType != nil { break }
                let fields = value.split(separator: " ")
                guard fields.count >= 4 else { throw .malformedLine(line: line) }
                inAudio = fields[0] == "audio"
                guard inAudio else { continue }
                guard let mediaPort = UInt16(fields[1].split(separator: "/")[0]) else {
                    throw .invalidValue(line: line)
                }
                port = mediaPort
                mediaPayloadTypes = fields.dropFirst(3).compactMap { UInt8($0) }
                mediaConnection = nil
                attributes.removeAll()
            case "a":
                guard inAudio else { continue }
                let parts = value.split(separator: ":", maxSplits: 1)
                attributes.append((line, parts[0], parts.count > 1 ? parts[1] : ""))
                if parts[0] == "rtpmap", parts.count > 1 {
                    let fields = parts[1].split(separator: " ", maxSplits: 1)
                    if fields.count == 2, let type = UInt8(fields[0]), mediaPayloadTypes.contains(type),
                        fields[1].lowercased().hasPrefix("opus/48000")
                    {
                        opusPayloadType = opusPayloadType ?? type
                    }
                }
            default:
                continue
            }
        }
        guard let port else { throw .missingAudioMedia }
        guard let payloadType = opusPayloadType else { throw .missingOpusPayload }
        guard let connection = mediaConnection ?? sessionConnection else { throw .missingConnection }

        var description = OpusSessionDescription(connection: connection, port: port)
        description.sessionName = sessionName
        description.sessionID = sessionID
        description.sessionVersion = sessionVersion
        description.payloadType = payloadType
        description.stereo = false
        description.spropStereo = false
        description.useInbandFEC = false
        for attribute in attributes {
            switch attribute.name {
            case "fmtp":
                let fields = attribute.value.split(separator: " ", maxSplits: 1)
                guard fields.count == 2, UInt8(fields[0]) == payloadType else { continue }
                for parameter in fields[1].split(separator: ";") {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map {
                        $0.trimmingCharacters(in: " ")
                    }
                    guard pair.count == 2 else { continue }
                    switch pair[0] {
                    case "stereo": description.stereo = pair[1] == "1"
                    case "sprop-stereo": description.spropStereo = pair[1] == "1"
                    case "useinbandfec": description.useInbandFEC = pair[1] == "1"
                    case "maxaveragebitrate":
                        guard let bitrate = Int(pair[1]) else { throw .invalidValue(line: attribute.line) }
                        description.maxAverageBitrate = bitrate
                    default: continue
                    }
                }
            case "ptime":
                guard let value = Double(attribute.value) else { throw .invalidValue(line: attribute.line) }
                description.packetTime = value
            case "minptime":
                guard let value = Double(attribute.value) else { throw .invalidValue(line: attribute.line) }
                description.minimumPacketTime = value
            case "rtcp":
                guard let rtcpPort = UInt16(attribute.value.split(separator: " ")[0]) else {
                    throw .invalidValue(line: attribute.line)
                }
                description.rtcpPort = rtcpPort == port &+ 1 ? nil : rtcpPort
            case "rtcp-mux":
                description.rtcpMux = true
            case "crypto":
                guard let crypto = SDPCryptoAttribute(parsing: attribute.value) else {
                    throw .invalidValue(line: attribute.line)
                }
                description.crypto = description.crypto ?? crypto
            default:
                continue
            }
        }
        return description
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var result = self
        while result.first == set { result = result.dropFirst() }
        while result.last == set { result = result.dropLast() }
        return result
    }
}
