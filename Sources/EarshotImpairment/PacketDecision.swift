/// What happens to one packet. Produced by `ImpairmentModel.decide(packetLength:)`.
public struct PacketDecision: Sendable, Equatable {
    public enum Fate: Sendable, Equatable {
        case forward
        case drop(DropCause)
    }

    public enum DropCause: String, Sendable, Equatable {
        /// Independent random loss (`--loss`).
        case random
        /// Gilbert–Elliott burst loss (`--burst`).
        case burst
    }

    public var fate: Fate
    /// Delay before the (first) copy is sent, including jitter and any reorder hold-back. Never negative.
    public var delayNanoseconds: Int64
    /// The packet is held back so that later packets overtake it.
    public var reordered: Bool
    /// A second copy is sent with the same delay.
    public var duplicated: Bool
    /// Bit flips / truncation to apply before sending; nil leaves the bytes intact.
    public var corruption: Corruption?

    public var isDropped: Bool {
        if case .drop = fate { return true }
        return false
    }
}

/// A deterministic corruption: the same seed, bit count and length always flip the same bits.
public struct Corruption: Sendable, Equatable {
    /// Seeds the positions of the flipped bits (and the truncated length).
    public var seed: UInt64
    public var bitFlips: Int
    public var truncate: Bool

    public init(seed: UInt64, bitFlips: Int, truncate: Bool) {
        self.seed = seed
        self.bitFlips = bitFlips
        self.truncate = truncate
    }

    /// Corrupts the first `length` bytes of `bytes` in place; returns the new length (shorter when truncating,
    /// at least 1 byte). Allocation-free.
    public func apply(to bytes: UnsafeMutableRawBufferPointer, length: Int) -> Int {
        let length = min(length, bytes.count)
        guard length > 0 else { return 0 }
        var random = SplitMix64(state: seed)
        var newLength = length
        if truncate && length > 1 {
            newLength = 1 + Int(random.next() % UInt64(length - 1))
        }
        let bitCount = UInt64(newLength * 8)
        for _ in 0..<bitFlips {
            let bit = Int(random.next() % bitCount)
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        }
        return newLength
    }

    public func apply(to bytes: inout [UInt8]) {
        let newLength = bytes.withUnsafeMutableBytes { apply(to: $0, length: $0.count) }
        bytes.removeLast(bytes.count - newLength)
    }
}
