import EarshotReceiver
import Testing

@Suite struct ReceiverStatsTests {
    @Test func snapshotCarriesCountersAndPrintsOneLine() {
        var counters = ReceiverCounters()
        counters.packetsReceived = 1200
        counters.packetsLost = 3
        counters.packetsLate = 1
        counters.concealedSamples = 1440
        counters.concealmentEvents = 2
        counters.fecRecoveredFrames = 1
        let stats = ReceiverStats(
            counters: counters, jitterMs: 1.23, playoutDelayMs: 6.04, targetDelayMs: 6.5, xruns: 4,
            packetsMalformedByReason: ["version": 2, "truncated": 1]
        )
        #expect(stats.packetsMalformed == 3)
        #expect(stats.xruns == 4)
        let line = stats.description
        #expect(!line.contains("\n"))
        #expect(line.contains("rx 1200 lost 3 late 1"))
        #expect(line.contains("plc 1440 smp/2 ev fec 1"))
        #expect(line.contains("xrun 4"))
        #expect(line.contains("jitter 1.2 ms delay 6.0/6.5 ms queue - ms"))
        var queued = stats
        queued.outputQueueMs = 19.96
        #expect(queued.description.contains("queue 20.0 ms drift +0.0 ppm ratio 1.000000 error 0.00 ms | standby 0 |"))
        #expect(queued.json.contains("\"outputQueueMs\":19.96"))
        #expect(stats.json.contains("\"outputQueueMs\":null"))
        var drifting = stats
        drifting.driftPpm = -512.34
        drifting.resampleRatio = 1.000_512_4
        drifting.delayErrorMs = -0.0149
        #expect(drifting.description.contains("drift -512.3 ppm ratio 1.000512 error -0.01 ms |"))
        #expect(drifting.json.contains("\"driftPpm\":-512.34,\"delayErrorMs\":-0.015,\"resampleRatio\":1.0005124"))
        var stopped = stats
        stopped.standbyEntries = 3
        stopped.inStandby = true
        #expect(stopped.description.contains("| standby 3 (now) |"))
        #expect(stopped.json.contains("\"standbyEntries\":3,\"inStandby\":1"))
        var lost = stats
        lost.deviceState = .lost
        lost.deviceLosses = 2
        lost.deviceReturns = 1
        lost.framesWithoutDevice = 4800
        #expect(lost.description.hasSuffix("| device lost lost 2 back 1 released 0 unplayed 4800 frames"))
        #expect(lost.json.contains("\"deviceLosses\":2,\"deviceReturns\":1,"))
        #expect(lost.json.contains("\"framesWithoutDevice\":4800"))
        #expect(lost.json.contains("\"deviceState\":\"lost\""))
    }
}
