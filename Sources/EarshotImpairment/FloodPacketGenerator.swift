/// `flood`'s packets: a random mix of garbage and RTP packets with foreign SSRCs, written into a caller's buffer
/// without allocating (the flood thread sends tens of thousands a second).
///
/// - Garbage: 1...200 random bytes whose version bits are never 2, so no receiver takes it for RTP or RTCP.
/// - RTP: a valid 12-byte header (version 2, no padding, extension or CSRCs, marker 0, the stream's payload type,
///   random sequence number and timestamp, a random nonzero SSRC that is not the stream's) and 20...160 random
///   payload bytes.
/// Deterministic for a seed. Value type; owned by one thread.
public struct FloodPacketGenerator: Sendable {
    public enum Kind: Sendable, Equatable {
        case rtp
        case garbage
    }

    /// Room `next(into:)` needs.
    public static let maximumPacketSize = 200
    public static let garbageLengthRange: ClosedRange<Int> = 1...200
    public static let rtpPayloadLengthRange: ClosedRange<Int> = 20...160

    public let garbagePercent: Double
    public let payloadType: UInt8
    public let streamSSRC: UInt32
    private var random: Xoshiro256StarStar

    public init(seed: UInt64, garbagePercent: Double, payloadType: UInt8, streamSSRC: UInt32) {
        random = Xoshiro256StarStar(seed: seed ^ 0x464C_4F4F_4450_4B54)  // "FLOODPKT"
        self.garbagePercent = garbagePercent
        self.payloadType = payloadType & 0x7F
        self.streamSSRC = streamSSRC
    }

    /// Writes the next packet at the start of `buffer` (≥ `maximumPacketSize` bytes); returns its length and kind.
    public mutating func next(into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, kind: Kind) {
        precondition(buffer.count >= Self.maximumPacketSize, "flood buffer too small")
        if random.nextUnit() * 100 < garbagePercent {
            let count = length(in: Self.garbageLengthRange)
            fillRandom(buffer, 0..<count)
            let draw = UInt8(random.next() % 3)
            let version: UInt8 = draw == 2 ? 3 : draw  // 0, 1 or 3
            buffer[0] = buffer[0] & 0x3F | version << 6
            return (count, .garbage)
        }
        let count = 12 + length(in: Self.rtpPayloadLengthRange)
        fillRandom(buffer, 0..<count)
        var ssrc: UInt32
        repeat { ssrc = UInt32(truncatingIfNeeded: random.next()) } while ssrc == 0 || ssrc == streamSSRC
        buffer[0] = 0x80
        buffer[1] = payloadType
        buffer[8] = UInt8(ssrc >> 24)
        buffer[9] = UInt8(ssrc >> 16 & 0xFF)
        buffer[10] = UInt8(ssrc >> 8 & 0xFF)
        buffer[11] = UInt8(ssrc & 0xFF)
        return (count, .rtp)
    }

    private mutating func length(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random.next() % UInt64(range.count))
    }

    private mutating func fillRandom(_ buffer: UnsafeMutableRawBufferPointer, _ range: Range<Int>) {
        var index = range.lowerBound
        while index < range.upperBound {
            var word = random.next()
            for _ in 0..<8 where index < range.upperBound {
                buffer[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
    }
}
