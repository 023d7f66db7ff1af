/// The rollover counter (RFC 3711 §3.3.1) of a stream a receiver joins late, from the packet count of an
/// authenticated sender report.
///
/// The sender's packet index is its random first sequence number plus the packets it sent before, and its rollover
/// counter is that index over 65,536. A sender report says how many packets were sent (`packetCount`), so a packet
/// sent at or after it, with sequence number `sequence`, has an index between `packetCount` and `packetCount` +
/// 65,535 (plus what was sent since the report): one counter fits exactly, and its upper neighbour when packets sent
/// since the report carried the index past the next wrap. SRTCP carries its own index, so the report authenticates
/// whatever the RTP rollover counter is.
public enum SRTPRolloverEstimate {
    /// How many candidates `candidate(_:sequence:packetCount:)` has at most.
    public static let maximumCandidates = 3

    /// The counter to try at `attempt` (0 first), most likely first: the one that fits, the next, the one before;
    /// nil when there is no such counter. Allocation-free.
    public static func candidate(_ attempt: Int, sequence: UInt16, packetCount: UInt32) -> UInt32? {
        let fitting = UInt32((Int64(packetCount) - Int64(sequence) + 65_535) / 65_536)
        switch attempt {
        case 0: return fitting
        case 1: return fitting &+ 1
        case 2: return fitting > 0 ? fitting - 1 : nil
        default: return nil
        }
    }
}
