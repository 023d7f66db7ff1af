// libFuzzer target: one datagram through `RTPPacket.parse` / `RTPPacket(validating:)`, as the receiver's RTP socket
// hands it over (including the rtcp-mux classification and the Opus payload check that follow).
//
// Checks, besides "no trap, no ASan report": the two parse forms agree; a configured payload type changes only the
// rejection the header order gives it; a parsed packet's parts (header, CSRCs, extension, payload, padding) tile the
// datagram exactly and every accessor stays inside it; a plain packet (no CSRC, extension or padding) is rewritten
// byte for byte by `RTPPacketWriter`.

import EarshotProtocol

/// The payload type Earshot's receiver is configured with by default.
private let configuredPayloadType: UInt8 = 96

@_cdecl("LLVMFuzzerTestOneInput")
public func rtpParserFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    let kind = RTPRTCPDemultiplexer.classify(bytes)
    precondition((kind == .neither) == (size < 4 || bytes[0] >> 6 != 2), "demultiplexer: neither iff short or not v2")

    let any = RTPPacket.parse(bytes, payloadType: nil)
    let configured = RTPPacket.parse(bytes, payloadType: configuredPayloadType)
    checkThrowingFormAgrees(bytes, any)

    switch any {
    case .success(let packet):
        check(packet, in: bytes)
        if packet.payloadType == configuredPayloadType {
            guard case .success(let same) = configured else { preconditionFailure("configured PT rejected its own PT") }
            precondition(same.payloadOffset == packet.payloadOffset && same.payloadCount == packet.payloadCount)
        } else {
            precondition(rejection(configured) == .unexpectedPayloadType, "another PT must be unexpectedPayloadType")
        }
    case .failure(.emptyPayload):
        // The payload type is checked before emptiness (header order).
        let expected: RTPRejection = bytes[1] & 0x7F == configuredPayloadType ? .emptyPayload : .unexpectedPayloadType
        precondition(rejection(configured) == expected, "empty payload: PT rule")
    case .failure(let headerRejection):
        precondition(rejection(configured) == headerRejection, "header rejections do not depend on the PT")
    }
    return 0
}

private func rejection(_ result: Result<RTPPacket, RTPRejection>) -> RTPRejection? {
    if case .failure(let rejection) = result { rejection } else { nil }
}

private func checkThrowingFormAgrees(_ bytes: UnsafeRawBufferPointer, _ result: Result<RTPPacket, RTPRejection>) {
    do {
        let packet = try RTPPacket(validating: bytes, payloadType: nil)
        guard case .success(let parsed) = result else { preconditionFailure("init(validating:) accepted, parse did not") }
        precondition(packet.payloadOffset == parsed.payloadOffset && packet.payloadCount == parsed.payloadCount)
    } catch {
        precondition(rejection(result) == error, "init(validating:) and parse disagree on the rejection")
    }
}

private func check(_ packet: RTPPacket, in bytes: UnsafeRawBufferPointer) {
    precondition(packet.bytes.baseAddress == bytes.baseAddress && packet.bytes.count == bytes.count)
    precondition(packet.version == 2)
    precondition(packet.payloadCount > 0, "a parsed packet has a payload")

    // Header, CSRC list, extension, payload and padding tile the datagram.
    var headerEnd = RTPPacket.fixedHeaderSize + packet.csrcCount * 4
    if packet.hasExtension {
        precondition(packet.extensionProfile != nil)
        precondition(fuzzLies(packet.extensionData, within: bytes))
        precondition(packet.extensionData.baseAddress == bytes.baseAddress! + headerEnd + 4)
        headerEnd += 4 + packet.extensionData.count
        precondition(packet.extensionData.count % 4 == 0)
    } else {
        precondition(packet.extensionProfile == nil && packet.extensionData.isEmpty)
    }
    precondition(packet.payloadOffset == headerEnd, "payload starts right after the header")
    precondition(packet.payloadOffset + packet.payloadCount + packet.paddingCount == bytes.count, "parts tile")
    if packet.hasPadding {
        precondition(packet.paddingCount >= 1 && packet.paddingCount == Int(bytes[bytes.count - 1]))
    } else {
        precondition(packet.paddingCount == 0)
    }
    precondition(fuzzLies(packet.payload, within: bytes) && packet.payload.count == packet.payloadCount)

    // Every accessor.
    var sum = UInt64(packet.sequenceNumber) &+ UInt64(packet.timestamp) &+ UInt64(packet.ssrc)
    sum &+= UInt64(packet.payloadType) &+ (packet.marker ? 1 : 0) &+ UInt64(packet.extensionProfile ?? 0)
    for index in 0..<packet.csrcCount { sum &+= UInt64(packet.csrc(at: index)) }
    fuzzConsume(sum)
    fuzzConsume(packet.extensionData)
    fuzzConsume(packet.payload)

    // What the receiver does next with the payload.
    let opus = OpusRTPProfile.payloadRejection(packet.payload)
    precondition(opus == nil || opus == .malformedOpusPayload, "a non-empty payload is well-formed or malformed")
    precondition((opus == nil) == (OpusPacketFraming.samplesPerChannel(packet.payload) != nil))

    // Round trip of what Earshot sends itself.
    if !packet.hasPadding && !packet.hasExtension && packet.csrcCount == 0 {
        let header = RTPHeader(
            marker: packet.marker, payloadType: packet.payloadType, sequenceNumber: packet.sequenceNumber,
            timestamp: packet.timestamp, ssrc: packet.ssrc)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 4)
        defer { buffer.deallocate() }
        do {
            let written = try RTPPacketWriter.write(header, payload: packet.payload, into: buffer)
            precondition(written == bytes.count && buffer.elementsEqual(bytes), "writer round trip")
        } catch {
            preconditionFailure("writer rejected a parsed header: \(error)")
        }
    }
}
