import Testing

@testable import EarshotProtocol

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

    /// Every packet sent again three packets (15 ms) later, on a network with no jitter: the copies count as
    /// received, and the jitter stays 0.
    @Test func duplicatesCountAsReceivedButNotAsJitter() {
        var stats = RTPReceptionStatistics(ssrc: 7, firstSequence: 100)
        for index in 0..<200 {
            let arrival = UInt32(index * 240)
            _ = stats.record(sequenceNumber: UInt16(100 + index), timestamp: arrival, arrival: arrival)
            if index >= 3 {
                let copy = index - 3
                _ = stats.record(sequenceNumber: UInt16(100 + copy), timestamp: UInt32(copy * 240), arrival: arrival)
            }
        }
        let block = stats.makeReportBlock()
        #expect(block.jitter == 0)
        #expect(block.cumulativeLost < -150, "cumulative lost \(block.cumulativeLost)")
    }
}
