import EarshotImpairment

/// Hostile packets injected, per `AttackKind`, for the proxy's summary: a test checks that the receiver's counters
/// account for every one. A packet counts once `sendto` accepted it (it may still be dropped by the receiver's
/// socket buffer); a refused send counts as failed instead. Main thread only (the flood's counts are merged in
/// after its thread is joined).
struct AttackCounters {
    /// Datagrams sent, per class.
    var sent: [AttackKind: Int] = [:]
    /// Datagrams the kernel refused, per class.
    var failed: [AttackKind: Int] = [:]
    /// `spoofed-bye` datagrams sent to the RTCP port (destination + 1) and to the RTP port (rtcp-mux).
    var spoofedByeToRTCPPort = 0
    var spoofedByeToRTPPort = 0
    /// `flood` datagrams by kind, and how long the flood ran.
    var floodRTP = 0
    var floodGarbage = 0
    var floodSeconds = 0.0

    var total: Int { sent.values.reduce(0, +) }

    /// `far-ahead 20, ..., flood 250000 (rtp …, garbage …, … /s over … s)`, classes in `AttackKind` order.
    var summary: String {
        AttackKind.allCases.map { kind in
            var text = "\(kind) \(sent[kind, default: 0])"
            if failed[kind, default: 0] > 0 { text += " (failed \(failed[kind, default: 0]))" }
            if kind == .flood && floodSeconds > 0 {
                let rate = Int((Double(floodRTP + floodGarbage) / floodSeconds).rounded())
                text += " (rtp \(floodRTP), garbage \(floodGarbage), \(rate)/s over \(String(format3: floodSeconds)) s)"
            }
            return text
        }.joined(separator: ", ")
    }

    /// `attack.<class>=N attack.<class>.failed=N ...` for every class, plus the spoofed-bye and flood breakdowns.
    var keyValues: [(String, String)] {
        var pairs: [(String, String)] = []
        for kind in AttackKind.allCases {
            pairs.append(("attack.\(kind)", "\(sent[kind, default: 0])"))
            pairs.append(("attack.\(kind).failed", "\(failed[kind, default: 0])"))
        }
        pairs.append(("attack.spoofed-bye.to-rtcp-port", "\(spoofedByeToRTCPPort)"))
        pairs.append(("attack.spoofed-bye.to-rtp-port", "\(spoofedByeToRTPPort)"))
        pairs.append(("attack.flood.rtp", "\(floodRTP)"))
        pairs.append(("attack.flood.garbage", "\(floodGarbage)"))
        pairs.append(("attack.flood.seconds", String(format3: floodSeconds)))
        pairs.append(("attack.total", "\(total)"))
        return pairs
    }
}
