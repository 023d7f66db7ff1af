import Testing

@testable import EarshotProtocol

@Suite struct RTPSequenceTrackerTests {
    /// A tracker already through probation at `start` (two sequential packets: start-1, start).
    func validated(at start: UInt16) -> RTPSequenceTracker {
        var tracker = RTPSequenceTracker(firstSequence: start &- 1)
        #expect(tracker.update(start &- 1).classification == .probation)
        #expect(tracker.update(start).classification == .inOrder(gap: 0))
        #expect(tracker.isValidated)
        return tracker
    }

    @Test func probationNeedsTwoSequentialPackets() {
        var tracker = RTPSequenceTracker(firstSequence: 100)
        let first = tracker.update(100)
        #expect(first.classification == .probation && !first.isValid && first.extendedSequence == 100)
        // Not sequential: probation restarts at this packet.
        #expect(tracker.update(500).classification == .probation)
        #expect(!tracker.isValidated)
        let confirmed = tracker.update(501)
        #expect(confirmed.classification == .inOrder(gap: 0) && confirmed.extendedSequence == 501)
        #expect(tracker.baseSequence == 501 && tracker.received == 1)
    }

    @Test func wrapAroundAt65535ExtendsMonotonically() {
        var tracker = validated(at: 65534)
        #expect(tracker.update(65535).extendedSequence == 65535)
        let wrapped = tracker.update(0)
        #expect(wrapped.classification == .inOrder(gap: 0) && wrapped.extendedSequence == 65536)
        #expect(tracker.update(1).extendedSequence == 65537)
        #expect(tracker.extendedHighestSequence == 65537)
        // A late packet from before the wrap maps below the wrap point.
        let late = tracker.update(65533)
        #expect(late.classification == .reordered && late.extendedSequence == 65533)
    }

    @Test func gapsWithinDropoutAreInOrderWithLossCount() {
        var tracker = validated(at: 10)
        #expect(tracker.update(15).classification == .inOrder(gap: 4))
        #expect(tracker.update(15 + 2999).classification == .inOrder(gap: 2998))
    }

    @Test func duplicatesAndReorderingWithinMisorder() {
        var tracker = validated(at: 1000)
        _ = tracker.update(1001)
        _ = tracker.update(1003)
        #expect(tracker.update(1003) == RTPSequenceUpdate(classification: .duplicate, extendedSequence: 1003))
        #expect(tracker.update(1002) == RTPSequenceUpdate(classification: .reordered, extendedSequence: 1002))
        // 99 behind is the oldest packet still treated as reordered.
        #expect(tracker.update(1003 - 99).classification == .reordered)
        #expect(tracker.extendedHighestSequence == 1003)
    }

    @Test func largeJumpIsDroppedUntilConfirmedThenResyncs() {
        var tracker = validated(at: 200)
        let jump = tracker.update(40_000)
        #expect(jump == RTPSequenceUpdate(classification: .jump, extendedSequence: nil) && !jump.isValid)
        #expect(tracker.extendedHighestSequence == 200)
        // Old stream continues: still accepted.
        #expect(tracker.update(201).classification == .inOrder(gap: 0))
        // Another jump, then the packet after it: the sender restarted, resync.
        #expect(tracker.update(50_000).classification == .jump)
        let resync = tracker.update(50_001)
        #expect(resync == RTPSequenceUpdate(classification: .resync, extendedSequence: 50_001))
        #expect(tracker.baseSequence == 50_001 && tracker.received == 1)
        #expect(tracker.update(50_002).classification == .inOrder(gap: 0))
    }

    @Test func backwardsBeyondMisorderIsAJump() {
        var tracker = validated(at: 5000)
        // A.1 accepts up to MAX_MISORDER - 1 = 99 behind; 100 behind is a jump.
        #expect(tracker.update(5000 - 99).classification == .reordered)
        #expect(tracker.update(5000 - 100).classification == .jump)
        // A restart to an older sequence number resyncs too, once two sequential packets confirm it.
        #expect(tracker.update(1000).classification == .jump)
        #expect(tracker.update(1001) == RTPSequenceUpdate(classification: .resync, extendedSequence: 1001))
    }

    @Test func dropoutBoundaryIsAJump() {
        var tracker = validated(at: 0)
        #expect(tracker.update(3000).classification == .jump)
    }
}

@Suite struct InterarrivalJitterTests {
    @Test func constantTransitHasZeroJitter() {
        var jitter = InterarrivalJitter()
        for index in 0..<100 {
            let timestamp = UInt32(index * 240) &+ 0xFFFF_0000
            jitter.update(arrival: timestamp &+ 5_000, timestamp: timestamp)
        }
        #expect(jitter.jitter == 0)
    }

    @Test func alternatingDelayConvergesToItsAmplitude() {
        // Transit alternates ±D around a constant: |D(i-1,i)| = 2D each packet, so J converges to 2D (A.8).
        var jitter = InterarrivalJitter()
        for index in 0..<2000 {
            let timestamp = UInt32(index * 240)
            let delay: UInt32 = index % 2 == 0 ? 1000 : 1000 + 96
            jitter.update(arrival: timestamp + delay, timestamp: timestamp)
        }
        #expect((94...96).contains(jitter.jitter))
    }

    @Test func matchesTheFloatingPointFormula() {
        var jitter = InterarrivalJitter()
        var reference = 0.0
        var previousTransit: Double?
        var seed: UInt32 = 12345
        for index in 0..<500 {
            seed = seed &* 1_103_515_245 &+ 12345
            let delay = Double(seed >> 20)  // 0..4095 units of jitter
            let timestamp = UInt32(index * 480)
            jitter.update(arrival: timestamp &+ UInt32(delay), timestamp: timestamp)
            if let previousTransit { reference += (abs(delay - previousTransit) - reference) / 16 }
            previousTransit = delay
        }
        #expect(abs(Double(jitter.jitter) - reference) <= 2, "integer \(jitter.jitter) vs float \(reference)")
        #expect(reference > 100)
    }
}

@Suite struct RTPReceptionStatisticsTests {
    @Test func lossFractionAndCumulativeLossPerA3() {
        var stats = RTPReceptionStatistics(ssrc: 7, firstSequence: 65530)
        var arrival: UInt32 = 0
        func feed(_ sequence: UInt16) {
            arrival &+= 240
            _ = stats.record(sequenceNumber: sequence, timestamp: arrival, arrival: arrival)
        }
        feed(65530)
        feed(65531)  // validated; base 65531
        for sequence in [65532, 65533, 65535, 0, 1, 3] as [UInt16] { feed(sequence) }  // lost 65534 and 2
        var block = stats.makeReportBlock()
        #expect(block.ssrc == 7)
        #expect(block.extendedHighestSequence == 65536 + 3)
        #expect(stats.expected == 9)  // 65531 ... 65539
        #expect(block.cumulativeLost == 2)
        #expect(block.fractionLost == UInt8((2 << 8) / 9))
        #expect(block.jitter == 0)
        // Next interval: no loss, one duplicate → fraction 0, cumulative drops by one.
        feed(4)
        feed(4)
        block = stats.makeReportBlock(lastSenderReport: 0x1234_5678, delaySinceLastSenderReport: 65536)
        #expect(block.fractionLost == 0 && block.cumulativeLost == 1)
        #expect(block.lastSenderReport == 0x1234_5678 && block.delaySinceLastSenderReport == 65536)
    }
}

@Suite struct RTPSourceLockTests {
    @Test func locksOntoFirstSourceAndRejectsOthers() {
        var lock = RTPSourceLock()
        #expect(lock.admit(ssrc: 1, nowNanoseconds: 0) == .acceptNewSource(previous: nil))
        #expect(lock.admit(ssrc: 2, nowNanoseconds: 10) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 1, nowNanoseconds: 1_000_000_000) == .accept)
        // 1.999 s after the last packet of source 1: still locked.
        #expect(lock.admit(ssrc: 2, nowNanoseconds: 2_999_000_000) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 2, nowNanoseconds: 3_000_000_000) == .acceptNewSource(previous: 1))
        #expect(lock.lockedSource == 2)
    }

    @Test func goodbyeUnlocksImmediately() {
        var lock = RTPSourceLock(silenceTimeoutNanoseconds: 5_000_000_000)
        _ = lock.admit(ssrc: 1, nowNanoseconds: 0)
        lock.goodbye(ssrc: 99)
        #expect(lock.admit(ssrc: 2, nowNanoseconds: 1) == .reject(.foreignSource))
        lock.goodbye(ssrc: 1)
        #expect(lock.admit(ssrc: 2, nowNanoseconds: 2) == .acceptNewSource(previous: nil))
    }
}
