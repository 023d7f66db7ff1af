/// The framing rules of an Opus packet (RFC 6716 section 3): TOC byte, frame count code and frame lengths.
/// Used to reject garbage before it reaches the decoder; it does not decode. Stateless; any thread.
public enum OpusPacketFraming {
    /// Largest frame a packet may carry (RFC 6716 R2).
    public static let maximumFrameSize = 1275
    /// Longest audio a packet may carry, in 2.5 ms units (120 ms, RFC 6716 R5).
    static let maximumDurationTicks = 48

    /// Whether a packet with this TOC may carry in-band FEC (LBRR): only SILK and hybrid modes have it (RFC 6716
    /// section 4.2.4); a CELT-only packet (configurations 16–31) never does.
    @inlinable
    public static func mayCarryFEC(toc: UInt8) -> Bool { toc >> 3 < 16 }

    /// Duration of one frame of `toc`'s configuration in 2.5 ms units (RFC 6716 table 2).
    @inlinable
    public static func frameDurationTicks(toc: UInt8) -> Int {
        let config = Int(toc >> 3)
        switch config {
        case 0..<12: return config & 3 == 3 ? 24 : 4 << (config & 3)  // SILK 10, 20, 40, 60 ms
        case 12..<16: return 4 << (config & 1)  // hybrid 10, 20 ms
        default: return 1 << (config & 3)  // CELT 2.5, 5, 10, 20 ms
        }
    }

    /// Number of 48 kHz samples per channel in the packet, or `nil` if it is not well-formed.
    public static func samplesPerChannel(_ packet: UnsafeRawBufferPointer) -> Int? {
        guard let frames = frameCount(packet) else { return nil }
        return frames * frameDurationTicks(toc: packet[0]) * 120
    }

    /// Whether `packet` satisfies RFC 6716 requirements R1–R7.
    public static func isWellFormed(_ packet: UnsafeRawBufferPointer) -> Bool { frameCount(packet) != nil }

    /// Number of frames in a well-formed packet, `nil` otherwise.
    static func frameCount(_ packet: UnsafeRawBufferPointer) -> Int? {
        let size = packet.count
        guard size >= 1 else { return nil }  // R1
        let toc = packet[0]
        switch toc & 0x03 {
        case 0:
            return size - 1 <= maximumFrameSize ? 1 : nil  // R2
        case 1:
            let body = size - 1
            return body % 2 == 0 && body / 2 <= maximumFrameSize ? 2 : nil  // R3
        case 2:
            guard let (first, lengthBytes) = frameLength(packet, at: 1) else { return nil }
            let second = size - 1 - lengthBytes - first
            return second >= 0 && second <= maximumFrameSize ? 2 : nil  // R4
        default:
            guard size >= 2 else { return nil }
            let header = packet[1]
            let frames = Int(header & 0x3F)
            guard frames >= 1, frames * frameDurationTicks(toc: toc) <= maximumDurationTicks else { return nil }  // R5
            var offset = 2
            var padding = 0
            if header & 0x40 != 0 {
                var more = true
                while more {
                    guard offset < size else { return nil }
                    let byte = Int(packet[offset])
                    offset += 1
                    padding += byte == 255 ? 254 : byte
                    more = byte == 255
                }
            }
            var remaining = size - offset - padding
            guard remaining >= 0 else { return nil }
            if header & 0x80 == 0 {  // CBR, R6
                return remaining % frames == 0 && remaining / frames <= maximumFrameSize ? frames : nil
            }
            for _ in 0..<(frames - 1) {  // VBR, R7
                guard let (length, lengthBytes) = frameLength(packet, at: offset) else { return nil }
                offset += lengthBytes
                remaining -= lengthBytes + length
                guard remaining >= 0 else { return nil }
            }
            return remaining <= maximumFrameSize ? frames : nil
        }
    }

    /// Decodes a 1- or 2-byte frame length at `offset` (RFC 6716 section 3.2.1).
    private static func frameLength(_ packet: UnsafeRawBufferPointer, at offset: Int) -> (Int, Int)? {
        guard offset < packet.count else { return nil }
        let first = Int(packet[offset])
        if first < 252 { return (first, 1) }
        guard offset + 1 < packet.count else { return nil }
        return (Int(packet[offset + 1]) * 4 + first, 2)
    }
}
