/// `--redundancy auto`: sends copies while a receiver's RTCP reports show datagrams going missing, and for
/// `holdNanoseconds` after the last report that did.
///
/// Why from the reports' counters and not their "fraction lost": a receiver counts every copy it receives
/// (RFC 3550 A.3 counts duplicates as received), so once copies flow its fraction lost reads 0 whatever the network
/// drops, and copies would stop as soon as they worked. Between two reports of one receiver, `expected` grows by the
/// new sequence numbers `n` and its cumulative loss by `lost = n − received`. Without copies `lost` datagrams went
/// missing; with copies every sequence number was sent twice, so `2n − received = n + lost` did. A report interval
/// in which copies were switched is not judged. A receiver that does not count duplicates (against the RFC) reads as
/// losing half the datagrams and keeps copies on: the safe side.
///
/// Trust: it believes every report it is given. Give it only receivers the sender admitted and their reports about
/// this stream (`SenderRTCPSession`'s table, which `SenderPipeline` passes), so a stranger's reports cannot switch
/// copies on.
///
/// Control thread only. It remembers each receiver's previous report, for the receivers of the latest `update`
/// only: one the table forgot is forgotten here too, so its memory is bounded by the table's.
public struct RedundancyPolicy: Sendable {
    /// How long copies stay on after the last report of missing datagrams.
    public let holdNanoseconds: Int64
    /// Datagrams missing in one interval that count as loss with copies on: a report taken between an original and
    /// its copy leaves one of them to the next interval.
    public let missingWithCopies = 2

    public private(set) var copiesOn = false
    /// Report intervals judged lossy since the start.
    public private(set) var lossyIntervals = 0
    /// Read only while copies are on, which a loss sets first.
    private var lastLossNanos: Int64 = 0
    /// When copies were last switched on or off.
    private var switchedNanos: Int64 = .min

    private struct Previous {
        var reports: Int
        var reportNanos: Int64
        var extendedHighestSequence: UInt32
        var cumulativeLost: Int
        /// The `update` that last saw this receiver.
        var seen: Int
    }

    private var previous: [UInt32: Previous] = [:]
    /// Counts `update` calls, to tell receivers still given from those gone.
    private var updates = 0

    /// Receivers whose previous report it remembers (those of the latest `update`).
    public var rememberedReceivers: Int { previous.count }

    public init(holdSeconds: Double = 10) {
        holdNanoseconds = Int64(holdSeconds * 1e9)
    }

    /// Takes every admitted receiver's latest report (only new ones count) and returns whether copies should be sent
    /// now. Receivers missing from `receivers` are forgotten.
    public mutating func update(receivers: some Sequence<RemoteReceiverStatistics>, nowNanos: Int64) -> Bool {
        updates &+= 1
        var given = 0
        for receiver in receivers {
            given += 1
            let before = previous[receiver.ssrc]
            guard before?.reports != receiver.reports else {
                previous[receiver.ssrc]?.seen = updates
                continue
            }
            previous[receiver.ssrc] = Previous(
                reports: receiver.reports, reportNanos: receiver.lastReportTime,
                extendedHighestSequence: receiver.extendedHighestSequence, cumulativeLost: receiver.cumulativeLost,
                seen: updates)
            guard let before, before.reportNanos > switchedNanos else { continue }
            let advance = receiver.extendedHighestSequence &- before.extendedHighestSequence
            let newSequences = Int(Int32(bitPattern: advance))
            guard newSequences > 0 else { continue }
            let lost = receiver.cumulativeLost - before.cumulativeLost
            let missing = copiesOn ? newSequences + lost : lost
            if missing >= (copiesOn ? missingWithCopies : 1) {
                lossyIntervals += 1
                lastLossNanos = nowNanos
                if !copiesOn {
                    copiesOn = true
                    switchedNanos = nowNanos
                }
            }
        }
        if previous.count > given {
            let current = updates
            previous = previous.filter { $0.value.seen == current }
        }
        if copiesOn && nowNanos - lastLossNanos > holdNanoseconds {
            copiesOn = false
            switchedNanos = nowNanos
        }
        return copiesOn
    }
}
