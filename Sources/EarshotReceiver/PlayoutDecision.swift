/// What the producer should decode for the next frame the playback device asked for.
///
/// Payload views point into the jitter buffer's preallocated storage and stay valid until the next mutating call
/// on that buffer. `samples` is per channel at 48 kHz.
public enum PlayoutDecision: Equatable {
    /// Not playing yet (start-up or rebuffering toward the target delay): output `samples` of silence.
    case waiting(samples: Int)
    /// Decode this packet normally.
    case play(payload: UnsafeRawBufferPointer, timestamp: Int64, samples: Int)
    /// The frame at `missingTimestamp` is lost but the next packet is here: decode the lost frame from the next
    /// packet's in-band FEC (`decode_fec = 1`, frame size `samples`). The next packet stays for its own turn.
    case recoverWithFEC(nextPayload: UnsafeRawBufferPointer, missingTimestamp: Int64, samples: Int)
    /// The frame is missing and nothing after it can help: run packet-loss concealment for `samples`.
    case conceal(samples: Int)
    /// Grow the playout delay: insert `samples` of concealment without consuming a packet (NetEq's expand). The
    /// packet that was due stays due.
    case stretch(samples: Int)

    public static func == (lhs: PlayoutDecision, rhs: PlayoutDecision) -> Bool {
        switch (lhs, rhs) {
        case (.waiting(let a), .waiting(let b)): return a == b
        case (.play(let p, let t, let s), .play(let q, let u, let r)):
            return p.baseAddress == q.baseAddress && p.count == q.count && t == u && s == r
        case (.recoverWithFEC(let p, let t, let s), .recoverWithFEC(let q, let u, let r)):
            return p.baseAddress == q.baseAddress && p.count == q.count && t == u && s == r
        case (.conceal(let a), .conceal(let b)): return a == b
        case (.stretch(let a), .stretch(let b)): return a == b
        default: return false
        }
    }

    /// Samples of audio this decision produces for the device.
    public var samples: Int {
        switch self {
        case .waiting(let samples), .conceal(let samples), .stretch(let samples): return samples
        case .play(_, _, let samples), .recoverWithFEC(_, _, let samples): return samples
        }
    }
}
