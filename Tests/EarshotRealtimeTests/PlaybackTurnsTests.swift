import EarshotALSA
@testable import EarshotRealtime
import Foundation
import Testing

/// `PlaybackCounters.turns`, the playback thread's liveness sign for the service watchdog: it grows while the loop
/// runs, and the debug-only stall hook stops it (as a stuck thread would) while `stop()` still ends the thread.
@Suite struct PlaybackTurnsTests {
    /// The turns after `seconds` more of running.
    static func turns(after seconds: Double, of playback: PlaybackThread) -> Int {
        usleep(UInt32(seconds * 1e6))
        return playback.counters.turns
    }

    /// On the timer (the file plugin always has room, so each turn sleeps a period): about 200 turns a second.
    static func makeThread(_ file: PlaybackThreadFileTests.FilePCM, ring: RingBuffer, stallAfter: Double?) throws
        -> PlaybackThread
    {
        var options = PlaybackThread.Options(scheduling: .normal, pacing: .timer)
        options.stallsAfterNanoseconds = stallAfter.map { Int($0 * 1e9) }
        return PlaybackThread(device: try file.openDevice(), ring: ring, options: options)
    }

    @Test func turnsGrowWhileTheLoopRuns() throws {
        let file = try PlaybackThreadFileTests.FilePCM()
        defer { file.remove() }
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let playback = try Self.makeThread(file, ring: ring, stallAfter: nil)
        try playback.start()
        let first = Self.turns(after: 0.2, of: playback)
        let second = Self.turns(after: 0.2, of: playback)
        playback.stop()
        let stopped = playback.counters.turns
        let third = Self.turns(after: 0.1, of: playback)
        // A 5 ms period: 40 turns in 0.2 s; a loaded 2-core host may take fewer, never none.
        #expect(first > 5 && second > first + 5, "turns \(first) then \(second)")
        #expect(third == stopped, "a stopped thread does not turn")
    }

    @Test func stallHookStopsTheTurnsAndStopStillEndsTheThread() throws {
        let file = try PlaybackThreadFileTests.FilePCM()
        defer { file.remove() }
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let playback = try Self.makeThread(file, ring: ring, stallAfter: 0.15)
        try playback.start()
        let beforeStall = Self.turns(after: 0.1, of: playback)
        let stalled = Self.turns(after: 0.2, of: playback)
        let later = Self.turns(after: 0.2, of: playback)
        let stopStart = Date()
        playback.stop()
        let stopSeconds = Date().timeIntervalSince(stopStart)
        #expect(beforeStall > 0)
        #expect(later == stalled, "turns after the stall: \(stalled) then \(later)")
        // The stalled loop still looks at the stop flag every 10 ms.
        #expect(stopSeconds < 0.5, "stop took \(stopSeconds) s")
    }
}

@Suite struct RealtimeMemoryLockTests {
    @Test func locksOnlyWhereNothingCanFailLater() {
        #expect(RealtimeMemoryLock.mayLock(limitBytes: nil, hasIPCLockCapability: false))
        #expect(RealtimeMemoryLock.mayLock(limitBytes: 64 * 1024, hasIPCLockCapability: true))
        // A finite limit without the capability: MCL_FUTURE would make allocations past it fail.
        #expect(!RealtimeMemoryLock.mayLock(limitBytes: 1 << 40, hasIPCLockCapability: false))
    }

    @Test func outcomesSayWhatToDo() {
        #expect(RealtimeMemoryLock.Outcome.limited(bytes: 8 << 20).description.contains("RLIMIT_MEMLOCK is 8192 KiB"))
        #expect(RealtimeMemoryLock.Outcome.limited(bytes: 8 << 20).description.contains("LimitMEMLOCK=infinity"))
        #expect(!RealtimeMemoryLock.Outcome.limited(bytes: 0).isLocked)
    }
}
