/// The RTP timestamp rule for a 48 kHz Opus stream (RFC 7587: the clock is always 48 kHz): a random initial
/// offset (RFC 3550 §5.1, so timestamps do not reveal uptime or collide across restarts) plus the number of
/// sample frames sent so far, wrapping modulo 2³².
///
/// Invariant: `timestamp` advances by exactly the frames passed to `advance`, including skipped (unsent) frames,
/// so receivers see gaps as gaps. Value type; owned by the sending thread.
public struct RTPClock: Sendable, Equatable {
    public let initialOffset: UInt32
    /// Sample frames accounted for since the start.
    public private(set) var frames: UInt64 = 0

    public init(initialOffset: UInt32 = .random(in: .min ... .max)) {
        self.initialOffset = initialOffset
    }

    /// RTP timestamp of the next frame to be sent.
    public var timestamp: UInt32 { initialOffset &+ UInt32(truncatingIfNeeded: frames) }

    /// Accounts for `frames` sample frames (a sent packet's duration, or frames skipped by the pacer).
    public mutating func advance(frames count: Int) {
        frames &+= UInt64(count)
    }
}
