import EarshotImpairment
import EarshotProtocol
import Testing

/// Hostile packets are parsed back with the receiver's own parsers (EarshotProtocol), so a receiver cannot reject
/// them as malformed: they reach the logic they attack.
@Suite struct AttackPacketTests {
    static let ssrc: UInt32 = 0xCAFE_F00D
    static let toc: UInt8 = 0xF8 | 0x04  // CELT FB 20 ms, stereo, code 0 (one frame)

    /// A 5 ms stream: 300 packets, sequence 65400 upwards (wrapping), timestamp 4294960000 upwards (wrapping).
    private func stream(packets: Int = 300) -> GenuineStreamState {
        var state = GenuineStreamState()
        for index in 0..<packets {
            let payload = [Self.toc, UInt8(index & 0xFF), UInt8(index >> 8), 0]
            let bytes = genuinePacket(
                sequence: 65_400 &+ UInt16(index), timestamp: 4_294_960_000 &+ UInt32(index) * 240, ssrc: Self.ssrc,
                payload: payload)
            let header = RTPFixedHeader(parsing: bytes)!
            state.observe(header: header, originalTimestamp: header.timestamp, payload: bytes[header.payloadRange])
        }
        return state
    }

    private struct Parsed {
        var sequence: UInt16
        var timestamp: UInt32
        var ssrc: UInt32
        var payloadType: UInt8
        var marker: Bool
        var payload: [UInt8]
    }

    private func parseRTP(_ bytes: [UInt8]) throws -> Parsed {
        try bytes.withUnsafeBytes { raw in
            #expect(RTPRTCPDemultiplexer.classify(raw) == .rtp)
            let packet = try RTPPacket(validating: raw, payloadType: 96)
            #expect(OpusPacketFraming.isWellFormed(packet.payload))
            return Parsed(
                sequence: packet.sequenceNumber, timestamp: packet.timestamp, ssrc: packet.ssrc,
                payloadType: packet.payloadType, marker: packet.marker, payload: Array(packet.payload))
        }
    }

    private var newestSequence: UInt16 { 65_400 &+ 299 }
    private var newestTimestamp: UInt32 { 4_294_960_000 &+ 299 * 240 }

    @Test func nothingBeforeTheFirstGenuinePacket() {
        let empty = GenuineStreamState()
        #expect(HostileRTPPackets.farAhead(empty, ahead: 300) == nil)
        #expect(HostileRTPPackets.timestampOutlier(empty, offset: 45_120) == nil)
        #expect(HostileRTPPackets.resyncBurst(empty, ahead: 5000, count: 3).isEmpty)
        #expect(HostileRTPPackets.ssrcSpoof(empty, payload: .old, previous: nil) == nil)
        #expect(RTCPSpoofPackets.spoofedSenderReport(empty, ntpTimestamp: 1) == nil)
        var strangers = ProbationStrangers(count: 4, seed: 1)
        let none = strangers.next(empty)
        #expect(none == nil)
    }

    @Test func farAheadIs300PastTheNewestWithAGenuinePayload() throws {
        let state = stream()
        let packet = try parseRTP(try #require(HostileRTPPackets.farAhead(state, ahead: 300)))
        #expect(packet.ssrc == Self.ssrc && packet.payloadType == 96 && !packet.marker)
        #expect(packet.sequence == newestSequence &+ 300)
        #expect(packet.timestamp == newestTimestamp &+ 300 * 240)
        #expect(packet.payload == state.payload(packetsAgo: 0))
    }

    @Test func timestampOutlierIsTheNextSequenceNumber094SecondsOff() throws {
        let state = stream()
        let packet = try parseRTP(try #require(HostileRTPPackets.timestampOutlier(state, offset: 45_120)))
        #expect(packet.ssrc == Self.ssrc)
        #expect(packet.sequence == newestSequence &+ 1)
        #expect(packet.timestamp == newestTimestamp &+ 240 &+ 45_120)
        let early = try parseRTP(try #require(HostileRTPPackets.timestampOutlier(state, offset: -45_120)))
        #expect(early.timestamp == newestTimestamp &+ 240 &- 45_120)
    }

    @Test func resyncBurstIsThreeInSequencePackets5000Ahead() throws {
        let state = stream()
        let packets = try HostileRTPPackets.resyncBurst(state, ahead: 5000, count: 3).map(parseRTP)
        #expect(packets.count == 3)
        for (index, packet) in packets.enumerated() {
            #expect(packet.ssrc == Self.ssrc)
            #expect(packet.sequence == newestSequence &+ 5000 &+ UInt16(index))
            #expect(packet.timestamp == newestTimestamp &+ UInt32(5000 + index) * 240)
        }
    }

    @Test func ssrcSpoofContinuesTheStreamWithAnotherValidPayload() throws {
        let state = stream()
        let old = try parseRTP(try #require(HostileRTPPackets.ssrcSpoof(state, payload: .old, previous: nil)).bytes)
        #expect(old.ssrc == Self.ssrc)
        #expect(old.sequence == newestSequence &+ 1 && old.timestamp == newestTimestamp &+ 240)
        #expect(old.payload == state.payload(packetsAgo: HostileRTPPackets.spoofPayloadLag))
        #expect(old.payload != state.payload(packetsAgo: 0))
        let silence = try parseRTP(
            try #require(HostileRTPPackets.ssrcSpoof(state, payload: .silence, previous: nil)).bytes)
        #expect(silence.payload == [Self.toc & 0xFC])  // same configuration, code 0, one empty frame
        #expect(silence.sequence == old.sequence && silence.timestamp == old.timestamp)
        // With only one payload remembered, `old` would repeat it: silence instead.
        let first = try parseRTP(
            try #require(HostileRTPPackets.ssrcSpoof(stream(packets: 1), payload: .old, previous: nil)).bytes)
        #expect(first.payload == [Self.toc & 0xFC])
    }

    @Test func ssrcSpoofNeverRepeatsWhileTheGenuineStreamStalls() throws {
        let state = stream()
        var previous: RTPFixedHeader?
        for step in 1...5 {  // no genuine packet in between: the spoofer runs on from its own previous packet
            let spoof = try #require(HostileRTPPackets.ssrcSpoof(state, payload: .old, previous: previous))
            let packet = try parseRTP(spoof.bytes)
            #expect(packet.sequence == newestSequence &+ UInt16(step))
            #expect(packet.timestamp == newestTimestamp &+ UInt32(step) * 240)
            previous = spoof.header
        }
        // The genuine stream overtakes the spoofer: it continues from the newest genuine packet again.
        var behind = try #require(previous)
        behind.sequenceNumber = newestSequence &- 3
        let resumed = try #require(HostileRTPPackets.ssrcSpoof(state, payload: .old, previous: behind))
        #expect(resumed.header.sequenceNumber == newestSequence &+ 1)
    }

    @Test func spoofedGoodbyeAndSenderReportAreValidCompounds() throws {
        let state = stream()
        let goodbye = RTCPSpoofPackets.goodbye(ssrc: Self.ssrc)
        var sawGoodbye = false
        try goodbye.withUnsafeBytes { raw in
            #expect(RTPRTCPDemultiplexer.classify(raw) == .rtcp)
            #expect(RTPDemultiplexing.classify(raw) == .rtcp)
            var kinds: [String] = []
            for packet in try RTCPCompoundPacket(validating: raw) {
                switch packet {
                case .receiverReport(let report):
                    kinds.append("rr")
                    #expect(report.ssrc == Self.ssrc && report.reportCount == 0)
                case .goodbye(let bye):
                    kinds.append("bye")
                    #expect(bye.sourceCount == 1 && bye.source(at: 0) == Self.ssrc && bye.reason == nil)
                    sawGoodbye = true
                default:
                    kinds.append("other")
                }
            }
            #expect(kinds == ["rr", "bye"])
        }
        #expect(sawGoodbye)

        let unixNanoseconds: Int64 = 1_700_000_000_250_000_000
        let ntp = RTCPSpoofPackets.ntpTimestamp(unixNanoseconds: unixNanoseconds)
        #expect(ntp >> 32 == 1_700_000_000 + 2_208_988_800 && ntp & 0xFFFF_FFFF == 1 << 30)  // .25 s
        let report = try #require(RTCPSpoofPackets.spoofedSenderReport(state, ntpTimestamp: ntp))
        try report.withUnsafeBytes { raw in
            #expect(RTPDemultiplexing.classify(raw) == .rtcp)
            var count = 0
            for packet in try RTCPCompoundPacket(validating: raw) {
                count += 1
                guard case .senderReport(let sr) = packet else {
                    Issue.record("expected an SR")
                    continue
                }
                #expect(sr.ssrc == Self.ssrc && sr.reportCount == 0)
                #expect(sr.senderInfo.ntpTimestamp == NTPTimestamp(rawValue: ntp))
                #expect(sr.senderInfo.rtpTimestamp == newestTimestamp &+ 45_120)
                #expect(sr.senderInfo.packetCount == 0 && sr.senderInfo.octetCount == 0)
            }
            #expect(count == 1)
        }
    }

    @Test func strangersAreForeignInSequenceAndInterleaved() throws {
        let state = stream()
        var strangers = ProbationStrangers(count: 4, seed: 77)
        #expect(Set(strangers.ssrcs).count == 4 && !strangers.ssrcs.contains(Self.ssrc))
        var packets: [Parsed] = []
        for _ in 0..<40 {
            let bytes = strangers.next(state)
            packets.append(try parseRTP(try #require(bytes)))
        }
        for (index, packet) in packets.enumerated() {
            #expect(packet.ssrc == strangers.ssrcs[index % 4])  // round-robin: never two in a row
            #expect(packet.payload == state.payload(packetsAgo: 0))
            if index >= 4 {
                #expect(packet.sequence == packets[index - 4].sequence &+ 1)
                #expect(packet.timestamp == packets[index - 4].timestamp &+ 240)
            }
        }
    }

    @Test func strangersNeverTakeTheStreamSSRC() throws {
        var probe = ProbationStrangers(count: 3, seed: 5)
        let taken = probe.ssrcs[1]
        var state = GenuineStreamState()
        let bytes = genuinePacket(sequence: 1, timestamp: 1, ssrc: taken)
        let header = RTPFixedHeader(parsing: bytes)!
        state.observe(header: header, originalTimestamp: 1, payload: bytes[header.payloadRange])
        var ssrcs: [UInt32] = []
        for _ in 0..<6 {
            let bytes = probe.next(state)
            ssrcs.append(try parseRTP(try #require(bytes)).ssrc)
        }
        #expect(!ssrcs.contains(taken))
        #expect(Set(ssrcs).count == 3)
    }

    @Test func floodMixesGarbageAndForeignRTP() throws {
        var generator = FloodPacketGenerator(seed: 4, garbagePercent: 50, payloadType: 96, streamSSRC: Self.ssrc)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FloodPacketGenerator.maximumPacketSize, alignment: 16)
        defer { buffer.deallocate() }
        var rtp = 0
        var garbage = 0
        var ssrcs = Set<UInt32>()
        for _ in 0..<10_000 {
            let (count, kind) = generator.next(into: buffer)
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            switch kind {
            case .garbage:
                garbage += 1
                #expect(FloodPacketGenerator.garbageLengthRange.contains(count))
                #expect(bytes[0] >> 6 != 2)
                #expect(RTPRTCPDemultiplexer.classify(bytes) == .neither)
            case .rtp:
                rtp += 1
                let packet = try RTPPacket(validating: bytes, payloadType: 96)
                #expect(packet.ssrc != Self.ssrc && packet.ssrc != 0)
                #expect(FloodPacketGenerator.rtpPayloadLengthRange.contains(packet.payloadCount))
                ssrcs.insert(packet.ssrc)
            }
        }
        #expect(abs(rtp - 5000) < 300 && rtp + garbage == 10_000)
        #expect(ssrcs.count > 4000)
        var allRTP = FloodPacketGenerator(seed: 4, garbagePercent: 0, payloadType: 96, streamSSRC: Self.ssrc)
        let kinds = (0..<100).map { _ in allRTP.next(into: buffer).kind }
        #expect(kinds.allSatisfy { $0 == .rtp })
    }
}

@Suite struct AttackSpecTests {
    @Test func defaultsPerClass() throws {
        let far = try AttackSpec(parsing: "far-ahead")
        #expect(far.kind == .farAhead && far.ahead == 300 && far.intervalMilliseconds == 50 && far.source == .genuine)
        let outlier = try AttackSpec(parsing: "timestamp-outlier")
        #expect(outlier.offset == 45_120 && outlier.intervalMilliseconds == 4000)
        let resync = try AttackSpec(parsing: "resync-burst")
        #expect(resync.ahead == 5000 && resync.count == 3 && resync.intervalMilliseconds == 60)
        let spoof = try AttackSpec(parsing: "ssrc-spoof")
        #expect(spoof.intervalMilliseconds == nil && spoof.source == .other && spoof.payload == .old)
        let bye = try AttackSpec(parsing: "spoofed-bye")
        #expect(bye.intervalMilliseconds == 1000 && bye.source == .other && bye.ports == .both)
        let strangers = try AttackSpec(parsing: "probation-starvation")
        #expect(strangers.strangers == 4 && strangers.intervalMilliseconds == nil)
        let flood = try AttackSpec(parsing: "flood")
        #expect(flood.rate == 50_000 && flood.garbagePercent == 50)
    }

    @Test func parametersOverrideDefaults() throws {
        let spec = try AttackSpec(parsing: "resync-burst:ahead=4000,count=2,interval-ms=100,after-ms=500,source=other")
        #expect(spec.ahead == 4000 && spec.count == 2 && spec.intervalMilliseconds == 100)
        #expect(spec.afterMilliseconds == 500 && spec.source == .other)
        #expect(try AttackSpec(parsing: "flood:rate=20000,garbage=0").rate == 20_000)
        #expect(try AttackSpec(parsing: "timestamp-outlier:offset=-45120").offset == -45_120)
    }

    @Test(arguments: [
        ("nonsense", "valid: far-ahead, timestamp-outlier"),
        ("far-ahead:ahead=0", "ahead=0 is out of range; valid: integers 1...32767"),
        ("far-ahead:ahead=40000", "valid: integers 1...32767"),
        ("flood:rate=2000000", "valid: integers 1...1000000"),
        ("flood:interval-ms=5", "unknown parameter 'interval-ms' for flood; valid: after-ms, rate, garbage"),
        ("ssrc-spoof:payload=noise", "valid: old, silence"),
        ("spoofed-bye:ports=5", "valid: both, rtcp, rtp"),
        ("probation-starvation:strangers=1", "valid: integers 2...64"),
        ("far-ahead:interval-ms=0", "valid: 0.5...600000"),
        ("far-ahead:ahead", "needs a value"),
        ("far-ahead:ahead=1,ahead=2", "given twice"),
    ])
    func badArgumentsNameTheAttackAndTheValidValues(text: String, message: String) {
        do {
            _ = try AttackSpec(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description.hasPrefix("--attack '\(text)'"))
            #expect(error.description.contains(message), "\(error)")
        }
    }
}

@Suite struct PeriodicTimerTests {
    @Test func firesOncePerPeriodAndSkipsMissedTicks() {
        var timer = PeriodicTimer()
        func fire(_ now: Int64) -> Bool { timer.fireIfDue(now: now, periodNanoseconds: 10) }
        #expect(fire(1_000) == false)  // disarmed
        timer.arm(firstDue: 100)
        let fired = [fire(99), fire(100), fire(105), fire(112)]
        #expect(fired == [false, true, false, true] && timer.nextDue == 120)
        #expect(fire(175) && timer.nextDue == 185)  // no catch-up burst
    }
}
