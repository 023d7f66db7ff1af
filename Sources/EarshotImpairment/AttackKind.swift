/// A class of hostile packets the proxy can inject toward the receiver (`--attack KIND[:PARAM=VALUE,...]`),
/// each derived from the genuine stream it forwards. The raw value is the name on the command line and in the
/// proxy's summary.
public enum AttackKind: String, Sendable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    /// The stream's SSRC, sequence number `ahead` (300) past the newest genuine one, a copy of a genuine payload;
    /// every 50 ms.
    case farAhead = "far-ahead"
    /// The stream's SSRC, the next sequence number, the timestamp `offset` (45120 samples, 0.94 s) off; every 4 s.
    case timestampOutlier = "timestamp-outlier"
    /// `count` (3) in-sequence packets `ahead` (5000) past the newest genuine one; every 60 ms.
    case resyncBurst = "resync-burst"
    /// The stream's SSRC with the next sequence number and timestamp and a different valid Opus payload, from
    /// another socket; at the stream's packet rate.
    case ssrcSpoof = "ssrc-spoof"
    /// An RTCP BYE (RR + BYE) and a spoofed SR for the stream's SSRC, from another socket, to the RTCP port
    /// (destination port + 1) and the RTP port (rtcp-mux); every second.
    case spoofedBye = "spoofed-bye"
    /// `strangers` (4) foreign SSRCs, each in sequence, interleaved round-robin; one packet per stream packet
    /// interval in all.
    case probationStarvation = "probation-starvation"
    /// `rate` (50 000) packets/s of random garbage (`garbage` %, 50) and valid RTP headers with foreign SSRCs,
    /// from a thread and socket of its own.
    case flood

    public var description: String { rawValue }

    /// Default period between injections, ms; nil: the stream's packet interval (its frame duration).
    /// The flood has no period (it has a rate).
    public var defaultIntervalMilliseconds: Double? {
        switch self {
        case .farAhead: 50
        case .timestampOutlier: 4000
        case .resyncBurst: 60
        case .spoofedBye: 1000
        case .ssrcSpoof, .probationStarvation, .flood: nil
        }
    }

    /// Where the class sends from by default: the proxy's own upstream socket (the genuine packets' source
    /// address) or a socket of its own (another source port).
    public var defaultSource: AttackSource {
        switch self {
        case .farAhead, .timestampOutlier, .resyncBurst, .probationStarvation: .genuine
        case .ssrcSpoof, .spoofedBye, .flood: .other
        }
    }

    /// The `PARAM` names `--attack` accepts for this class.
    public var parameterNames: [String] {
        let periodic = ["interval-ms", "after-ms", "source"]
        return switch self {
        case .farAhead: periodic + ["ahead"]
        case .timestampOutlier: periodic + ["offset"]
        case .resyncBurst: periodic + ["ahead", "count"]
        case .ssrcSpoof: periodic + ["payload"]
        case .spoofedBye: periodic + ["ports"]
        case .probationStarvation: periodic + ["strangers"]
        case .flood: ["after-ms", "rate", "garbage"]
        }
    }
}

/// The local socket hostile packets leave from.
public enum AttackSource: String, Sendable, Equatable, CaseIterable {
    /// The socket genuine packets are forwarded from: same source address and port as the stream.
    case genuine
    /// A socket of the attack's own: another source port.
    case other
}

/// What `ssrc-spoof` carries.
public enum SpoofPayload: String, Sendable, Equatable, CaseIterable {
    /// A genuine payload from `HostileRTPPackets.spoofPayloadLag` packets earlier (the oldest remembered before).
    case old
    /// The Opus TOC byte of a genuine payload with one empty frame (code 0): valid, decodes as a lost frame.
    case silence
}

/// Where `spoofed-bye` sends.
public enum SpoofedByePorts: String, Sendable, Equatable, CaseIterable {
    case both
    case rtcp
    case rtp
}
