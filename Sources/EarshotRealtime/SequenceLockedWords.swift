import Atomics

/// A fixed number of 64-bit words that one writer publishes whole and any number of readers copy whole, without locks
/// and without allocation on the writer: a sequence lock.
///
/// The writer makes `version` odd, stores the words, makes it even again; a reader copies the words and retries while
/// the version was odd or changed under it. Every word is an atomic itself, so a torn copy is detected and retried,
/// never a data race. Threads: one writer (`write`); any thread may `read`. A trivial value: copies share the storage;
/// the owner calls `destroy()` once no thread uses it.
public struct SequenceLockedWords: @unchecked Sendable {
    public let count: Int
    @usableFromInline let version: UnsafeAtomic<Int>
    @usableFromInline let words: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    /// `count` words, all 0, published.
    public init(count: Int) {
        precondition(count > 0, "a sequence lock needs a word to guard")
        self.count = count
        version = .create(0)
        words = .allocate(capacity: count)
        words.initialize(repeating: UInt64.AtomicRepresentation(0), count: count)
    }

    /// Owner only, once no thread reads or writes.
    public func destroy() {
        words.deinitialize(count: count)
        words.deallocate()
        version.destroy()
    }

    /// The writer's view inside `write`: stores words of the snapshot being published.
    public struct Writer {
        @usableFromInline let words: UnsafeMutablePointer<UInt64.AtomicRepresentation>

        @inlinable @inline(__always)
        init(words: UnsafeMutablePointer<UInt64.AtomicRepresentation>) { self.words = words }

        @inlinable @inline(__always)
        public func set(_ index: Int, _ value: UInt64) { SequenceLockedWords.store(value, at: words + index) }
    }

    /// A reader's view inside `read`: loads words of the snapshot being copied.
    public struct Reader {
        @usableFromInline let words: UnsafeMutablePointer<UInt64.AtomicRepresentation>

        @inlinable @inline(__always)
        init(words: UnsafeMutablePointer<UInt64.AtomicRepresentation>) { self.words = words }

        @inlinable @inline(__always)
        public func get(_ index: Int) -> UInt64 { SequenceLockedWords.load(at: words + index) }
    }

    /// Publishes what `body` stores as one snapshot. The one writer only; allocation- and lock-free.
    @inlinable @inline(__always)
    public func write(_ body: (Writer) -> Void) {
        let start = version.load(ordering: .relaxed) &+ 1
        version.store(start, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)  // the odd version is visible before any word changes
        body(Writer(words: words))
        version.store(start &+ 1, ordering: .releasing)
    }

    /// What `body` makes of one consistent snapshot: called again until the words it loaded were not changed under
    /// it. Any thread.
    @inlinable
    public func read<Result>(_ body: (Reader) -> Result) -> Result {
        while true {
            let before = version.load(ordering: .acquiring)
            if before & 1 == 1 { continue }
            let result = body(Reader(words: words))
            atomicMemoryFence(ordering: .acquiring)  // word loads complete before the version is re-read
            if version.load(ordering: .relaxed) == before { return result }
        }
    }

    #if EARSHOT_TSAN_NEGATIVE_CONTROL
        // Deliberately wrong (see Tests/run-thread-sanitizer.sh): the words as plain memory, the classic seqlock data
        // race, which ThreadSanitizer must report here. (It models neither standalone fences nor the ordering between
        // atomic accesses, so a control that only dropped the fences would go unseen: a snapshot's consistency is
        // checked by the stress tests' own assertions.)
        @inlinable @inline(__always)
        static func store(_ value: UInt64, at word: UnsafeMutablePointer<UInt64.AtomicRepresentation>) {
            UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt64.self).pointee = value
        }

        @inlinable @inline(__always)
        static func load(at word: UnsafeMutablePointer<UInt64.AtomicRepresentation>) -> UInt64 {
            UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt64.self).pointee
        }
    #else
        @inlinable @inline(__always)
        static func store(_ value: UInt64, at word: UnsafeMutablePointer<UInt64.AtomicRepresentation>) {
            UnsafeAtomic<UInt64>(at: word).store(value, ordering: .relaxed)
        }

        @inlinable @inline(__always)
        static func load(at word: UnsafeMutablePointer<UInt64.AtomicRepresentation>) -> UInt64 {
            UnsafeAtomic<UInt64>(at: word).load(ordering: .relaxed)
        }
    #endif
}
