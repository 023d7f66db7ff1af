/// `probation-starvation`'s senders: several foreign SSRCs, each sending its own in-sequence packets (sequence
/// number +1, timestamp +1 frame each time), interleaved round-robin, so a receiver with a single probation
/// candidate sees the candidate change on every packet and never validates (nor gets starved of) the real stream.
///
/// Invariants: the SSRCs are distinct, nonzero and never the genuine stream's (one that collides with a new
/// genuine SSRC is changed before use). Deterministic for a seed. Value type; single-threaded.
public struct ProbationStrangers: Sendable {
    public private(set) var ssrcs: [UInt32]
    private var sequences: [UInt16]
    private var timestamps: [UInt32]
    private var turn = 0

    public init(count: Int, seed: UInt64) {
        precondition(count >= 1, "at least one stranger")
        var random = Xoshiro256StarStar(seed: seed ^ 0x5354_5241_4E47_4552)  // "STRANGER"
        var ssrcs: [UInt32] = []
        while ssrcs.count < count {
            let candidate = UInt32(truncatingIfNeeded: random.next())
            if candidate != 0 && !ssrcs.contains(candidate) { ssrcs.append(candidate) }
        }
        self.ssrcs = ssrcs
        sequences = (0..<count).map { _ in UInt16(truncatingIfNeeded: random.next()) }
        timestamps = (0..<count).map { _ in UInt32(truncatingIfNeeded: random.next()) }
    }

    /// The next stranger's next packet: the genuine stream's payload type and newest payload, the stranger's SSRC,
    /// sequence number and timestamp. nil before the first genuine packet.
    public mutating func next(_ state: GenuineStreamState) -> [UInt8]? {
        guard let newest = state.newest, let payload = state.payload(packetsAgo: 0) else { return nil }
        let index = turn
        turn = (turn + 1) % ssrcs.count
        while ssrcs[index] == newest.ssrc || ssrcs.firstIndex(of: ssrcs[index]) != index {
            ssrcs[index] = ssrcs[index] &* 0x9E37_79B1 &+ 1
        }
        let header = RTPFixedHeader(
            payloadType: newest.payloadType, sequenceNumber: sequences[index], timestamp: timestamps[index],
            ssrc: ssrcs[index])
        sequences[index] &+= 1
        timestamps[index] &+= state.frameSamples
        return header.packet(payload: payload)
    }
}
