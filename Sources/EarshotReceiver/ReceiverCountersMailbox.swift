import Atomics

/// Hands `ReceiverCounters` from the producer thread to a reader thread (stats printer, control socket) without
/// locks or allocation on the producer.
///
/// A sequence lock: the producer bumps `version` to odd, stores every field, bumps it to even; a reader retries while
/// the version is odd or changed under it. Fields are atomics themselves, so a torn read is detected, never a data
/// race. One writer only (the producer); any number of readers. Storage is allocated in `init`.
public final class ReceiverCountersMailbox: @unchecked Sendable {
    private static let fieldCount = 15
    private let version = UnsafeAtomic<Int>.create(0)
    /// One atomic cell per field, contiguous.
    private let fields: UnsafeMutablePointer<Int.AtomicRepresentation>

    public init() {
        fields = .allocate(capacity: Self.fieldCount)
        fields.initialize(repeating: Int.AtomicRepresentation(0), count: Self.fieldCount)
    }

    deinit {
        fields.deinitialize(count: Self.fieldCount)
        fields.deallocate()
        version.destroy()
    }

    /// Producer thread only. Allocation-free; a handful of relaxed stores between two version bumps.
    @_noAllocation
    public func publish(_ c: ReceiverCounters) {
        let start = version.load(ordering: .relaxed) &+ 1
        version.store(start, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)  // the odd version is visible before any field changes
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
        version.store(start &+ 1, ordering: .releasing)
    }

    /// Any thread. Returns a consistent copy of the last published counters.
    public func read() -> ReceiverCounters {
        while true {
            let before = version.load(ordering: .acquiring)
            if before & 1 == 1 { continue }
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
            atomicMemoryFence(ordering: .acquiring)  // field loads complete before the version is re-read
            if version.load(ordering: .relaxed) == before { return c }
        }
    }

    #if EARSHOT_TSAN_NEGATIVE_CONTROL
        // Deliberately wrong (see Tests/run-thread-sanitizer.sh): the fields as plain memory, the classic seqlock data
        // race, which ThreadSanitizer must report here. (It models neither standalone fences nor the ordering between
        // atomic accesses, so a control that only dropped the fences would go unseen: a snapshot's consistency is
        // checked by the stress test's own assertions.)
        @_noAllocation
        private func set(_ index: Int, _ value: Int) {
            UnsafeMutableRawPointer(fields + index).assumingMemoryBound(to: Int.self).pointee = value
        }

        private func get(_ index: Int) -> Int {
            UnsafeMutableRawPointer(fields + index).assumingMemoryBound(to: Int.self).pointee
        }
    #else
        @_noAllocation
        private func set(_ index: Int, _ value: Int) {
            UnsafeAtomic<Int>(at: fields + index).store(value, ordering: .relaxed)
        }

        private func get(_ index: Int) -> Int { UnsafeAtomic<Int>(at: fields + index).load(ordering: .relaxed) }
    #endif
}
