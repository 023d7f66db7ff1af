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
        let stream = ReceiverStreamIdentity(
            sender: try SocketAddress(parsing: "192.0.2.10:40000"), ssrc: 0x1A2B3C, cname: nil, frameSamples: 240)
        #expect(ReceiverStatusSummary.line(stats: Self.stats(received: 1200, lost: 3), stream: stream, deviceState: .playing)
            == "playing SSRC 0x001A2B3C from 192.0.2.10:40000, delay 6.0/6.5 ms, lost 3 of 1200 packets, device playing")
    }

    @Test func noStreamAndAStalledThreadAreSaid() throws {
        #expect(ReceiverStatusSummary.line(stats: Self.stats(received: 0, lost: 0), stream: nil, deviceState: .standby)
            == "no stream, lost 0 of 0 packets, device standby")
        #expect(ReceiverStatusSummary.line(
            stats: Self.stats(received: 5, lost: 1), stream: nil, deviceState: .lost, stalled: .producer)
            == "no stream, lost 1 of 5 packets, device lost, producer thread not turning: watchdog withheld")
    }
}
