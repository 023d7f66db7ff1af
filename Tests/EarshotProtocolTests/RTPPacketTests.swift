import Testing

@testable import EarshotProtocol

@Suite struct RTPPacketTests {
    static let validVectors = TestVector.all(in: "rtp/valid")
    static let invalidVectors = TestVector.all(in: "rtp/invalid")

    @Test(arguments: validVectors)
    func validVectorParsesToExpectedFields(vector: TestVector) throws {
        try vector.bytes.withUnsafeBytes { bytes in
            let packet = try RTPPacket(validating: bytes, payloadType: 96)
            let e = vector.expectations
            #expect(!e.isEmpty, "vector has no expectations")
            #expect(matches(packet.version, e["version"]))
            #expect(packet.hasPadding == (e["padding"] == "1"))
            #expect(packet.hasExtension == (e["extension"] == "1"))
            #expect(matches(packet.csrcCount, e["csrcCount"]))
            #expect(packet.marker == (e["marker"] == "1"))
            #expect(matches(packet.payloadType, e["payloadType"]))
            #expect(matches(packet.sequenceNumber, e["sequenceNumber"]))
            #expect(matches(packet.timestamp, e["timestamp"]))
            #expect(matches(packet.ssrc, e["ssrc"]))
            #expect(matches(packet.payloadCount, e["payloadCount"]))
            #expect(matches(packet.paddingCount, e["paddingCount"] ?? "0"))
            for index in 0..<packet.csrcCount {
                #expect(matches(packet.csrc(at: index), e["csrc\(index)"]))
            }
            if packet.hasExtension {
                #expect(matches(packet.extensionProfile ?? 0, e["extensionProfile"]))
                #expect(matches(packet.extensionData.count, e["extensionCount"]))
            } else {
                #expect(packet.extensionProfile == nil && packet.extensionData.isEmpty)
            }
            try OpusRTPProfile.validatePayload(packet.payload)
            #expect(matches(OpusPacketFraming.samplesPerChannel(packet.payload) ?? -1, e["opusSamples"]))
        }
    }

    @Test(arguments: invalidVectors)
    func invalidVectorIsRejectedWithNamedReason(vector: TestVector) {
        let rejection: RTPRejection? = vector.bytes.withUnsafeBytes { bytes -> RTPRejection? in
            do throws(RTPRejection) {
                let packet = try RTPPacket(validating: bytes, payloadType: 96)
                try OpusRTPProfile.validatePayload(packet.payload)
                return nil
            } catch {
                return error
            }
        }
        #expect(rejection?.statName == vector.expectedStatName)
    }

    @Test func everyParseRejectionHasAnInvalidVector() {
        let covered = Set(Self.invalidVectors.map(\.expectedStatName))
        for reason in RTPRejection.allCases where reason.isParseRejection {
            #expect(covered.contains(reason.statName), "no vector for \(reason.statName)")
        }
        #expect(Self.validVectors.count >= 4)
    }

    @Test func statNamesAndCounterIndicesAreUnique() {
        #expect(Set(RTPRejection.allCases.map(\.statName)).count == RTPRejection.allCases.count)
        #expect(RTPRejection.allCases.map(\.counterIndex) == Array(0..<RTPRejection.allCases.count))
        #expect(Set(RTCPRejection.allCases.map(\.statName)).count == RTCPRejection.allCases.count)
    }

    @Test func anyPayloadTypeAcceptedWhenNotConfigured() throws {
        let bytes: [UInt8] = [0x80, 0x0A, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xF8]
        try bytes.withUnsafeBytes { raw throws in
            #expect(try RTPPacket(validating: raw, payloadType: nil).payloadType == 10)
            #expect(throws: RTPRejection.unexpectedPayloadType) { try RTPPacket(validating: raw, payloadType: 96) }
        }
    }

    @Test func everyTruncationOfAValidPacketIsRejectedNotCrashed() {
        for vector in Self.validVectors {
            for length in 0..<vector.bytes.count {
                let truncated = Array(vector.bytes[0..<length])
                truncated.withUnsafeBytes { raw in
                    // Any outcome but a crash is acceptable; a result must stay within the bytes.
                    if let packet = try? RTPPacket(validating: raw, payloadType: 96) {
                        #expect(packet.payloadOffset + packet.payloadCount <= length)
                    }
                }
            }
        }
    }

    @Test func writerRoundTripsThroughParser() throws {
        let payload: [UInt8] = [0xFC, 0x01, 0x02, 0x03, 0x04]
        let header = RTPHeader(marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 0xFFFF_FF00, ssrc: 42)
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let written = try buffer.withUnsafeMutableBytes { out in
            try payload.withUnsafeBytes { try RTPPacketWriter.write(header, payload: $0, into: out) }
        }
        #expect(written == 17)
        try buffer.withUnsafeBytes { raw in
            let packet = try RTPPacket(validating: UnsafeRawBufferPointer(rebasing: raw[0..<written]), payloadType: 111)
            #expect(packet.version == 2 && !packet.hasPadding && !packet.hasExtension && packet.csrcCount == 0)
            #expect(packet.marker && packet.sequenceNumber == 65535 && packet.timestamp == 0xFFFF_FF00)
            #expect(packet.ssrc == 42)
            #expect(Array(packet.payload) == payload)
        }
    }

    @Test func writerRejectsSmallBufferAndBadPayloadType() {
        var buffer = [UInt8](repeating: 0, count: 12)
        let payload: [UInt8] = [1]
        buffer.withUnsafeMutableBytes { out in
            payload.withUnsafeBytes { input in
                let header = RTPHeader(marker: false, payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 0)
                #expect(throws: RTPPacketWriter.WriteError.bufferTooSmall(required: 13)) {
                    try RTPPacketWriter.write(header, payload: input, into: out)
                }
                var bad = header
                bad.payloadType = 200
                #expect(throws: RTPPacketWriter.WriteError.payloadTypeOutOfRange(200)) {
                    try RTPPacketWriter.write(bad, payload: input, into: out)
                }
            }
        }
    }
}
