import Atomics
import EarshotRealtime

/// Hands `ReceiverCounters` from the producer thread to a reader thread (stats printer, the control endpoint) without
/// locks or allocation on the producer: one `SequenceLockedWords` word per counter.
///
/// One writer only (the producer); any number of readers. Storage is allocated in `init`.
public final class ReceiverCountersMailbox: @unchecked Sendable {
    private let words = SequenceLockedWords(count: 15)

    public init() {}

    deinit { words.destroy() }

    /// Producer thread only. Allocation-free; a handful of relaxed stores between two version bumps.
    @_noAllocation
    public func publish(_ c: ReceiverCounters) {
        words.write { fields in
            func set(_ index: Int, _ value: Int) { fields.set(index, UInt64(bitPattern: Int64(value))) }
            set(0, c.packetsReceived)
            set(1, c.packetsLost)
            set(2, c.packetsLate)
            set(3, c.packetsDuplicated)
            set(4, c.packetsReordered)
            set(5, c.packetsTooLarge)
            set(6, c.packetsOutOfRange)
            set(7, c.resyncs)
            set(8, c.framesPlayed)
            set(9, c.concealedSamples)
            set(10, c.concealmentEvents)
            set(11, c.fecRecoveredFrames)
            set(12, c.insertedSamplesForDeceleration)
            set(13, c.removedSamplesForAcceleration)
            set(14, c.underruns)
        }
    }

    /// Any thread. Returns a consistent copy of the last published counters.
    public func read() -> ReceiverCounters {
        words.read { fields in
            func get(_ index: Int) -> Int { Int(Int64(bitPattern: fields.get(index))) }
            var c = ReceiverCounters()
            c.packetsReceived = get(0)
            c.packetsLost = get(1)
            c.packetsLate = get(2)
            c.packetsDuplicated = get(3)
            c.packetsReordered = get(4)
            c.packetsTooLarge = get(5)
            c.packetsOutOfRange = get(6)
            c.resyncs = get(7)
            c.framesPlayed = get(8)
            c.concealedSamples = get(9)
            c.concealmentEvents = get(10)
            c.fecRecoveredFrames = get(11)
            c.insertedSamplesForDeceleration = get(12)
            c.removedSamplesForAcceleration = get(13)
            c.underruns = get(14)
            return c
        }
    }
}
