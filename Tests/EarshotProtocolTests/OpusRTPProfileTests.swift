import Testing

@testable import EarshotProtocol

@Suite struct OpusRTPProfileTests {
    @Test func constantsAndTimestampArithmetic() {
        #expect(OpusRTPProfile.clockRate == 48_000 && OpusRTPProfile.defaultPayloadType == 96)
        #expect(OpusRTPProfile.timestampIncrement(samplesPerChannel: 240) == 240)
        #expect(OpusRTPProfile.timestamp(initialTimestamp: 0xFFFF_FF00, sampleCount: 0x200) == 0x100)
        #expect(OpusRTPProfile.marker(afterSilence: true) && !OpusRTPProfile.marker(afterSilence: false))
        #expect(OpusRTPProfile(payloadType: 111).payloadType == 111)
    }

    @Test(arguments: [
        ([0xF8] as [UInt8], 960),  // CELT FB 20 ms, DTX frame
        ([0x00, 0x01], 480),  // SILK NB 10 ms
        ([0xE1, 0x07, 0x07], 240),  // CELT FB 2.5 ms, code 1 → 2 frames
        ([0xE2, 0x01, 0xAA, 0xBB], 240),  // code 2: frames of 1 and 1 byte, CELT 2.5 ms ×2
        ([0xFB, 0x03, 0x01, 0x02, 0x03], 2880),  // code 3 CBR, 3 × 20 ms, 1 byte each
        ([0xFB, 0x83, 0x01, 0x00, 0x05, 0x06], 2880),  // code 3 VBR: lengths 1, 0, rest 1
        ([0xFB, 0x41, 0x02, 0x09, 0x00, 0x00], 960),  // code 3 with 2 bytes padding
    ])
    func wellFormedOpusPackets(packet: [UInt8], samples: Int) {
        packet.withUnsafeBytes { #expect(OpusPacketFraming.samplesPerChannel($0) == samples) }
    }

    @Test(arguments: [
        [] as [UInt8],
        [0xF9, 0x01],  // code 1, odd frame area
        [0xFA],  // code 2 without length byte
        [0xFA, 0x05, 0x01],  // code 2 first frame longer than the packet
        [0xFB],  // code 3 without count byte
        [0xFB, 0x07] + [UInt8](repeating: 0, count: 7),  // 7 × 20 ms = 140 ms > 120 ms
        [0xFB, 0x02, 0x01, 0x02, 0x03],  // code 3 CBR, 3 bytes over 2 frames
        [0xFB, 0x42, 0xFF],  // padding runs past the end
        [0xFB, 0x82, 0x09, 0x01],  // VBR length 9 past the end
        [0xF8] + [UInt8](repeating: 0, count: 1276),  // frame over 1275 bytes
    ])
    func malformedOpusPackets(packet: [UInt8]) {
        packet.withUnsafeBytes { raw in
            #expect(!OpusPacketFraming.isWellFormed(raw))
            #expect(throws: RTPRejection.self) { try OpusRTPProfile.validatePayload(raw) }
        }
    }
}
