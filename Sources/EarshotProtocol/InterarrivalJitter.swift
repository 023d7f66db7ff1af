/// RFC 3550 appendix A.8 interarrival jitter estimate, in RTP timestamp units (1/48000 s for Opus).
///
/// J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16, kept scaled by 16 in integers exactly like the RFC's reference code
/// so that reports match other implementations bit for bit. Value type, allocation-free; one thread (the producer).
public struct InterarrivalJitter: Sendable {
    private var previousTransit: UInt32 = 0
    private var hasPrevious = false
    /// Jitter scaled by 16 (A.8 integer form).
    public private(set) var scaledJitter: UInt32 = 0

    public init() {}

    /// Adds one packet: `arrival` is its arrival time converted to RTP timestamp units (any origin, wrapping),
    /// `timestamp` its RTP timestamp. Call only for packets from one sync epoch, in arrival order.
    public mutating func update(arrival: UInt32, timestamp: UInt32) {
        let transit = arrival &- timestamp
        defer { previousTransit = transit }
        guard hasPrevious else {
            hasPrevious = true
            return
        }
        let difference = Int32(bitPattern: transit &- previousTransit).magnitude
        scaledJitter = scaledJitter &+ difference &- ((scaledJitter &+ 8) >> 4)
    }

    /// The estimate in timestamp units, as reported in an RTCP report block's jitter field.
    public var jitter: UInt32 { scaledJitter >> 4 }

    /// Forgets the previous transit time (after a resync or a sender change).
    public mutating func reset() {
        hasPrevious = false
        scaledJitter = 0
    }
}
