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
