import EarshotReceiver
import Foundation
import Testing

@Suite struct ReceiverCountersMailboxTests {
    private static func counters(allEqualTo value: Int) -> ReceiverCounters {
        var c = ReceiverCounters()
        c.packetsReceived = value
        c.packetsLost = value
        c.packetsLate = value
        c.packetsDuplicated = value
        c.packetsReordered = value
        c.packetsTooLarge = value
        c.packetsOutOfRange = value
        c.resyncs = value
        c.framesPlayed = value
        c.concealedSamples = value
        c.concealmentEvents = value
        c.fecRecoveredFrames = value
        c.insertedSamplesForDeceleration = value
        c.removedSamplesForAcceleration = value
        c.underruns = value
        return c
    }

    @Test func roundTripsEveryField() {
        let mailbox = ReceiverCountersMailbox()
        #expect(mailbox.read() == ReceiverCounters())
        var c = ReceiverCounters()
        c.packetsReceived = 1
        c.packetsLost = 2
        c.packetsLate = 3
        c.packetsDuplicated = 4
        c.packetsReordered = 5
        c.packetsTooLarge = 6
        c.packetsOutOfRange = 7
        c.resyncs = 8
        c.framesPlayed = 9
        c.concealedSamples = 10
        c.concealmentEvents = 11
        c.fecRecoveredFrames = 12
        c.insertedSamplesForDeceleration = 13
        c.removedSamplesForAcceleration = 14
        c.underruns = 15
        mailbox.publish(c)
        #expect(mailbox.read() == c)
    }

    /// The writer publishes snapshots whose fields are all equal; a torn read would show two different values.
    @Test func concurrentReaderNeverSeesATornSnapshot() {
        let mailbox = ReceiverCountersMailbox()
        let last = 200_000
        let writer = Thread {
            for value in 1...last { mailbox.publish(Self.counters(allEqualTo: value)) }
        }
        writer.start()
        var reads = 0
        var torn = 0
        var backwards = 0
        var previous = 0
        while true {
            let snapshot = mailbox.read()
            reads += 1
            if snapshot != Self.counters(allEqualTo: snapshot.packetsReceived) { torn += 1 }
            if snapshot.packetsReceived < previous { backwards += 1 }
            previous = snapshot.packetsReceived
            if previous == last { break }
        }
        #expect(torn == 0)
        #expect(backwards == 0)
        #expect(reads > 1)
    }
}
