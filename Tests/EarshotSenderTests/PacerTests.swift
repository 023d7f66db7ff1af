#if canImport(Glibc)
import Glibc
#endif
import EarshotSender
import Testing

@Suite(.serialized) struct PacerTests {
    /// 2 s of 5 ms ticks: every deadline sits exactly on `start + n * frame`, no tick fires early, and the
    /// number of ticks issued matches the elapsed time within one frame (a relative sleep would drift by the
    /// per-wake overhead times 400 and fail here). The last wake's own scheduling lateness is allowed for.
    @Test func deadlinesDoNotDrift() {
        let frame: Int64 = 5_000_000
        var pacer = Pacer(frameDuration: frame)
        var last = pacer.waitForNextTick()
        var latenesses: [Int64] = [last.lateness]
        while last.deadline - pacer.start < 2_000_000_000 {
            last = pacer.waitForNextTick()
            latenesses.append(last.lateness)
            #expect(last.deadline == pacer.start + Int64(last.index) * frame)
            #expect(last.lateness >= 0)
        }
        let elapsed = Pacer.now() - pacer.start
        let issued = Double(last.index + 1)
        let expected = Double(elapsed) / Double(frame)
        #expect(abs(issued - expected) <= 1 + Double(last.lateness) / Double(frame), "issued \(issued) in \(expected) frames")
        #expect(last.index == 400 || pacer.resynchronizations > 0)
        latenesses.sort()
        print("pacer lateness µs p50 \(latenesses[latenesses.count / 2] / 1000) p99 \(latenesses[latenesses.count * 99 / 100] / 1000) max \(latenesses.last! / 1000); missed \(pacer.missedDeadlines), resyncs \(pacer.resynchronizations)")
    }

    /// A stall longer than the resynchronisation limit skips the missed ticks on the same grid instead of bursting.
    @Test func stallResynchronisesInsteadOfBursting() {
        let frame: Int64 = 5_000_000
        var pacer = Pacer(frameDuration: frame)
        _ = pacer.waitForNextTick()
        usleep(150_000)  // the process "stopped" for 150 ms, far past the 40 ms limit
        let resumed = pacer.waitForNextTick()
        #expect(pacer.resynchronizations == 1)
        #expect(resumed.skippedTicks >= 25)
        #expect(resumed.deadline == pacer.start + Int64(resumed.index) * frame)
        #expect(resumed.deadline >= pacer.start + 150_000_000, "resumes on a future deadline, not the backlog")
        let next = pacer.waitForNextTick()
        #expect(next.index == resumed.index + 1 && next.skippedTicks == 0)
    }

    @Test func rtpClockCountsSamplesFromARandomOffset() {
        var clock = RTPClock(initialOffset: UInt32.max - 100)
        #expect(clock.timestamp == UInt32.max - 100)
        clock.advance(frames: 240)
        #expect(clock.timestamp == 139, "wraps modulo 2^32")
        clock.advance(frames: 240)
        #expect(clock.timestamp == 379 && clock.frames == 480)
    }
}
