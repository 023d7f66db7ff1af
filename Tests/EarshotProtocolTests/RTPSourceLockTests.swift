import Testing

@testable import EarshotProtocol

@Suite struct RTPSourceLockTests {
    @Test func locksOntoFirstSourceAndRejectsOthers() {
        var lock = RTPSourceLock()
        #expect(lock.admit(ssrc: 1, sequenceNumber: 10, nowNanoseconds: 0) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 11, nowNanoseconds: 5) == .acceptNewSource(previous: nil))
        #expect(lock.admit(ssrc: 2, sequenceNumber: 500, nowNanoseconds: 10) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 1, sequenceNumber: 12, nowNanoseconds: 1_000_000_000) == .accept)
        // 1.999 s after the last packet of source 1: still locked.
        #expect(lock.admit(ssrc: 2, sequenceNumber: 501, nowNanoseconds: 2_999_000_000) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 2, sequenceNumber: 502, nowNanoseconds: 3_000_000_000) == .probation)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 503, nowNanoseconds: 3_005_000_000) == .acceptNewSource(previous: 1))
        #expect(lock.lockedSource == 2)
    }

    @Test func oneStrayDatagramCannotTakeOver() {
        var lock = RTPSourceLock()
        // A stray packet, then the real stream: the stray never gets a second packet in sequence.
        #expect(lock.admit(ssrc: 0xBAD, sequenceNumber: 7, nowNanoseconds: 0) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 100, nowNanoseconds: 1) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 101, nowNanoseconds: 2) == .acceptNewSource(previous: nil))
        #expect(lock.admit(ssrc: 0xBAD, sequenceNumber: 8, nowNanoseconds: 3) == .reject(.foreignSource))
        // Out of sequence does not complete probation either.
        var other = RTPSourceLock()
        #expect(other.admit(ssrc: 5, sequenceNumber: 1, nowNanoseconds: 0) == .probation)
        #expect(other.admit(ssrc: 5, sequenceNumber: 3, nowNanoseconds: 1) == .probation)
        #expect(other.admit(ssrc: 5, sequenceNumber: 4, nowNanoseconds: 2) == .acceptNewSource(previous: nil))
    }

    @Test func goodbyeUnlocksImmediately() {
        var lock = RTPSourceLock(silenceTimeoutNanoseconds: 5_000_000_000)
        _ = lock.admit(ssrc: 1, sequenceNumber: 0, nowNanoseconds: 0)
        _ = lock.admit(ssrc: 1, sequenceNumber: 1, nowNanoseconds: 0)
        lock.goodbye(ssrc: 99)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 40, nowNanoseconds: 1) == .reject(.foreignSource))
        lock.goodbye(ssrc: 1)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 41, nowNanoseconds: 2) == .probation)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 42, nowNanoseconds: 3) == .acceptNewSource(previous: nil))
    }
}
