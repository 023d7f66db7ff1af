import Testing

@testable import EarshotProtocol

@Suite struct RTPRTCPDemultiplexerTests {
    @Test func secondOctetDecides() {
        func kind(_ bytes: [UInt8]) -> MultiplexedPacketKind { bytes.withUnsafeBytes(RTPRTCPDemultiplexer.classify) }
        for vector in TestVector.all(in: "rtcp/valid") { #expect(kind(vector.bytes) == .rtcp) }
        for vector in TestVector.all(in: "rtp/valid") { #expect(kind(vector.bytes) == .rtp) }
        #expect(kind([0x80, 0xBF, 0, 0]) == .rtp)  // M=1, PT 63
        #expect(kind([0x80, 0xC0, 0, 0]) == .rtcp)  // 192
        #expect(kind([0x80, 0xDF, 0, 0]) == .rtcp)  // 223
        #expect(kind([0x80, 0xE0, 0, 0]) == .rtp)  // M=1, PT 96
        #expect(kind([0x40, 0xC8, 0, 0]) == .neither)
        #expect(kind([0x80, 0xC8]) == .neither)
        #expect(!RTPRTCPDemultiplexer.isUsableWithMultiplexing(payloadType: 72))
        #expect(RTPRTCPDemultiplexer.isUsableWithMultiplexing(payloadType: 96))
    }
}
