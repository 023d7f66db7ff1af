import EarshotNet
@testable import EarshotReceiver
import Foundation
import Testing

@Suite struct ReceiverLivenessTests {
    static let start = ReceiverThreadProgress(playbackTurns: 10, producerWakes: 100)

    @Test func aliveOnlyWhenBothThreadsTurnedSinceTheLastFeed() {
        var liveness = ReceiverLiveness(baseline: Self.start)
        let both = ReceiverThreadProgress(playbackTurns: 11, producerWakes: 101)
        #expect(liveness.verdict(both, deviceState: .playing) == .alive)
        #expect(liveness.verdict(ReceiverThreadProgress(playbackTurns: 10, producerWakes: 101), deviceState: .playing)
            == .stalled(.playback))
        #expect(liveness.verdict(ReceiverThreadProgress(playbackTurns: 11, producerWakes: 100), deviceState: .playing)
            == .stalled(.producer))
        // Standby: the playback thread polls, so it must still turn.
        #expect(liveness.verdict(ReceiverThreadProgress(playbackTurns: 10, producerWakes: 101), deviceState: .standby)
            == .stalled(.playback))
        liveness.recordFed(both)
        #expect(liveness.verdict(both, deviceState: .playing) == .stalled(.producer), "no progress since this feed")
    }

    @Test func withoutAnOpenDeviceTheProducerAloneCounts() {
        let liveness = ReceiverLiveness(baseline: Self.start)
        let producerOnly = ReceiverThreadProgress(playbackTurns: 10, producerWakes: 101)
        #expect(liveness.verdict(producerOnly, deviceState: .lost) == .alive)
        #expect(liveness.verdict(producerOnly, deviceState: .closed) == .alive)
        #expect(liveness.verdict(ReceiverThreadProgress(playbackTurns: 10, producerWakes: 100), deviceState: .lost)
            == .stalled(.producer))
        // No playback thread at all (the caller drains the ring).
        #expect(liveness.verdict(ReceiverThreadProgress(playbackTurns: nil, producerWakes: 101), deviceState: .playing)
            == .alive)
    }

    /// The pipeline's producer counts its wake-ups while it runs, and only then.
    @Test func producerWakesGrowWhileThePipelineRuns() throws {
        let pipeline = try ReceiverPipeline(
            configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0), output: .caller)
        _ = try pipeline.start()
        let first = pipeline.threadProgress
        usleep(200_000)
        let second = pipeline.threadProgress
        pipeline.stop()
        let stopped = pipeline.threadProgress
        usleep(100_000)
        #expect(first.playbackTurns == nil && second.playbackTurns == nil)
        #expect(second.producerWakes > first.producerWakes, "\(first) then \(second)")
        #expect(pipeline.threadProgress == stopped)
    }
}

@Suite struct ReceiverStatusSummaryTests {
    static func stats(received: Int, lost: Int) -> ReceiverStats {
        var counters = ReceiverCounters()
        counters.packetsReceived = received
        counters.packetsLost = lost
        return ReceiverStats(counters: counters, jitterMs: 0.3, playoutDelayMs: 6.04, targetDelayMs: 6.5)
    }

    @Test func playingStreamShowsSenderDelayAndLoss() throws {
        let source = StreamSource(
            ssrc: 0x1A2B3C, address: try SocketAddress(parsing: "192.0.2.10:40000"), isPlaying: true)
        #expect(ReceiverStatusSummary.line(stats: Self.stats(received: 1200, lost: 3), source: source, deviceState: .playing)
            == "playing SSRC 0x001A2B3C from 192.0.2.10:40000, delay 6.0/6.5 ms, lost 3 of 1200 packets, device playing")
    }

    @Test func noStreamAndAStalledThreadAreSaid() throws {
        let ended = StreamSource(ssrc: 7, address: try SocketAddress(parsing: "[::1]:5004"), isPlaying: false)
        #expect(ReceiverStatusSummary.line(stats: Self.stats(received: 0, lost: 0), source: nil, deviceState: .standby)
            == "no stream, lost 0 of 0 packets, device standby")
        #expect(ReceiverStatusSummary.line(
            stats: Self.stats(received: 5, lost: 1), source: ended, deviceState: .lost, stalled: .producer)
            == "no stream, lost 1 of 5 packets, device lost, producer thread not turning: watchdog withheld")
    }
}

@Suite struct StreamSourceMailboxTests {
    @Test func handsOverTheLockedSource() throws {
        let mailbox = StreamSourceMailbox()
        #expect(mailbox.read() == nil)
        let v4 = try SocketAddress(parsing: "192.0.2.10:40000")
        mailbox.publish(ssrc: 0xDEADBEEF, address: v4)
        #expect(mailbox.read()?.ssrc == 0xDEADBEEF && mailbox.read()?.address == v4)
        let v6 = try SocketAddress(parsing: "[2001:db8::7]:5004")
        mailbox.publish(ssrc: 1, address: v6)
        #expect(mailbox.read()?.ssrc == 1 && mailbox.read()?.address == v6)
        #expect(mailbox.read()?.address.description == "[2001:db8::7]:5004")
    }

    /// The source publication number `n`: SSRC n, address n.n.n.n-ish (the four bytes of n) and port n mod 65536.
    static func source(_ n: UInt32) -> (ssrc: UInt32, address: SocketAddress) {
        let address = SocketAddress(
            ipv4: (UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
                   UInt8(truncatingIfNeeded: n)),
            port: UInt16(truncatingIfNeeded: n))
        return (n, address)
    }

    /// For 2 s the writer publishes sources whose SSRC, address and port all derive from one number, while the reader
    /// reads without pause: every read must be one publication (a torn read mixes
    /// two), and the numbers never go backwards. Under ThreadSanitizer (Tests/run-thread-sanitizer.sh) the fields'
    /// accesses must not race.
    @Test func concurrentReaderNeverSeesATornSource() {
        let mailbox = StreamSourceMailbox()
        let deadline = Date().addingTimeInterval(2)
        let done = StressWriterDone()
        let writer = Thread {
            var n: UInt32 = 0
            while Date() < deadline {
                for _ in 0..<100 {
                    n += 1
                    let source = Self.source(n)
                    mailbox.publish(ssrc: source.ssrc, address: source.address)
                }
            }
            done.set()
        }
        writer.start()
        var reads = 0
        var changes = 0
        var torn = 0
        var backwards = 0
        var previous: UInt32 = 0
        while true {
            let finished = done.isSet
            reads += 1
            if let read = mailbox.read() {
                if read.address != Self.source(read.ssrc).address { torn += 1 }
                if read.ssrc < previous { backwards += 1 }
                if read.ssrc != previous { changes += 1 }
                previous = read.ssrc
            }
            if finished { break }
        }
        #expect(torn == 0)
        #expect(backwards == 0)
        #expect(changes > 100, "reads \(reads), publications seen \(changes)")
        print("stream source stress: \(reads) reads, \(changes) publications seen, \(torn) torn")
    }
}

/// Raised by a stress test's writer when it has published its last value (test scaffolding).
private final class StressWriterDone: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.withLock { raised = true } }
    var isSet: Bool { lock.withLock { raised } }
}
