import Testing

@testable import EarshotProtocol

@Suite struct RTPSourceLockTests {
    @Test func locksOntoFirstSourceAndRejectsOthers() {
        var lock = RTPSourceLock<Int>()
        #expect(lock.admit(ssrc: 1, sequenceNumber: 10, from: Int(1), nowNanoseconds: 0) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 11, from: Int(1), nowNanoseconds: 5) == .acceptNewSource(previous: nil))
        #expect(lock.admit(ssrc: 2, sequenceNumber: 500, from: Int(2), nowNanoseconds: 10) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 1, sequenceNumber: 12, from: Int(1), nowNanoseconds: 1_000_000_000) == .accept)
        // 1.999 s after the last packet of source 1: still locked.
        #expect(lock.admit(ssrc: 2, sequenceNumber: 501, from: Int(2), nowNanoseconds: 2_999_000_000) == .reject(.foreignSource))
        #expect(lock.admit(ssrc: 2, sequenceNumber: 502, from: Int(2), nowNanoseconds: 3_000_000_000) == .probation)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 503, from: Int(2), nowNanoseconds: 3_005_000_000) == .acceptNewSource(previous: 1))
        #expect(lock.lockedSource == 2)
    }

    @Test func oneStrayDatagramCannotTakeOver() {
        var lock = RTPSourceLock<Int>()
        // A stray packet, then the real stream: the stray never gets a second packet in sequence.
        #expect(lock.admit(ssrc: 0xBAD, sequenceNumber: 7, from: Int(0xBAD), nowNanoseconds: 0) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 100, from: Int(1), nowNanoseconds: 1) == .probation)
        #expect(lock.admit(ssrc: 1, sequenceNumber: 101, from: Int(1), nowNanoseconds: 2) == .acceptNewSource(previous: nil))
        #expect(lock.admit(ssrc: 0xBAD, sequenceNumber: 8, from: Int(0xBAD), nowNanoseconds: 3) == .reject(.foreignSource))
        // Out of sequence does not complete probation either.
        var other = RTPSourceLock<Int>()
        #expect(other.admit(ssrc: 5, sequenceNumber: 1, from: Int(5), nowNanoseconds: 0) == .probation)
        #expect(other.admit(ssrc: 5, sequenceNumber: 3, from: Int(5), nowNanoseconds: 1) == .probation)
        #expect(other.admit(ssrc: 5, sequenceNumber: 4, from: Int(5), nowNanoseconds: 2) == .acceptNewSource(previous: nil))
    }

    @Test func goodbyeUnlocksImmediately() {
        var lock = RTPSourceLock<Int>(silenceTimeoutNanoseconds: 5_000_000_000)
        _ = lock.admit(ssrc: 1, sequenceNumber: 0, from: Int(1), nowNanoseconds: 0)
        _ = lock.admit(ssrc: 1, sequenceNumber: 1, from: Int(1), nowNanoseconds: 0)
        lock.goodbye(ssrc: 99)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 40, from: Int(2), nowNanoseconds: 1) == .reject(.foreignSource))
        lock.goodbye(ssrc: 1)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 41, from: Int(2), nowNanoseconds: 2) == .probation)
        #expect(lock.admit(ssrc: 2, sequenceNumber: 42, from: Int(2), nowNanoseconds: 3) == .acceptNewSource(previous: nil))
    }

    @Test func theLockedSSRCFromAnotherAddressIsACollision() {
        var lock = RTPSourceLock<Int>()
        _ = lock.admit(ssrc: 7, sequenceNumber: 1, from: 100, nowNanoseconds: 0)
        #expect(lock.admit(ssrc: 7, sequenceNumber: 2, from: 100, nowNanoseconds: 1) == .acceptNewSource(previous: nil))
        #expect(lock.lockedAddress == 100)
        #expect(lock.admit(ssrc: 7, sequenceNumber: 3, from: 666, nowNanoseconds: 2) == .reject(.sourceCollision))
        #expect(lock.admit(ssrc: 7, sequenceNumber: 3, from: 100, nowNanoseconds: 3) == .accept)
        // After the timeout the same SSRC may come back from a new address, through probation.
        #expect(lock.admit(ssrc: 7, sequenceNumber: 9, from: 200, nowNanoseconds: 3_000_000_000) == .probation)
        #expect(lock.admit(ssrc: 7, sequenceNumber: 10, from: 200, nowNanoseconds: 3_000_000_001)
            == .acceptNewSource(previous: 7))
    }

    /// Strangers interleaving packets (each in sequence on its own) cannot reset the genuine sender's probation:
    /// each sending address has its own candidate slot.
    @Test func interleavedStrangersCannotStarveAGenuineSender() {
        var lock = RTPSourceLock<Int>(candidateCapacity: 8)
        var now: UInt64 = 0
        for stranger in 0..<6 {
            // Out of sequence strangers: never complete probation themselves.
            #expect(lock.admit(ssrc: UInt32(900 + stranger), sequenceNumber: UInt16(stranger * 7), from: 900 + stranger,
                               nowNanoseconds: now) == .probation)
            now += 1
        }
        #expect(lock.admit(ssrc: 1, sequenceNumber: 50, from: 1, nowNanoseconds: now) == .probation)
        for stranger in 0..<6 {
            _ = lock.admit(ssrc: UInt32(900 + stranger), sequenceNumber: UInt16(stranger * 7 + 3), from: 900 + stranger,
                           nowNanoseconds: now + 1)
        }
        #expect(lock.admit(ssrc: 1, sequenceNumber: 51, from: 1, nowNanoseconds: now + 2) == .acceptNewSource(previous: nil))
        // With a single slot the same sequence starves it: the control that makes this test able to fail.
        var single = RTPSourceLock<Int>(candidateCapacity: 1)
        _ = single.admit(ssrc: 1, sequenceNumber: 50, from: 1, nowNanoseconds: 0)
        _ = single.admit(ssrc: 900, sequenceNumber: 3, from: 900, nowNanoseconds: 1)
        #expect(single.admit(ssrc: 1, sequenceNumber: 51, from: 1, nowNanoseconds: 2) == .probation)
    }
}
