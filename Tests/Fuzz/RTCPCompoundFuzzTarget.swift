// libFuzzer target: one datagram through `RTCPCompoundPacket.parse` / `RTCPCompoundPacket(validating:)`; a compound
// that validates is then walked packet by packet with every accessor of every view (SR sender info and report blocks,
// RR report blocks, SDES items, BYE sources and reason, APP fields, unknown bodies).
//
// Checks, besides "no trap, no ASan report": the two parse forms agree; the iterator yields exactly the packets an
// independent walk of the common headers finds, each view's body being that packet's body (padding excluded); every
// report block, SDES item, BYE source and reason lies inside its packet's body; a report block written back by
// `RTCPReportBlock.write` gives the bytes it was read from.

@testable import EarshotProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func rtcpCompoundFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let result = RTCPCompoundPacket.parse(bytes)
    do {
        _ = try RTCPCompoundPacket(validating: bytes)
        guard case .success = result else { preconditionFailure("init(validating:) accepted, parse did not") }
    } catch {
        guard case .failure(let rejection) = result, rejection == error else {
            preconditionFailure("init(validating:) and parse disagree")
        }
    }
    guard case .success(let compound) = result else { return 0 }
    precondition(compound.bytes.baseAddress == bytes.baseAddress && compound.bytes.count == size)

    var offset = 0
    var packets = 0
    for packet in compound {
        // The reference walk: common header, length, padding (validation allows it on the last packet only).
        precondition(offset + 4 <= size, "iterator yielded a packet past the datagram")
        let first = bytes[offset]
        let end = offset + ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
        precondition(end <= size)
        let padding = first & 0x20 != 0 ? Int(bytes[end - 1]) : 0
        precondition(padding == 0 || end == size, "padding only on the last packet")
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(end - padding)])
        let count = Int(first & 0x1F)
        let type = bytes[offset + 1]
        if packets == 0 {
            precondition(type == RTCPPacketType.senderReport || type == RTCPPacketType.receiverReport)
        }
        check(packet, type: type, count: count, body: body)
        offset = end
        packets += 1
    }
    precondition(offset == size, "iterator stopped before the end of the datagram")
    fuzzConsume(UInt64(packets))
    return 0
}

private func sameView(_ view: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer) -> Bool {
    view.baseAddress == body.baseAddress && view.count == body.count
}

private func check(_ packet: RTCPPacket, type: UInt8, count: Int, body: UnsafeRawBufferPointer) {
    switch packet {
    case .senderReport(let report):
        precondition(type == RTCPPacketType.senderReport && sameView(report.body, body) && report.reportCount == count)
        let info = report.senderInfo
        fuzzConsume(UInt64(report.ssrc) &+ UInt64(info.ntpTimestamp.seconds) &+ UInt64(info.ntpTimestamp.fraction))
        fuzzConsume(UInt64(info.rtpTimestamp) &+ UInt64(info.packetCount) &+ UInt64(info.octetCount))
        for index in 0..<report.reportCount {
            let start = 4 + RTCPSenderInfo.size + index * RTCPReportBlock.size
            check(report.reportBlock(at: index), readFrom: body, at: start)
        }
    case .receiverReport(let report):
        precondition(type == RTCPPacketType.receiverReport && sameView(report.body, body) && report.reportCount == count)
        fuzzConsume(UInt64(report.ssrc))
        for index in 0..<report.reportCount {
            check(report.reportBlock(at: index), readFrom: body, at: 4 + index * RTCPReportBlock.size)
        }
    case .sourceDescription(let description):
        precondition(type == RTCPPacketType.sourceDescription && sameView(description.body, body))
        precondition(description.chunkCount == count)
        var items = 0
        var previousEnd = body.baseAddress
        for item in description.items {
            precondition(fuzzLies(item.value, within: body), "SDES item outside its packet")
            // Items come in order and never overlap (each after its type and length bytes).
            if let start = item.value.baseAddress, let previousEnd { precondition(start >= previousEnd + 2) }
            previousEnd = item.value.baseAddress.map { $0 + item.value.count }
            precondition(item.type != 0, "the null item ends a chunk, it is not an item")
            fuzzConsume(UInt64(item.ssrc) &+ UInt64(item.type))
            fuzzConsume(item.value)
            items += 1
            precondition(items <= body.count / 2, "more SDES items than the body can hold")
        }
    case .goodbye(let goodbye):
        precondition(type == RTCPPacketType.goodbye && sameView(goodbye.body, body) && goodbye.sourceCount == count)
        precondition(goodbye.sourceCount * 4 <= body.count, "BYE sources past the body")
        for index in 0..<goodbye.sourceCount { fuzzConsume(UInt64(goodbye.source(at: index))) }
        if let reason = goodbye.reason {
            precondition(body.count > goodbye.sourceCount * 4)
            precondition(fuzzLies(reason, within: body), "BYE reason outside its packet")
            precondition(reason.count == Int(body[goodbye.sourceCount * 4]))
            fuzzConsume(reason)
        } else {
            precondition(body.count == goodbye.sourceCount * 4, "BYE bytes after the sources but no reason")
        }
    case .applicationDefined(let application):
        precondition(type == RTCPPacketType.applicationDefined && sameView(application.body, body))
        precondition(Int(application.subtype) == count && body.count >= 8)
        fuzzConsume(UInt64(application.ssrc) &+ UInt64(application.name))
        precondition(fuzzLies(application.data, within: body) && application.data.count == body.count - 8)
        fuzzConsume(application.data)
    case .unknown(let unknownType, let unknownCount, let unknownBody):
        precondition(unknownType == type && Int(unknownCount) == count && sameView(unknownBody, body))
        precondition(unknownType < RTCPPacketType.senderReport || unknownType > RTCPPacketType.applicationDefined)
        fuzzConsume(unknownBody)
    }
}

/// A report block read at `offset` of `body`: inside it, and written back to the same 24 bytes.
private func check(_ block: RTCPReportBlock, readFrom body: UnsafeRawBufferPointer, at offset: Int) {
    precondition(offset >= 0 && offset + RTCPReportBlock.size <= body.count, "report block past its packet")
    precondition(RTCPReportBlock.cumulativeLostRange.contains(block.cumulativeLost))
    let written = UnsafeMutableRawBufferPointer.allocate(byteCount: RTCPReportBlock.size, alignment: 4)
    defer { written.deallocate() }
    block.write(into: written, at: 0)
    precondition(written.elementsEqual(body[offset..<(offset + RTCPReportBlock.size)]), "report block round trip")
}
