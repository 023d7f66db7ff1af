import EarshotImpairment
import Testing

/// A genuine-looking RTP packet: payload type 96, the given fields, `payload` bytes.
func genuinePacket(sequence: UInt16, timestamp: UInt32, ssrc: UInt32 = 0x1234_5678, payload: [UInt8] = [0xFC, 1, 2, 3])
    -> [UInt8]
{
    RTPFixedHeader(payloadType: 96, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc).packet(payload: payload)
}

@Suite struct RTPDemultiplexingTests {
    @Test func secondOctet200To204IsRTCP() {
        for type: UInt8 in 200...204 {
            #expect(RTPDemultiplexing.classify([0x80, type, 0, 1, 0, 0, 0, 0]) == .rtcp)
        }
        #expect(RTPDemultiplexing.classify([0x80, 205] + [UInt8](repeating: 0, count: 10)) == .rtp)
        #expect(RTPDemultiplexing.classify([0x80, 0x80 | 96] + [UInt8](repeating: 0, count: 10)) == .rtp)
        #expect(RTPDemultiplexing.classify([0x80, 96, 0, 1]) == .other)  // shorter than an RTP header
        #expect(RTPDemultiplexing.classify([0x40, 96] + [UInt8](repeating: 0, count: 10)) == .other)  // version 1
    }

    @Test func headerRoundTripsAndFindsThePayloadPastCSRCsAndExtension() throws {
        let bytes = genuinePacket(sequence: 0xBEEF, timestamp: 0xDEAD_BEEF, ssrc: 7, payload: [9, 8, 7])
        let header = try #require(RTPFixedHeader(parsing: bytes))
        #expect(header.sequenceNumber == 0xBEEF && header.timestamp == 0xDEAD_BEEF && header.ssrc == 7)
        #expect(header.payloadType == 96 && !header.marker)
        #expect(Array(bytes[header.payloadRange]) == [9, 8, 7])
        // One CSRC, a one-word extension, two bytes of padding.
        var extended: [UInt8] = [0xB1, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]
        extended += [0, 0, 0, 4] + [0xBE, 0xDE, 0, 1, 1, 2, 3, 4] + [5, 6] + [0, 2]
        let parsed = try #require(RTPFixedHeader(parsing: extended))
        #expect(Array(extended[parsed.payloadRange]) == [5, 6])
    }
}

@Suite struct TimestampRestamperTests {
    @Test func stepsWanderAroundTheFrameWithoutAccumulating() throws {
        var restamper = TimestampRestamper(jitterMilliseconds: 1, seed: 3)
        #expect(restamper.maximumOffset == 48)
        var previous: UInt32?
        var steps: [Int] = []
        let start: UInt32 = 0xFFFF_0000  // wraps during the run
        for index in 0..<20_000 {
            var bytes = genuinePacket(sequence: UInt16(truncatingIfNeeded: index), timestamp: start &+ UInt32(index) * 240)
            let applied = restamper.restamp(&bytes)
            let offset = try #require(applied)
            #expect(abs(offset) <= 48)
            let header = try #require(RTPFixedHeader(parsing: bytes))
            #expect(header.sequenceNumber == UInt16(truncatingIfNeeded: index))  // untouched
            #expect(header.timestamp == start &+ UInt32(index) * 240 &+ UInt32(bitPattern: offset))
            if let previous { steps.append(Int(Int32(bitPattern: header.timestamp &- previous))) }
            previous = header.timestamp
        }
        #expect(steps.min()! >= 144 && steps.max()! <= 336)
        #expect(steps.min()! < 160 && steps.max()! > 320)  // the whole range is used
        let mean = Double(steps.reduce(0, +)) / Double(steps.count)
        #expect(abs(mean - 240) < 0.1)  // sum of steps telescopes: no drift
    }

    @Test func sameSeedSameOffsetsAndRTCPIsLeftAlone() {
        var first = TimestampRestamper(jitterMilliseconds: 20, seed: 9)
        var second = TimestampRestamper(jitterMilliseconds: 20, seed: 9)
        var other = TimestampRestamper(jitterMilliseconds: 20, seed: 10)
        let a = (0..<100).map { _ in first.nextOffset() }
        let b = (0..<100).map { _ in second.nextOffset() }
        let c = (0..<100).map { _ in other.nextOffset() }
        #expect(a == b && a != c)
        #expect(a.allSatisfy { abs($0) <= 960 })
        var report: [UInt8] = [0x80, 200, 0, 6] + [UInt8](repeating: 0x11, count: 24)
        let before = report
        let offset = first.restamp(&report)
        #expect(offset == nil && report == before)
        let next = (first.nextOffset(), second.nextOffset())
        #expect(next.0 == next.1)  // the RTCP packet drew nothing
    }

    @Test func profileNamesTheFlagAndRange() {
        var profile = SenderImitationProfile()
        profile.restampJitterMilliseconds = 20.5
        #expect(throws: ImpairmentProfileError.outOfRange(parameter: "--restamp-jitter-ms", value: 20.5, valid: 0...20)) {
            try profile.validate()
        }
        profile.restampJitterMilliseconds = 1
        profile.burstSize = 17
        #expect(throws: ImpairmentProfileError.integerOutOfRange(parameter: "--burst-send", value: 17, valid: 1...16)) {
            try profile.validate()
        }
        profile.burstSize = 16
        #expect(throws: Never.self) { try profile.validate() }
    }
}

@Suite struct BurstGrouperTests {
    @Test func releasesFullGroupsInOrder() {
        var grouper = BurstGrouper<Int>(size: 3)
        let first = [grouper.add(1, now: 0), grouper.add(2, now: 5)]
        #expect(first == [[], []])
        #expect(grouper.flushDeadline(timeoutNanoseconds: 15) == 15)  // from the group's first packet
        let group = grouper.add(3, now: 10)
        #expect(group == [1, 2, 3])
        #expect(grouper.heldCount == 0 && grouper.flushDeadline(timeoutNanoseconds: 15) == nil)
    }

    @Test func flushesAPartialGroupAfterTheTimeout() {
        var grouper = BurstGrouper<Int>(size: 2)
        var released: [[Int]] = []
        released.append(grouper.add(1, now: 100))
        released.append(grouper.flushIfDue(now: 109, timeoutNanoseconds: 10))
        released.append(grouper.flushIfDue(now: 110, timeoutNanoseconds: 10))
        released.append(grouper.add(2, now: 120))  // a new group starts
        released.append(grouper.add(3, now: 125))
        released.append(grouper.add(4, now: 130))
        released.append(grouper.releaseAll())
        #expect(released == [[], [], [1], [], [2, 3], [], [4]])
    }

    @Test func sizeOneReleasesEveryElement() {
        var grouper = BurstGrouper<Int>(size: 1)
        let group = grouper.add(7, now: 0)
        #expect(group == [7])
    }
}

@Suite struct GenuineStreamStateTests {
    private func observe(_ state: inout GenuineStreamState, sequence: UInt16, timestamp: UInt32, ssrc: UInt32 = 1) {
        let bytes = genuinePacket(sequence: sequence, timestamp: timestamp, ssrc: ssrc, payload: [UInt8(sequence & 0xFF)])
        let header = RTPFixedHeader(parsing: bytes)!
        state.observe(header: header, originalTimestamp: timestamp, payload: bytes[header.payloadRange])
    }

    @Test func learnsTheFrameSizeAndKeepsTheNewestBySequence() {
        var state = GenuineStreamState()
        #expect(state.newest == nil && state.payload(packetsAgo: 0) == nil)
        #expect(state.frameDurationNanoseconds == 20_000_000)
        observe(&state, sequence: 10, timestamp: 1000)
        observe(&state, sequence: 11, timestamp: 1240)
        #expect(state.frameSamples == 240 && state.frameDurationNanoseconds == 5_000_000)
        observe(&state, sequence: 13, timestamp: 1720)
        observe(&state, sequence: 12, timestamp: 1480)  // late: not the newest
        #expect(state.newest?.sequenceNumber == 13)
        observe(&state, sequence: 65000, timestamp: 9)  // far behind: a restart
        #expect(state.newest?.sequenceNumber == 65000)
        observe(&state, sequence: 5, timestamp: 9, ssrc: 2)  // new SSRC
        #expect(state.newest?.ssrc == 2 && state.newest?.sequenceNumber == 5)
        #expect(state.packetCount == 6)
    }

    @Test func remembersRecentPayloads() {
        var state = GenuineStreamState()
        for index in 0..<300 { observe(&state, sequence: UInt16(index), timestamp: UInt32(index) * 240) }
        #expect(state.rememberedPayloads == GenuineStreamState.historyCapacity)
        #expect(state.payload(packetsAgo: 0) == [UInt8(299 & 0xFF)])
        #expect(state.payload(packetsAgo: 200) == [UInt8(99)])
        #expect(state.payload(packetsAgo: 10_000) == [UInt8((300 - 256) & 0xFF)])  // the oldest remembered
    }
}
