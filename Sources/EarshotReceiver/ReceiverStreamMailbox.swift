import Atomics
import EarshotNet

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the stream's identity (`ReceiverStreamIdentity`, or none) from the producer thread to any reader without
/// locks or allocation on the producer.
///
/// The same sequence lock as `ReceiverCountersMailbox`: the producer bumps `version` to odd, stores every word, bumps
/// it to even; a reader retries while the version is odd or changed under it. Every word is an atomic, so a torn
/// read is detected, never a data race. The address is kept as the kernel's `sockaddr` bytes and the CNAME as its
/// bytes (at most 255), so publishing copies words and never touches the heap. One writer only (the producer), which
/// publishes on change (a new source, a frame size, a CNAME, the end of a stream); any number of readers. Storage is
/// allocated in `init`.
public final class ReceiverStreamMailbox: @unchecked Sendable {
    /// Longest CNAME an SDES item can carry (its length is one byte).
    public static let maximumCNAMEBytes = 255

    private static let presentWord = 0
    private static let ssrcWord = 1
    private static let frameSamplesWord = 2
    /// CNAME length in bytes, or `noCNAME`.
    private static let cnameLengthWord = 3
    private static let addressWord = 4
    private static let addressWords = 4  // 32 bytes hold a sockaddr_in6 (28)
    private static let cnameWord = addressWord + addressWords
    private static let cnameWords = (maximumCNAMEBytes + 7) / 8
    private static let wordCount = cnameWord + cnameWords
    private static let noCNAME = UInt64.max

    private let version = UnsafeAtomic<Int>.create(0)
    private let words: UnsafeMutablePointer<UInt64.AtomicRepresentation>

    public init() {
        words = .allocate(capacity: Self.wordCount)
        words.initialize(repeating: UInt64.AtomicRepresentation(0), count: Self.wordCount)
    }

    deinit {
        words.deinitialize(count: Self.wordCount)
        words.deallocate()
        version.destroy()
    }

    /// Publishes a stream: `cname` nil while none is known. Producer thread only; allocation-free.
    func publish(sender: SocketAddress, ssrc: UInt32, frameSamples: Int, cname: UnsafeRawBufferPointer?) {
        let start = beginWrite()
        set(Self.presentWord, 1)
        set(Self.ssrcWord, UInt64(ssrc))
        set(Self.frameSamplesWord, UInt64(truncatingIfNeeded: frameSamples))
        var address: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &address) { storage in
            // `withSockAddr` throws only what its body throws: nothing here.
            try? sender.withSockAddr { pointer, length in
                storage.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            }
        }
        set(Self.addressWord, address.0)
        set(Self.addressWord + 1, address.1)
        set(Self.addressWord + 2, address.2)
        set(Self.addressWord + 3, address.3)
        if let cname {
            let count = min(cname.count, Self.maximumCNAMEBytes)
            set(Self.cnameLengthWord, UInt64(count))
            var word = 0
            while word * 8 < count {
                var value: UInt64 = 0
                var byte = 0
                while byte < 8 && word * 8 + byte < count {
                    value |= UInt64(cname[word * 8 + byte]) << (8 * byte)
                    byte += 1
                }
                set(Self.cnameWord + word, value)
                word += 1
            }
        } else {
            set(Self.cnameLengthWord, Self.noCNAME)
        }
        endWrite(start)
    }

    /// Publishes that no stream plays. Producer thread only; allocation-free.
    func publishNone() {
        let start = beginWrite()
        set(Self.presentWord, 0)
        endWrite(start)
    }

    /// The last published stream, nil when none plays. Any thread (allocates the result's CNAME string).
    public func read() -> ReceiverStreamIdentity? {
        while true {
            let before = version.load(ordering: .acquiring)
            if before & 1 == 1 { continue }
            let present = get(Self.presentWord) == 1
            let ssrc = UInt32(truncatingIfNeeded: get(Self.ssrcWord))
            let frameSamples = Int(truncatingIfNeeded: get(Self.frameSamplesWord))
            let cnameLength = get(Self.cnameLengthWord)
            var address: (UInt64, UInt64, UInt64, UInt64) = (
                get(Self.addressWord), get(Self.addressWord + 1), get(Self.addressWord + 2),
                get(Self.addressWord + 3)
            )
            var cnameBytes: [UInt8] = []
            if cnameLength != Self.noCNAME {
                let count = min(Int(cnameLength), Self.maximumCNAMEBytes)
                cnameBytes.reserveCapacity(count)
                for index in 0..<count {
                    cnameBytes.append(UInt8(truncatingIfNeeded: get(Self.cnameWord + index / 8) >> (8 * (index % 8))))
                }
            }
            atomicMemoryFence(ordering: .acquiring)  // word loads complete before the version is re-read
            guard version.load(ordering: .relaxed) == before else { continue }
            guard present else { return nil }
            let sender = withUnsafeBytes(of: &address) { bytes in
                SocketAddress(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self))
            }
            guard let sender else { return nil }
            return ReceiverStreamIdentity(
                sender: sender, ssrc: ssrc,
                cname: cnameLength == Self.noCNAME ? nil : String(decoding: cnameBytes, as: UTF8.self),
                frameSamples: frameSamples)
        }
    }

    private func beginWrite() -> Int {
        let start = version.load(ordering: .relaxed) &+ 1
        version.store(start, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)  // the odd version is visible before any word changes
        return start
    }

    private func endWrite(_ start: Int) { version.store(start &+ 1, ordering: .releasing) }

    private func set(_ index: Int, _ value: UInt64) {
        UnsafeAtomic<UInt64>(at: words + index).store(value, ordering: .relaxed)
    }

    private func get(_ index: Int) -> UInt64 { UnsafeAtomic<UInt64>(at: words + index).load(ordering: .relaxed) }
}
