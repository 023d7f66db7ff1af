/// What the proxy did, for the exit summary. Counts every packet once per category it fell into.
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

    var dropped: Int { droppedRandom + droppedBurst }

    var summary: String {
        """
        earshot-impair summary: packets in \(packetsIn), forwarded \(forwarded), \
        dropped \(dropped) (random \(droppedRandom), burst \(droppedBurst)), duplicated \(duplicated), \
        corrupted \(corrupted), reordered \(reordered), delayed \(delayed), reverse \(reverse), \
        send errors \(sendErrors)
        """
    }
}
