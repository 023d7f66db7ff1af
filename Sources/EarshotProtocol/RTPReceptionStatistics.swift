/// Reception statistics for one source, turned into an RTCP report block (RFC 3550 appendix A.3 and 6.4.1).
///
/// Combines the A.1 sequence state, the A.8 jitter (over packets that advance the sequence) and the "prior" counters
/// that make the fraction lost an interval value. Value type, allocation-free; owned by the thread that receives
/// packets. Snapshotting for the RTCP thread is the owner's job (e.g. copy the produced ``RTCPReportBlock`` through an
/// atomic or a lock-free slot).
public struct RTPReceptionStatistics: Sendable {
    public let ssrc: UInt32
    public private(set) var sequence: RTPSequenceTracker
    public private(set) var jitter = InterarrivalJitter()
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0

    /// Starts statistics for `ssrc` at its first packet; also pass that packet to
    /// ``record(sequenceNumber:timestamp:arrival:)``.
    public init(ssrc: UInt32, firstSequence: UInt16) {
        self.ssrc = ssrc
        sequence = RTPSequenceTracker(firstSequence: firstSequence)
    }

    /// Records one packet from this source. `arrival` is the arrival time in RTP timestamp units (48 kHz).
    public mutating func record(sequenceNumber: UInt16, timestamp: UInt32, arrival: UInt32) -> RTPSequenceUpdate {
        let update = sequence.update(sequenceNumber)
        switch update.classification {
        case .resync:
            jitter.reset()
            expectedPrior = 0
            receivedPrior = 0
            jitter.update(arrival: arrival, timestamp: timestamp)
        case .inOrder:
            jitter.update(arrival: arrival, timestamp: timestamp)
        case .duplicate, .reordered:
            // Counted as received (A.3), but not in the jitter, as WebRTC does: an older sequence number may be a
            // copy, whose transit says when the sender sent it again, not how the network varies
            // (`earshot-send --redundancy` copies 15 ms later read as 15 ms of jitter).
            break
        case .probation, .jump:
            break
        }
        return update
    }

    /// Packets expected in this epoch: extended highest − base + 1 (A.3).
    public var expected: UInt32 {
        guard sequence.isValidated else { return 0 }
        return sequence.extendedHighestSequence &- UInt32(sequence.baseSequence) &+ 1
    }

    /// Cumulative packets lost (A.3), clamped to the signed 24-bit field; negative when duplicates outnumber losses.
    public var cumulativeLost: Int32 {
        let lost = Int64(expected) - Int64(sequence.received)
        let range = RTCPReportBlock.cumulativeLostRange
        return Int32(min(max(lost, Int64(range.lowerBound)), Int64(range.upperBound)))
    }

    /// Builds the report block for the next RR/SR and starts a new loss interval (A.3 fraction lost).
    ///
    /// - Parameters:
    ///   - lastSenderReport: middle 32 bits of the NTP timestamp of the last SR from this source (0 if none).
    ///   - delaySinceLastSenderReport: time since that SR arrived, in 1/65536 s (0 if none).
    public mutating func makeReportBlock(
        lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0
    ) -> RTCPReportBlock {
        let expected = self.expected
        let expectedInterval = expected &- expectedPrior
        expectedPrior = expected
        let receivedInterval = sequence.received &- receivedPrior
        receivedPrior = sequence.received
        let lostInterval = Int64(expectedInterval) - Int64(receivedInterval)
        let fraction: UInt8 =
            expectedInterval == 0 || lostInterval <= 0
            ? 0 : UInt8(min(255, (lostInterval << 8) / Int64(expectedInterval)))
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulativeLost,
            extendedHighestSequence: sequence.extendedHighestSequence, jitter: jitter.jitter,
            lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delaySinceLastSenderReport)
    }
}
