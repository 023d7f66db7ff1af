/// What the proxy did, for the exit summary. Counts every packet once per category it fell into.
///
/// Invariant at exit: packetsIn = forwarded + dropped (held burst groups are released before the summary).
/// Hostile packets are not in these counts but in `attacks`.
struct ProxyCounters {
    var packetsIn = 0
    var forwarded = 0
    var droppedRandom = 0
    var droppedBurst = 0
    var duplicated = 0
    var corrupted = 0
    var reordered = 0
    /// Packets sent later than they arrived (delay > 0 after jitter).
    var delayed = 0
    var reverse = 0
    var sendErrors = 0
    /// RTP packets whose timestamp `--restamp-jitter-ms` rewrote (an offset of 0 included).
    var restamped = 0
    /// Groups `--burst-send` released, and how many of them were partial (after the timeout, or at exit): with
    /// N = --burst-send, N × (burstGroups − burstPartialGroups) + the partial groups' packets = RTP packets in.
    var burstGroups = 0
    var burstPartialGroups = 0
    var attacks = AttackCounters()

    var dropped: Int { droppedRandom + droppedBurst }

    /// Human-readable: one line, plus an `attacks:` line.
    var summary: String {
        """
        earshot-impair summary: packets in \(packetsIn), forwarded \(forwarded), \
        dropped \(dropped) (random \(droppedRandom), burst \(droppedBurst)), duplicated \(duplicated), \
        corrupted \(corrupted), reordered \(reordered), delayed \(delayed), reverse \(reverse), \
        send errors \(sendErrors), restamped \(restamped), burst groups \(burstGroups) (partial \(burstPartialGroups))
        earshot-impair attacks: \(attacks.summary)
        """
    }

    /// Machine-readable: one line `earshot-impair counters: key=value key=value ...`, every key always present,
    /// values integers (`attack.flood.seconds`: seconds with three decimals). Keys: packets_in, forwarded,
    /// dropped, dropped_random, dropped_burst, duplicated, corrupted, reordered, delayed, reverse, send_errors,
    /// restamped, burst_groups, burst_partial_groups, then `AttackCounters.keyValues` (attack.<class>,
    /// attack.<class>.failed, ..., attack.total).
    var keyValueLine: String {
        let pairs: [(String, String)] = [
            ("packets_in", "\(packetsIn)"), ("forwarded", "\(forwarded)"), ("dropped", "\(dropped)"),
            ("dropped_random", "\(droppedRandom)"), ("dropped_burst", "\(droppedBurst)"),
            ("duplicated", "\(duplicated)"), ("corrupted", "\(corrupted)"), ("reordered", "\(reordered)"),
            ("delayed", "\(delayed)"), ("reverse", "\(reverse)"), ("send_errors", "\(sendErrors)"),
            ("restamped", "\(restamped)"), ("burst_groups", "\(burstGroups)"), ("burst_partial_groups", "\(burstPartialGroups)"),
        ] + attacks.keyValues
        return "earshot-impair counters: " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}
