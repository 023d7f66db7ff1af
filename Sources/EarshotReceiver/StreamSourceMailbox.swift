import Atomics
import EarshotNet

#if canImport(Glibc)
    import Glibc
#endif

/// The sender a receiver is locked onto (its SSRC and address), handed from the producer thread to readers on other
/// threads (the service manager's STATUS line) without locks or allocation on the producer.
///
/// The sequence lock of `ReceiverCountersMailbox`: the producer bumps `version` to odd, stores the fields, bumps it to
/// even; a reader retries while the version is odd or changed under it. Fields are atomics, so a torn read is
/// detected, never a data race. The address is kept as the bytes of its `sockaddr_in`/`sockaddr_in6` (at most 28).
/// One writer (the producer), any number of readers; published only when the locked source changes.
final class StreamSourceMailbox: @unchecked Sendable {
    /// Word 0: SSRC (low 32 bits), bit 32 set once a source was locked. Words 1-4: the address bytes.
    private static let wordCount = 5
    private static let addressWords = 4
    private let version = UnsafeAtomic<Int>.create(0)
    private let words: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    init() {
        words = .allocate(capacity: Self.wordCount)
        words.initialize(repeating: UInt64.AtomicRepresentation(0), count: Self.wordCount)
    }

    deinit {
        words.deinitialize(count: Self.wordCount)
        words.deallocate()
        version.destroy()
    }

    /// Producer thread only: the source just locked onto. Allocation-free.
    @_noAllocation
    func publish(ssrc: UInt32, address: SocketAddress) {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            switch address {
            case .v4(var v4): withUnsafeBytes(of: &v4) { raw.copyMemory(from: $0) }
            case .v6(var v6): withUnsafeBytes(of: &v6) { raw.copyMemory(from: $0) }
            }
        }
        write(first: 1 << 32 | UInt64(ssrc), address: bytes)
    }

    /// Any thread. The last source locked onto; nil before the first.
    func read() -> (ssrc: UInt32, address: SocketAddress)? {
        while true {
            let before = version.load(ordering: .acquiring)
            if before & 1 == 1 { continue }
            let first = word(0)
            var bytes = (word(1), word(2), word(3), word(4))
            atomicMemoryFence(ordering: .acquiring)  // field loads complete before the version is re-read
            guard version.load(ordering: .relaxed) == before else { continue }
            guard first & 1 << 32 != 0 else { return nil }
            let address = withUnsafeBytes(of: &bytes) { raw in
                SocketAddress(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self))
            }
            guard let address else { return nil }
            return (UInt32(truncatingIfNeeded: first), address)
        }
    }

    @_noAllocation
    private func write(first: UInt64, address: (UInt64, UInt64, UInt64, UInt64)) {
        let start = version.load(ordering: .relaxed) &+ 1
        version.store(start, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)  // the odd version is visible before any field changes
        set(0, first)
        set(1, address.0)
        set(2, address.1)
        set(3, address.2)
        set(4, address.3)
        version.store(start &+ 1, ordering: .releasing)
    }

    #if EARSHOT_TSAN_NEGATIVE_CONTROL
        // Deliberately wrong (see Tests/run-thread-sanitizer.sh): the fields as plain memory, which ThreadSanitizer
        // must report as a data race here.
        @_noAllocation
        private func set(_ index: Int, _ value: UInt64) {
            UnsafeMutableRawPointer(words + index).assumingMemoryBound(to: UInt64.self).pointee = value
        }

        private func word(_ index: Int) -> UInt64 {
            UnsafeMutableRawPointer(words + index).assumingMemoryBound(to: UInt64.self).pointee
        }
    #else
        @_noAllocation
        private func set(_ index: Int, _ value: UInt64) {
            UnsafeAtomic<UInt64>(at: words + index).store(value, ordering: .relaxed)
        }

        private func word(_ index: Int) -> UInt64 { UnsafeAtomic<UInt64>(at: words + index).load(ordering: .relaxed) }
    #endif
}
