/// The sender's clock against this receiver's CLOCK_MONOTONIC, from NTP-style exchanges (`--clock sender`): the
/// receiver sends its time t1, the sender answers with t1, its receive time t2 and its send time t3, and the
/// receiver stamps the answer's arrival t4. Each exchange gives an offset ((t2 − t1) + (t3 − t4)) / 2, sender minus
/// receiver, at the receiver's instant (t1 + t4) / 2, and a round trip (t4 − t1) − (t3 − t2).
///
/// A queue or a scheduler delay on one leg only biases the offset by half of it, and it shows as a longer round
/// trip: of the last `capacity` exchanges only those within `roundTripSlackNanos` of the shortest round trip count
/// (at least `minimumKept` of the shortest), and a least-squares line through their offsets against the receiver's
/// time gives the offset now and the clocks' rate (a skew of hundreds of ppm moves the offset by milliseconds over
/// the window). With fewer than three kept exchanges, the shortest round trip's offset and no rate.
///
/// Invariant: fixed storage (`InlineArray`); allocation-free. Producer thread only (the simulation in the tests).
struct SenderClockEstimator {
    struct Exchange {
        /// Receiver's instant (t1 + t4) / 2, ns.
        var receiverNanos: Int64 = 0
        /// Sender minus receiver, ns.
        var offsetNanos: Int64 = 0
        var roundTripNanos: Int64 = 0
    }

    static let capacity = 48
    /// Exchanges whose round trip is at most this much above the shortest kept count.
    static let roundTripSlackNanos: Int64 = 100_000  // loopback p50 0.1 ms; a wired LAN's a few tenths
    /// At least this many of the shortest round trips count, however spread.
    static let minimumKept = 6

    private var exchanges = InlineArray<48, Exchange>(repeating: Exchange())
    private var next = 0
    private(set) var count = 0
    /// The fit: offset at `referenceNanos` and its slope (sender ns per receiver ns, minus 1).
    private(set) var offsetNanos: Double?
    private(set) var referenceNanos: Int64 = 0
    private(set) var rate = 0.0
    /// The shortest round trip in the window, ns.
    private(set) var shortestRoundTripNanos: Int64 = 0

    /// Receiver nanoseconds per sender nanosecond (1 until a rate is measured).
    var receiverNanosPerSenderNano: Double { 1 / (1 + rate) }

    mutating func reset() {
        next = 0
        count = 0
        offsetNanos = nil
        rate = 0
    }

    /// One exchange (receiver t1, t4 on CLOCK_MONOTONIC; sender t2, t3 on its clock, Unix ns). A negative round
    /// trip (a clock stepped mid-exchange, a forged answer) is ignored.
    mutating func add(t1: Int64, t2: Int64, t3: Int64, t4: Int64) {
        let roundTrip = (t4 - t1) - (t3 - t2)
        guard roundTrip >= 0, t4 >= t1 else { return }
        let offset = ((t2 - t1) + (t3 - t4)) / 2
        exchanges[next] = Exchange(receiverNanos: t1 + (t4 - t1) / 2, offsetNanos: offset, roundTripNanos: roundTrip)
        next = (next + 1) % Self.capacity
        count = min(count + 1, Self.capacity)
        fit()
    }

    /// The receiver's CLOCK_MONOTONIC when the sender's clock read `senderNanos`; nil before any exchange.
    func receiverNanos(ofSenderNanos senderNanos: Int64) -> Int64? {
        guard let offsetNanos else { return nil }
        // senderNanos = r + offset + rate · (r − reference)  ⇒  r − reference = (s − reference − offset) / (1 + rate)
        let sinceReference = Double(senderNanos - referenceNanos) - offsetNanos
        return referenceNanos + Int64((sinceReference / (1 + rate)).rounded())
    }

    /// The offset (sender minus receiver, ns) at receiver instant `receiverNanos`; nil before any exchange.
    func offsetNanos(atReceiverNanos receiverNanos: Int64) -> Double? {
        offsetNanos.map { $0 + rate * Double(receiverNanos - referenceNanos) }
    }

    private mutating func fit() {
        var shortest = Int64.max
        for index in 0..<count { shortest = min(shortest, exchanges[index].roundTripNanos) }
        shortestRoundTripNanos = shortest
        // The bound that keeps at least `minimumKept` (or all there are): the k-th shortest round trip.
        var bound = shortest + Self.roundTripSlackNanos
        let wanted = min(Self.minimumKept, count)
        var kept = 0
        for index in 0..<count where exchanges[index].roundTripNanos <= bound { kept += 1 }
        while kept < wanted {
            var nextShortest = Int64.max
            for index in 0..<count where exchanges[index].roundTripNanos > bound {
                nextShortest = min(nextShortest, exchanges[index].roundTripNanos)
            }
            bound = nextShortest
            kept = 0
            for index in 0..<count where exchanges[index].roundTripNanos <= bound { kept += 1 }
        }
        // Least squares of offset against receiver time, relative to the newest kept exchange (small numbers).
        var reference = Int64.min
        for index in 0..<count where exchanges[index].roundTripNanos <= bound {
            reference = max(reference, exchanges[index].receiverNanos)
        }
        var baseOffset: Int64 = 0
        for index in 0..<count where exchanges[index].receiverNanos == reference {
            baseOffset = exchanges[index].offsetNanos
        }
        var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumXY = 0.0, n = 0.0
        var earliest = reference
        for index in 0..<count where exchanges[index].roundTripNanos <= bound {
            let x = Double(exchanges[index].receiverNanos - reference)
            let y = Double(exchanges[index].offsetNanos - baseOffset)
            sumX += x
            sumY += y
            sumXX += x * x
            sumXY += x * y
            n += 1
            earliest = min(earliest, exchanges[index].receiverNanos)
        }
        referenceNanos = reference
        let variance = n * sumXX - sumX * sumX
        // A rate needs three exchanges over at least a second.
        if n >= 3 && Double(reference - earliest) >= 1e9 && variance > 0 {
            rate = (n * sumXY - sumX * sumY) / variance
            offsetNanos = Double(baseOffset) + (sumY - rate * sumX) / n
        } else {
            rate = 0
            offsetNanos = Double(baseOffset) + sumY / n
        }
    }
}
