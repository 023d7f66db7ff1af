import Atomics

/// Lock-free single-producer/single-consumer ring of interleaved `Float` frames.
///
/// Invariants: capacity is a power of two (the requested capacity rounded up); `writeIndex` and `readIndex` count
/// frames since creation and only grow (free-running, wrapping at `Int.max` is out of reach), so
/// `0 <= writeIndex - readIndex <= capacity`. The producer publishes samples with a releasing store of `writeIndex`
/// after copying them in; the consumer acquires `writeIndex` before copying out and releases `readIndex` after, so
/// neither side ever reads a half-written frame nor overwrites an unread one.
///
/// Threads: exactly one producer thread may call `write` and `availableToWrite`; exactly one consumer thread may call
/// `read`, `skip` and `availableToRead`. Both are allocation- and lock-free (usable from `@_noLocks` code).
/// `init` and `deallocate()` belong to the owner, before the threads start and after both have stopped.
/// A trivial value: copies share the same storage; deallocate exactly once.
public struct RingBuffer: @unchecked Sendable {
    public let channels: Int
    /// Capacity in frames (a power of two).
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let storage: UnsafeMutablePointer<Float>
    @usableFromInline let writeIndex: UnsafeAtomic<Int>
    @usableFromInline let readIndex: UnsafeAtomic<Int>

    /// Allocates a ring holding at least `minimumCapacity` frames of `channels` samples, zero-filled.
    public init(minimumCapacity: Int, channels: Int) {
        precondition(minimumCapacity > 0 && channels > 0, "RingBuffer needs a positive capacity and channel count")
        var capacity = 1
        while capacity < minimumCapacity { capacity <<= 1 }
        self.channels = channels
        self.capacity = capacity
        self.mask = capacity - 1
        self.storage = .allocate(capacity: capacity * channels)
        self.storage.initialize(repeating: 0, count: capacity * channels)
        self.writeIndex = .create(0)
        self.readIndex = .create(0)
    }

    /// Frees the storage. Owner only, after producer and consumer have stopped.
    public func deallocate() {
        storage.deallocate()
        writeIndex.destroy()
        readIndex.destroy()
    }

    /// Frames the consumer can read now. Consumer thread (exact); elsewhere only an estimate.
    @inlinable
    public func availableToRead() -> Int {
        writeIndex.load(ordering: .acquiring) &- readIndex.load(ordering: .relaxed)
    }

    /// Frames the producer can write now. Producer thread (exact); elsewhere only an estimate.
    @inlinable
    public func availableToWrite() -> Int {
        capacity &- (writeIndex.load(ordering: .relaxed) &- readIndex.load(ordering: .acquiring))
    }

    /// Copies up to `frames` frames from `source` into the ring. Returns the frames written (fewer when the ring is
    /// nearly full). Producer thread only.
    @inlinable
    public func write(_ source: UnsafePointer<Float>, frames: Int) -> Int {
        let write = writeIndex.load(ordering: .relaxed)
        let read = readIndex.load(ordering: .acquiring)
        let count = min(frames, capacity &- (write &- read))
        guard count > 0 else { return 0 }
        let start = write & mask
        let first = min(count, capacity &- start)
        Self.copy(from: source, to: storage + start &* channels, samples: first &* channels)
        if first < count {
            Self.copy(from: source + first &* channels, to: storage, samples: (count &- first) &* channels)
        }
        writeIndex.store(write &+ count, ordering: .handOverPublishing)
        return count
    }

    /// Copies up to `frames` frames out of the ring into `target`. Returns the frames read (fewer when the ring is
    /// nearly empty). Consumer thread only.
    @inlinable
    public func read(into target: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let read = readIndex.load(ordering: .relaxed)
        let write = writeIndex.load(ordering: .handOverConsuming)
        let count = min(frames, write &- read)
        guard count > 0 else { return 0 }
        let start = read & mask
        let first = min(count, capacity &- start)
        Self.copy(from: storage + start &* channels, to: target, samples: first &* channels)
        if first < count {
            Self.copy(from: storage, to: target + first &* channels, samples: (count &- first) &* channels)
        }
        readIndex.store(read &+ count, ordering: .releasing)
        return count
    }

    /// Discards up to `frames` frames without copying (e.g. to shed latency). Returns frames skipped. Consumer only.
    @inlinable
    public func skip(frames: Int) -> Int {
        let read = readIndex.load(ordering: .relaxed)
        let write = writeIndex.load(ordering: .acquiring)
        let count = min(frames, write &- read)
        guard count > 0 else { return 0 }
        readIndex.store(read &+ count, ordering: .releasing)
        return count
    }

    /// An element loop rather than `copyMemory` (memmove), which ThreadSanitizer does not see in Swift code, or
    /// `update(from:count:)`, which `@_noLocks` rejects in debug (unspecialised generic: may release old values).
    /// Optimised builds turn the loop into a memcpy.
    @inlinable @inline(__always)
    static func copy(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, samples: Int) {
        var index = 0
        while index < samples {
            target[index] = source[index]
            index &+= 1
        }
    }
}
