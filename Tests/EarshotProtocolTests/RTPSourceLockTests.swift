import Testing

@testable import EarshotProtocol

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
