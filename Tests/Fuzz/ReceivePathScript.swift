// The stateful target's input format: a fuzz input read as receiver settings plus a sequence of events.
//
// Header, 4 bytes:
//   0  bit 0: fixed latency (else automatic); bit 1: late allowance of one 5 ms device period;
//      bits 2-3: source timeout 2 s, 0.5 s, 10 s, 0.05 s
//   1  maximum (or fixed) latency, × 8 ms, at most 2000 ms
//   2  minimum latency, as a fraction h/255 of the maximum
//   3  high byte of both streams' first sequence number (stream B starts at its complement)
// Records, 11 bytes each (a short tail is ignored):
//   0  bits 0-1: 0 = RTP from stream A, 1 = RTP from stream B, 2 = raw datagram, 3 = RTCP RR + BYE naming stream
//      (byte 1 & 1);
//      bit 2: marker; bit 3: payload type 97 instead of 96; bit 4: the frames played are quiet (the producer drops
//      the next one); bits 5-6: stretch played frames in (01) or out (10) by byte 10 × 2 samples;
//      bit 7: timestamp step in units of 65536 samples instead of 1
//   1  sequence number step, signed
//   2-3  timestamp offset, signed big-endian: timestamp = previous + step × frame samples + offset × unit
//   4-5  arrival delay after the previous event: bit 15 set, (v & 0x7FFF) ms; else v × 10 µs
//   6  playout decisions after this event: bits 0-2 count, bits 3-7 spacing in 0.5 ms
//   7  TOC byte of the Opus payload
//   8  Opus payload bytes after the TOC (a raw datagram: its length, its bytes follow the record)
//   9  the payload's second byte (frame count or length byte for codes 2 and 3); the rest are zeros
//   10 stretch amount (× 2 samples); the first decision is taken this × 0.25 ms before the arrival clock (signed)

struct ReceivePathScript {
    static let headerSize = 4
    static let recordSize = 11

    enum Kind {
        case rtp(stream: Int)
        case raw(UnsafeRawBufferPointer)
        case goodbye(stream: Int)
    }

    struct Record {
        var kind: Kind
        var marker: Bool
        var payloadType: UInt8
        var quiet: Bool
        /// Samples the corrector stretched each played frame by: positive in, negative out.
        var stretchedSamples: Int
        var sequenceStep: Int16
        var timestampOffset: Int64
        var arrivalDelayNanos: UInt64
        var decisions: Int
        var decisionSpacingNanos: UInt64
        /// Signed: the first decision's clock relative to the arrival clock.
        var decisionOffsetNanos: Int64
        var toc: UInt8
        var payloadBodyCount: Int
        var secondByte: UInt8
    }

    let settings: ReceivePathAdapter.Settings
    let firstSequence: UInt16
    private let bytes: UnsafeRawBufferPointer
    private var offset = headerSize

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.headerSize else { return nil }
        let flags = bytes[0]
        let maximum = min(2000, Double(bytes[1]) * 8)
        let minimum = (maximum * Double(bytes[2]) / 255).rounded(.down)
        let timeout: UInt64
        switch flags >> 2 & 3 {
        case 0: timeout = 2_000_000_000
        case 1: timeout = 500_000_000
        case 2: timeout = 10_000_000_000
        default: timeout = 50_000_000
        }
        settings = ReceivePathAdapter.Settings(
            fixedLatencyMs: flags & 1 != 0 ? maximum : nil, minimumLatencyMs: minimum, maximumLatencyMs: maximum,
            lateAllowanceMs: flags & 2 != 0 ? 5 : 0, sourceTimeoutNanos: timeout,
            payloadType: 96)
        firstSequence = UInt16(bytes[3]) << 8 | 0xF0
        self.bytes = bytes
    }

    /// The next record, or nil at the end of the input. Allocation-free.
    mutating func next() -> Record? {
        guard bytes.count - offset >= Self.recordSize else { return nil }
        let r = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Self.recordSize)])
        offset += Self.recordSize
        let flags = r[0]
        let kind: Kind
        switch flags & 3 {
        case 0: kind = .rtp(stream: 0)
        case 1: kind = .rtp(stream: 1)
        case 2:
            let length = min(Int(r[8]), bytes.count - offset)
            kind = .raw(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
            offset += length
        default: kind = .goodbye(stream: Int(r[1] & 1))
        }
        let stretch = Int(r[10]) * 2
        let arrival = UInt16(r[4]) << 8 | UInt16(r[5])
        return Record(
            kind: kind, marker: flags & 4 != 0, payloadType: flags & 8 != 0 ? 97 : 96, quiet: flags & 16 != 0,
            stretchedSamples: flags >> 5 & 3 == 1 ? stretch : flags >> 5 & 3 == 2 ? -stretch : 0,
            sequenceStep: Int16(Int8(bitPattern: r[1])),
            timestampOffset: Int64(Int16(bitPattern: UInt16(r[2]) << 8 | UInt16(r[3])))
                * (flags & 128 != 0 ? 65536 : 1),
            arrivalDelayNanos: arrival & 0x8000 != 0 ? UInt64(arrival & 0x7FFF) * 1_000_000 : UInt64(arrival) * 10_000,
            decisions: Int(r[6] & 7), decisionSpacingNanos: UInt64(r[6] >> 3) * 500_000,
            decisionOffsetNanos: Int64(Int8(bitPattern: r[10])) * 250_000,
            toc: r[7], payloadBodyCount: Int(r[8]), secondByte: r[9])
    }
}
