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

    /// For 2 s the writer publishes snapshots whose fields all equal the publication's number while the reader reads
    /// without pause: every snapshot's fields must belong to one publication (a torn read would mix two), and the
    /// publications must never go backwards. Under ThreadSanitizer (Tests/run-thread-sanitizer.sh) the fields'
    /// accesses must not race.
    @Test func concurrentReaderNeverSeesATornSnapshot() {
        let mailbox = ReceiverCountersMailbox()
        let deadline = Date().addingTimeInterval(2)
        let writerDone = WriterDone()
        let writer = Thread {
            var value = 0
            while Date() < deadline {
                for _ in 0..<100 {
                    value += 1
                    mailbox.publish(Self.counters(allEqualTo: value))
                }
                // A writer that never pauses starves a slow reader (a sequence lock's known trade, and the producer
                // publishes every 20 ms): 20 µs after each hundred leaves the reader windows to finish in.
                usleep(20)
            }
            writerDone.set()
        }
        writer.start()
        var reads = 0
        var changes = 0
        var torn = 0
        var backwards = 0
        var previous = 0
        while true {
            let finished = writerDone.isSet
            let snapshot = mailbox.read()
            reads += 1
            if snapshot != Self.counters(allEqualTo: snapshot.packetsReceived) { torn += 1 }
            if snapshot.packetsReceived < previous { backwards += 1 }
            if snapshot.packetsReceived != previous { changes += 1 }
            previous = snapshot.packetsReceived
            if finished { break }
        }
        #expect(torn == 0)
        #expect(backwards == 0)
        // The reader saw many publications come and go: the two threads did overlap.
        #expect(changes > 100, "reads \(reads), publications seen \(changes)")
        print("mailbox stress: \(reads) reads, \(changes) publications seen, \(torn) torn")
    }
}

/// Raised by the stress test's writer when it has published its last snapshot (test scaffolding).
private final class WriterDone: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func set() { lock.withLock { done = true } }
    var isSet: Bool { lock.withLock { done } }
}
