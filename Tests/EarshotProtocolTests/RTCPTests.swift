import Testing

@testable import EarshotProtocol

/// Flattens a parsed compound into the `key=value` vocabulary of the RTCP vector files.
func summarize(_ compound: RTCPCompoundPacket) -> [String: String] {
    var summary: [String: String] = [:]
    var types: [String] = []
    var blocks: [RTCPReportBlock] = []
    func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    for packet in compound {
        switch packet {
        case .senderReport(let report):
            types.append("200")
            summary["ssrc", default: String(report.ssrc)] = summary["ssrc"] ?? String(report.ssrc)
            let info = report.senderInfo
            summary["sr.ntp"] = "0x" + String(info.ntpTimestamp.rawValue, radix: 16)
            summary["sr.rtpTimestamp"] = String(info.rtpTimestamp)
            summary["sr.packetCount"] = String(info.packetCount)
            summary["sr.octetCount"] = String(info.octetCount)
            blocks += (0..<report.reportCount).map(report.reportBlock(at:))
        case .receiverReport(let report):
            types.append("201")
            summary["ssrc"] = summary["ssrc"] ?? String(report.ssrc)
            blocks += (0..<report.reportCount).map(report.reportBlock(at:))
        case .sourceDescription(let description):
            types.append("202")
            for item in description.items where item.type == RTCPSourceDescription.cnameItem {
                summary["cname"] = text(item.value)
            }
        case .goodbye(let goodbye):
            types.append("203")
            summary["bye.sources"] = (0..<goodbye.sourceCount).map { String(goodbye.source(at: $0)) }
                .joined(separator: ",")
            summary["bye.reason"] = goodbye.reason.map(text) ?? "none"
        case .applicationDefined(let app):
            types.append("204")
            summary["app.subtype"] = String(app.subtype)
            summary["app.name"] = withUnsafeBytes(of: app.name.bigEndian) { text($0) }
            summary["app.dataCount"] = String(app.data.count)
        case .unknown(let type, _, _):
            types.append(String(type))
        }
    }
    summary["types"] = types.joined(separator: ",")
    summary["reportBlocks"] = String(blocks.count)
    for (index, block) in blocks.enumerated() {
        summary["block\(index).ssrc"] = String(block.ssrc)
        summary["block\(index).fractionLost"] = String(block.fractionLost)
        summary["block\(index).cumulativeLost"] = String(block.cumulativeLost)
        summary["block\(index).extendedHighestSequence"] = String(block.extendedHighestSequence)
        summary["block\(index).jitter"] = String(block.jitter)
        summary["block\(index).lastSenderReport"] = String(block.lastSenderReport)
        summary["block\(index).delaySinceLastSenderReport"] = String(block.delaySinceLastSenderReport)
    }
    return summary
}

/// Compares an expectation with a summary value, reading `0x…` and decimal integers as numbers.
func sameValue(_ expected: String, _ actual: String?) -> Bool {
    guard let actual else { return false }
    if expected == actual { return true }
    func number(_ text: String) -> Int128? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16).map { Int128($0) } : Int128(text)
    }
    return number(expected) != nil && number(expected) == number(actual)
}

@Suite struct RTCPTests {
    static let validVectors = TestVector.all(in: "rtcp/valid")
    static let invalidVectors = TestVector.all(in: "rtcp/invalid")

    @Test(arguments: validVectors)
    func validVectorParsesToExpectedFields(vector: TestVector) throws {
        try vector.bytes.withUnsafeBytes { raw throws in
            let summary = summarize(try RTCPCompoundPacket(validating: raw))
            #expect(!vector.expectations.isEmpty)
            for (key, expected) in vector.expectations {
                let parsed = summary[key] ?? "nil"
                #expect(sameValue(expected, summary[key]), "\(key): expected \(expected), parsed \(parsed)")
            }
        }
    }

    @Test(arguments: invalidVectors)
    func invalidVectorIsRejectedWithNamedReason(vector: TestVector) {
        let rejection: RTCPRejection? = vector.bytes.withUnsafeBytes { raw -> RTCPRejection? in
            do throws(RTCPRejection) {
                _ = try RTCPCompoundPacket(validating: raw)
                return nil
            } catch {
                return error
            }
        }
        #expect(rejection?.statName == vector.expectedStatName)
    }

    @Test func everyRejectionHasAnInvalidVector() {
        let covered = Set(Self.invalidVectors.map(\.expectedStatName))
        for reason in RTCPRejection.allCases {
            #expect(covered.contains(reason.statName), "no vector for \(reason.statName)")
        }
    }

    @Test func everyTruncationOfAValidCompoundIsHandled() {
        for vector in Self.validVectors {
            for length in 0..<vector.bytes.count {
                Array(vector.bytes[0..<length]).withUnsafeBytes { raw in
                    if let compound = try? RTCPCompoundPacket(validating: raw) { _ = summarize(compound) }
                }
            }
        }
    }

    @Test func senderCompoundBuildThenParseRoundTrips() throws {
        let blocks = [
            RTCPReportBlock(
                ssrc: 9, fractionLost: 12, cumulativeLost: -5, extendedHighestSequence: 70_000, jitter: 33,
                lastSenderReport: 0xAABB_CCDD, delaySinceLastSenderReport: 1234),
            RTCPReportBlock(
                ssrc: 10, fractionLost: 0, cumulativeLost: 0x7F_FFFF, extendedHighestSequence: 1, jitter: 0,
                lastSenderReport: 0, delaySinceLastSenderReport: 0),
        ]
        let info = RTCPSenderInfo(
            ntpTimestamp: NTPTimestamp(unixSeconds: 1_700_000_000, nanoseconds: 250_000_000),
            rtpTimestamp: 0xDEAD_BEEF, packetCount: 4000, octetCount: 320_000)
        var buffer = [UInt8](repeating: 0, count: 512)
        let bytes: [UInt8] = try buffer.withUnsafeMutableBytes { out in
            var writer = RTCPCompoundWriter(buffer: out)
            try writer.appendSenderReport(ssrc: 0x5555, senderInfo: info, reportBlocks: blocks)
            try writer.appendSourceDescription(ssrc: 0x5555, cname: Array("earshot-send@127.0.0.1".utf8))
            try writer.appendGoodbye(sources: [0x5555], reason: Array("stream ended".utf8))
            var data: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            try data.withUnsafeMutableBytes {
                try writer.appendApplicationPacket(
                    subtype: 5, ssrc: 0x5555, name: 0x4541_5253, data: UnsafeRawBufferPointer($0))
            }
            return Array(writer.bytes)
        }
        #expect(bytes.count % 4 == 0)
        try bytes.withUnsafeBytes { raw throws in
            let compound = try RTCPCompoundPacket(validating: raw)
            var seen = 0
            for packet in compound {
                seen += 1
                switch packet {
                case .senderReport(let report):
                    #expect(report.ssrc == 0x5555 && report.senderInfo == info && report.reportCount == 2)
                    #expect(report.reportBlock(at: 0) == blocks[0] && report.reportBlock(at: 1) == blocks[1])
                case .sourceDescription(let description):
                    let items = Array(description.items)
                    #expect(items.count == 1 && items[0].ssrc == 0x5555)
                    #expect(String(decoding: items[0].value, as: UTF8.self) == "earshot-send@127.0.0.1")
                case .goodbye(let goodbye):
                    #expect(goodbye.sourceCount == 1 && goodbye.source(at: 0) == 0x5555)
                    #expect(goodbye.reason.map { String(decoding: $0, as: UTF8.self) } == "stream ended")
                case .applicationDefined(let app):
                    #expect(app.subtype == 5 && app.name == 0x4541_5253 && Array(app.data) == [1, 2, 3, 4, 5, 6, 7, 8])
                default:
                    Issue.record("unexpected packet")
                }
            }
            #expect(seen == 4)
        }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 250, 255])
    func sdesCNAMEOfEveryLengthRoundTrips(length: Int) throws {
        let cname = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        var buffer = [UInt8](repeating: 0xFF, count: 600)
        try buffer.withUnsafeMutableBytes { out throws in
            var writer = RTCPCompoundWriter(buffer: out)
            try writer.appendReceiverReport(ssrc: 1, reportBlocks: [])
            try writer.appendSourceDescription(ssrc: 1, cname: cname)
            try writer.appendGoodbye(sources: [])
            let compound = try RTCPCompoundPacket(validating: writer.bytes)
            #expect(summarize(compound)["cname"].map { Array($0.utf8) } == cname || (length == 0))
            #expect(summarize(compound)["types"] == "201,202,203")
        }
    }

    @Test func writerReportsItsLimits() {
        var buffer = [UInt8](repeating: 0, count: 16)
        buffer.withUnsafeMutableBytes { out in
            var writer = RTCPCompoundWriter(buffer: out)
            let block = RTCPReportBlock(
                ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0,
                lastSenderReport: 0, delaySinceLastSenderReport: 0)
            #expect(throws: RTCPCompoundWriter.WriteError.bufferTooSmall(required: 32)) {
                try writer.appendReceiverReport(ssrc: 1, reportBlocks: [block])
            }
            #expect(throws: RTCPCompoundWriter.WriteError.tooManyEntries(32)) {
                try writer.appendReceiverReport(ssrc: 1, reportBlocks: Array(repeating: block, count: 32))
            }
            #expect(throws: RTCPCompoundWriter.WriteError.textTooLong(256)) {
                try writer.appendSourceDescription(ssrc: 1, cname: [UInt8](repeating: 0x41, count: 256))
            }
            #expect(writer.count == 0)
        }
    }
}
