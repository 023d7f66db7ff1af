import Atomics
import EarshotNet
import EarshotRealtime

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the stream's identity (`ReceiverStreamIdentity`, or none) from the producer thread to any reader without
/// locks or allocation on the producer.
///
/// A `SequenceLockedWords`, as `ReceiverCountersMailbox`. The address is kept as the kernel's `sockaddr` bytes and the CNAME as its
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

    private let words = SequenceLockedWords(count: ReceiverStreamMailbox.wordCount)

    public init() {}

    deinit { words.destroy() }

    /// Publishes a stream: `cname` nil while none is known. Producer thread only; allocation-free.
    func publish(sender: SocketAddress, ssrc: UInt32, frameSamples: Int, cname: UnsafeRawBufferPointer?) {
        var address: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &address) { storage in
            // `withSockAddr` throws only what its body throws: nothing here.
            try? sender.withSockAddr { pointer, length in
                storage.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            }
        }
        words.write { words in
            words.set(Self.presentWord, 1)
            words.set(Self.ssrcWord, UInt64(ssrc))
            words.set(Self.frameSamplesWord, UInt64(truncatingIfNeeded: frameSamples))
            words.set(Self.addressWord, address.0)
            words.set(Self.addressWord + 1, address.1)
            words.set(Self.addressWord + 2, address.2)
            words.set(Self.addressWord + 3, address.3)
            guard let cname else {
                words.set(Self.cnameLengthWord, Self.noCNAME)
                return
            }
            let count = min(cname.count, Self.maximumCNAMEBytes)
            words.set(Self.cnameLengthWord, UInt64(count))
            var word = 0
            while word * 8 < count {
                var value: UInt64 = 0
                var byte = 0
                while byte < 8 && word * 8 + byte < count {
                    value |= UInt64(cname[word * 8 + byte]) << (8 * byte)
                    byte += 1
                }
                words.set(Self.cnameWord + word, value)
                word += 1
            }
        }
    }

    /// Publishes that no stream plays. Producer thread only; allocation-free.
    func publishNone() {
        words.write { words in words.set(Self.presentWord, 0) }
    }

    /// The last published stream, nil when none plays. Any thread (allocates the result's CNAME string).
    public func read() -> ReceiverStreamIdentity? {
        let copy = words.read { words in
            let cnameLength = words.get(Self.cnameLengthWord)
            var cnameBytes: [UInt8] = []
            if cnameLength != Self.noCNAME {
                let count = min(Int(cnameLength), Self.maximumCNAMEBytes)
                cnameBytes.reserveCapacity(count)
                for index in 0..<count {
                    cnameBytes.append(UInt8(truncatingIfNeeded: words.get(Self.cnameWord + index / 8) >> (8 * (index % 8))))
                }
            }
            return (
                present: words.get(Self.presentWord) == 1, ssrc: UInt32(truncatingIfNeeded: words.get(Self.ssrcWord)),
                frameSamples: Int(truncatingIfNeeded: words.get(Self.frameSamplesWord)),
                address: (
                    words.get(Self.addressWord), words.get(Self.addressWord + 1), words.get(Self.addressWord + 2),
                    words.get(Self.addressWord + 3)
                ),
                cname: cnameLength == Self.noCNAME ? nil : cnameBytes)
        }
        guard copy.present else { return nil }
        var address = copy.address
        let sender = withUnsafeBytes(of: &address) { bytes in
            SocketAddress(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self))
        }
        guard let sender else { return nil }
        return ReceiverStreamIdentity(
            sender: sender, ssrc: copy.ssrc, cname: copy.cname.map { String(decoding: $0, as: UTF8.self) },
            frameSamples: copy.frameSamples)
    }
}
