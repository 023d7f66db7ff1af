/// Rewrites RTP timestamps the way a live-capturing sender that stamps from a wall clock would: each packet's
/// timestamp moves by its own offset round(uniform(−X, +X) ms × 48 samples/ms), drawn independently per packet.
///
/// Invariant: offsets never accumulate, so the mean step between consecutive packets stays the frame size and
/// each step lies within frame ± 2 × round(48 X) (X = 1 ms, 5 ms frames: 144...336 around 240). Sequence
/// numbers, SSRC and payload are untouched; RTCP and non-RTP datagrams are left alone and draw nothing.
/// Deterministic: the same seed and packet sequence give the same offsets, from a stream of its own so turning
/// restamping on does not change `ImpairmentModel`'s decisions. Value type; single-threaded.
public struct TimestampRestamper: Sendable {
    /// The RTP clock of Opus (RFC 7587), whatever the coded bandwidth.
    public static let samplesPerMillisecond = 48.0

    public let jitterMilliseconds: Double
    private var random: Xoshiro256StarStar

    public init(jitterMilliseconds: Double, seed: UInt64) {
        self.jitterMilliseconds = jitterMilliseconds
        random = Xoshiro256StarStar(seed: seed ^ 0x5245_5354_414D_5053)  // "RESTAMPS": a stream of its own
    }

    /// The largest offset magnitude, in samples.
    public var maximumOffset: Int32 { Int32((jitterMilliseconds * Self.samplesPerMillisecond).rounded()) }

    /// The next packet's offset, in samples.
    public mutating func nextOffset() -> Int32 {
        let milliseconds = (random.nextUnit() * 2 - 1) * jitterMilliseconds
        return Int32((milliseconds * Self.samplesPerMillisecond).rounded())
    }

    /// Moves the timestamp of the RTP datagram in `bytes` by the next offset (modulo 2³²); returns the offset, or
    /// nil (and draws nothing) when the datagram is not RTP.
    public mutating func restamp(_ bytes: UnsafeMutableRawBufferPointer) -> Int32? {
        guard RTPDemultiplexing.classify(UnsafeRawBufferPointer(bytes)) == .rtp else { return nil }
        let offset = nextOffset()
        let original = RTPFixedHeader.loadUInt32(UnsafeRawBufferPointer(bytes), at: 4)
        RTPFixedHeader.rewriteTimestamp(original &+ UInt32(bitPattern: offset), in: bytes)
        return offset
    }

    public mutating func restamp(_ bytes: inout [UInt8]) -> Int32? {
        bytes.withUnsafeMutableBytes { restamp($0) }
    }
}
