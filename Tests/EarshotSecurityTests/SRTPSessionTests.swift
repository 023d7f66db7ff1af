import EarshotSecurity
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The libsrtp wrapper against libsrtp's own validation vectors (its test/srtp_driver.c, `srtp_validate` and
/// `srtp_validate_gcm`), and its contract: round trips, tampering, replay, rollover, late joiners.
@Suite struct SRTPSessionTests {
    static let cmKey: [UInt8] = [
        0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
        0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
    ]
    static let gcmKey: [UInt8] = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
    ]
    /// RTP: V=2, PT 15, sequence 0x1234, timestamp 0xdecafbad, SSRC 0xcafebabe, 16 bytes of 0xab.
    static let rtpPlain: [UInt8] = [0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe]
        + [UInt8](repeating: 0xab, count: 16)
    /// RTCP SR header of SSRC 0xcafebabe and 16 bytes of 0xab.
    static let rtcpPlain: [UInt8] = [0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe]
        + [UInt8](repeating: 0xab, count: 16)

    static let cmRTP: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c,
        0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc,
        0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb,
    ]
    static let cmRTCP: [UInt8] = [
        0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd,
        0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd,
        0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98,
    ]
    static let gcmRTP: [UInt8] = [
        0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e, 0xde,
        0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26,
        0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92,
    ]
    static let gcmRTCP: [UInt8] = [
        0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a, 0x55,
        0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46,
        0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01,
    ]

    static func key(_ suite: SRTPSuite) -> SRTPMasterKey {
        try! SRTPMasterKey(suite: suite, bytes: suite == .aeadAES128GCM ? gcmKey : cmKey)
    }

    /// A packet in a buffer with room for the trailer.
    struct Packet {
        var storage: [UInt8]
        var length: Int
        init(_ bytes: [UInt8]) {
            storage = bytes + [UInt8](repeating: 0, count: SRTPSession.rtcpTrailerRoom)
            length = bytes.count
        }
        var bytes: [UInt8] { Array(storage[0..<length]) }

        mutating func protectRTP(_ session: SRTPSession) throws(SRTPError) {
            let capacity = storage.count
            let length = length
            var result: Result<Int, SRTPError> = .success(0)
            storage.withUnsafeMutableBytes { raw in
                do throws(SRTPError) {
                    result = .success(try session.protectRTP(raw.baseAddress!, length: length, capacity: capacity))
                } catch { result = .failure(error) }
            }
            self.length = try result.get()
        }
        mutating func unprotectRTP(_ session: SRTPSession) throws(SRTPError) {
            try apply { raw, length throws(SRTPError) in try session.unprotectRTP(raw, length: length) }
        }
        mutating func protectRTCP(_ session: SRTPSession) throws(SRTPError) {
            let capacity = storage.count
            try apply { raw, length throws(SRTPError) in
                try session.protectRTCP(raw, length: length, capacity: capacity)
            }
        }
        mutating func unprotectRTCP(_ session: SRTPSession) throws(SRTPError) {
            try apply { raw, length throws(SRTPError) in try session.unprotectRTCP(raw, length: length) }
        }
        private mutating func apply(
            _ body: (UnsafeMutableRawPointer, Int) throws(SRTPError) -> Int
        ) throws(SRTPError) {
            let length = length
            var result: Result<Int, SRTPError> = .success(0)
            storage.withUnsafeMutableBytes { raw in
                do throws(SRTPError) { result = .success(try body(raw.baseAddress!, length)) } catch {
                    result = .failure(error)
                }
            }
            self.length = try result.get()
        }
    }

    @Test(arguments: [
        (SRTPSuite.aesCM128HMACSHA1_80, cmRTP, cmRTCP), (SRTPSuite.aeadAES128GCM, gcmRTP, gcmRTCP),
    ])
    func protectMatchesLibsrtpValidationVectorsAndUnprotectInverts(
        suite: SRTPSuite, rtpCipher: [UInt8], rtcpCipher: [UInt8]
    ) throws {
        let sender = try SRTPSession(key: Self.key(suite), direction: .outbound)
        let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var rtp = Packet(Self.rtpPlain)
        try rtp.protectRTP(sender)
        #expect(rtp.bytes == rtpCipher)
        try rtp.unprotectRTP(receiver)
        #expect(rtp.bytes == Self.rtpPlain)
        var rtcp = Packet(Self.rtcpPlain)
        try rtcp.protectRTCP(sender)
        #expect(rtcp.bytes == rtcpCipher)
        try rtcp.unprotectRTCP(receiver)
        #expect(rtcp.bytes == Self.rtcpPlain)
    }

    @Test(arguments: SRTPSuite.allCases)
    func everyTamperedByteAnotherKeyAndPlainRTPAreRejected(suite: SRTPSuite) throws {
        let sender = try SRTPSession(key: Self.key(suite), direction: .outbound)
        var genuine = Packet(Self.rtpPlain)
        try genuine.protectRTP(sender)
        var rejected = 0
        for index in 0..<genuine.length {
            let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
            var tampered = genuine
            tampered.storage[index] ^= 0x01
            #expect(throws: SRTPError.authenticationFailed) { try tampered.unprotectRTP(receiver) }
            // The genuine packet still authenticates afterwards: a failure leaves no state behind.
            var original = genuine
            try original.unprotectRTP(receiver)
            rejected += 1
        }
        #expect(rejected == genuine.length)
        let other = try SRTPSession(key: SRTPMasterKey.generate(suite: suite), direction: .inbound)
        var copy = genuine
        #expect(throws: SRTPError.authenticationFailed) { try copy.unprotectRTP(other) }
        let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var plain = Packet(Self.rtpPlain)
        #expect(throws: SRTPError.authenticationFailed) { try plain.unprotectRTP(receiver) }
        var short = Packet(Array(Self.rtpPlain[0..<8]))
        #expect(throws: SRTPError.malformed) { try short.unprotectRTP(receiver) }
    }

    @Test(arguments: SRTPSuite.allCases)
    func replaysAreRejectedWithinTheWindowAndBehindIt(suite: SRTPSuite) throws {
        let sender = try SRTPSession(key: Self.key(suite), direction: .outbound)
        let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var packets: [Packet] = []
        for sequence in 0..<(SRTPSession.replayWindowPackets + 10) {
            var packet = Packet(Self.rtp(sequence: UInt16(sequence)))
            try packet.protectRTP(sender)
            packets.append(packet)
        }
        // Out of order within the window is fine: odd ones first, then even ones.
        for index in stride(from: 1, to: 200, by: 2) { var copy = packets[index]; try copy.unprotectRTP(receiver) }
        for index in stride(from: 0, to: 200, by: 2) { var copy = packets[index]; try copy.unprotectRTP(receiver) }
        var replays = 0
        for index in 0..<200 {
            var copy = packets[index]
            #expect(throws: SRTPError.replay) { try copy.unprotectRTP(receiver) }
            replays += 1
        }
        #expect(replays == 200)
        for index in 200..<packets.count { var copy = packets[index]; try copy.unprotectRTP(receiver) }
        // Never seen, but further behind the newest than the window reaches.
        let receiver2 = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var newest = packets[packets.count - 1]
        try newest.unprotectRTP(receiver2)
        var old = packets[0]
        #expect(throws: SRTPError.replay) { try old.unprotectRTP(receiver2) }
    }

    @Test(arguments: SRTPSuite.allCases)
    func streamFollowsTheSequenceAcrossItsWrap(suite: SRTPSuite) throws {
        let sender = try SRTPSession(key: Self.key(suite), direction: .outbound)
        let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var sequence: UInt16 = 65_500
        for _ in 0..<100 {
            var packet = Packet(Self.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            try packet.unprotectRTP(receiver)
            #expect(packet.bytes == Self.rtp(sequence: sequence))
            sequence &+= 1
        }
        #expect(sender.rolloverCounter(ssrc: 0xcafe_babe) == 1)
        #expect(receiver.rolloverCounter(ssrc: 0xcafe_babe) == 1)
    }

    /// A receiver that joins after the sender's sequence wrapped guesses rollover counter 0 (RFC 3711 §3.3.1) and
    /// fails until it is told the counter; once one packet authenticates with it, the stream follows on its own.
    @Test(arguments: SRTPSuite.allCases)
    func lateJoinerAuthenticatesOnceTheRolloverCounterIsSet(suite: SRTPSuite) throws {
        let sender = try SRTPSession(key: Self.key(suite), direction: .outbound)
        var sequence: UInt16 = 65_530
        for _ in 0..<10 {
            var packet = Packet(Self.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            sequence &+= 1
        }
        let receiver = try SRTPSession(key: Self.key(suite), direction: .inbound)
        var first = Packet(Self.rtp(sequence: sequence))
        try first.protectRTP(sender)
        sequence &+= 1
        var attempt = first
        #expect(throws: SRTPError.authenticationFailed) { try attempt.unprotectRTP(receiver) }
        #expect(receiver.rolloverCounter(ssrc: 0xcafe_babe) == nil)
        #expect(!receiver.setRolloverCounter(1, ssrc: 0xcafe_babe), "no stream before a packet authenticates")
        // An authenticated SRTCP packet (its index is explicit) creates the stream; then the counter can be set.
        var report = Packet(Self.rtcpPlain)
        try report.protectRTCP(sender)
        try report.unprotectRTCP(receiver)
        #expect(receiver.setRolloverCounter(1, ssrc: 0xcafe_babe))
        try first.unprotectRTP(receiver)
        #expect(first.bytes == Self.rtp(sequence: sequence &- 1))
        for _ in 0..<5 {
            var packet = Packet(Self.rtp(sequence: sequence))
            try packet.protectRTP(sender)
            try packet.unprotectRTP(receiver)
            sequence &+= 1
        }
        #expect(receiver.rolloverCounter(ssrc: 0xcafe_babe) == 1)
    }

    @Test func protectRefusesABufferWithoutRoomForTheTrailer() throws {
        let sender = try SRTPSession(key: Self.key(.aesCM128HMACSHA1_80), direction: .outbound)
        var bytes = Self.rtpPlain + [UInt8](repeating: 0, count: 9)
        let capacity = bytes.count
        let length = Self.rtpPlain.count
        bytes.withUnsafeMutableBytes { raw in
            #expect(throws: SRTPError.noRoom) {
                try sender.protectRTP(raw.baseAddress!, length: length, capacity: capacity)
            }
        }
    }

    static func rtp(sequence: UInt16) -> [UInt8] {
        var bytes = rtpPlain
        bytes[2] = UInt8(sequence >> 8)
        bytes[3] = UInt8(sequence & 0xFF)
        return bytes
    }
}

/// The late joiner's rollover counter from a sender report's packet count.
@Suite struct SRTPRolloverEstimateTests {
    @Test func theFittingCounterComesFirstForEveryStartingSequence() {
        for firstSequence in stride(from: 0, to: 65_536, by: 4_099) {
            for sent in [0, 1, 30_000, 65_535, 65_536, 200_000, 1_000_000] {
                for sinceReport in [0, 1, 200] {
                    let index = UInt64(firstSequence) + UInt64(sent + sinceReport)
                    let candidates = (0..<SRTPRolloverEstimate.maximumCandidates).compactMap {
                        SRTPRolloverEstimate.candidate($0, sequence: UInt16(index & 0xFFFF), packetCount: UInt32(sent))
                    }
                    let roc = UInt32(index >> 16)
                    #expect(candidates.prefix(2).contains(roc), "first \(firstSequence) sent \(sent) +\(sinceReport)")
                    if sinceReport == 0 { #expect(candidates[0] == roc) }
                }
            }
        }
    }
}
