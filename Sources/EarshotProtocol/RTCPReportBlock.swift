/// One reception report block of an SR or RR (RFC 3550 section 6.4.1), 24 bytes on the wire.
///
/// ```
/// +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
/// |                 SSRC_1 (SSRC of first source)                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// | fraction lost |       cumulative number of packets lost       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           extended highest sequence number received           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      interarrival jitter                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         last SR (LSR)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   delay since last SR (DLSR)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct RTCPReportBlock: Equatable, Sendable {
    public static let size = 24
    /// Largest and smallest cumulative loss the signed 24-bit field can carry (A.3 clamps to these).
    public static let cumulativeLostRange: ClosedRange<Int32> = -0x80_0000...0x7F_FFFF

    /// The source this block reports on.
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256.
    public var fractionLost: UInt8
    /// Packets lost since reception started (expected − received); negative with duplicates. 24-bit signed.
    public var cumulativeLost: Int32
    /// Cycles × 65536 + highest sequence number received.
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from this source; 0 if none.
    public var lastSenderReport: UInt32
    /// Delay between receiving that SR and sending this block, in 1/65536 s; 0 if no SR yet.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32, jitter: UInt32,
        lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Reads a block at `offset`; the caller has checked that 24 bytes are there.
    init(reading bytes: UnsafeRawBufferPointer, at offset: Int) {
        let lossWord = bytes.loadBigEndianUInt32(at: offset + 4)
        ssrc = bytes.loadBigEndianUInt32(at: offset)
        fractionLost = UInt8(lossWord >> 24)
        cumulativeLost = Int32(bitPattern: lossWord << 8) >> 8  // sign-extend 24 bits
        extendedHighestSequence = bytes.loadBigEndianUInt32(at: offset + 8)
        jitter = bytes.loadBigEndianUInt32(at: offset + 12)
        lastSenderReport = bytes.loadBigEndianUInt32(at: offset + 16)
        delaySinceLastSenderReport = bytes.loadBigEndianUInt32(at: offset + 20)
    }

    /// Writes the block at `offset`; the caller has checked that 24 bytes are there.
    func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        let clamped = min(max(cumulativeLost, Self.cumulativeLostRange.lowerBound), Self.cumulativeLostRange.upperBound)
        buffer.storeBigEndian(ssrc, at: offset)
        buffer.storeBigEndian(UInt32(fractionLost) << 24 | UInt32(bitPattern: clamped) & 0xFF_FFFF, at: offset + 4)
        buffer.storeBigEndian(extendedHighestSequence, at: offset + 8)
        buffer.storeBigEndian(jitter, at: offset + 12)
        buffer.storeBigEndian(lastSenderReport, at: offset + 16)
        buffer.storeBigEndian(delaySinceLastSenderReport, at: offset + 20)
    }
}
