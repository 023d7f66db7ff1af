import EarshotNet
import EarshotProtocol

/// Turns the sender's reports (RFC 3550 SR: its clock's NTP time at an RTP timestamp) into the `CaptureTimeline` a
/// scheduled playout measures from: the capture instant of each media timestamp on this host's CLOCK_MONOTONIC.
///
/// The sender's clock is read on the receiver's by the schedule's `ClockSource`: through the receiver's own
/// REALTIME − MONOTONIC offset (`system`: both hosts' clocks are trusted to agree), or through the offset and rate
/// `SenderClockEstimator` measured (`sender`). The RTP clock's rate against the sender's clock (a capture device's
/// crystal) is the slope between the stream's first report and the latest, once they span `rateSpanSeconds`; the
/// nominal 48 kHz until then.
///
/// Invariant: no storage; allocation-free. Producer thread only.
struct SenderCaptureClock {
    let schedule: PlayoutSchedule
    /// CLOCK_MONOTONIC at `init`: where the test-only skew of the system clock's view starts.
    private let startNanos: Int64
    /// The report the RTP clock's rate is measured from: its RTP timestamp and the sender's clock then (Unix ns).
    /// In RTP units, not media ones: the media timeline follows sequence numbers and leaves out a sender's skipped
    /// ticks, each a frame (500 ppm over 10 s at 5 ms).
    private var first: (rtpTimestamp: UInt32, senderNanos: Int64)?
    /// Sender nanoseconds per sample of its RTP clock.
    private(set) var senderNanosPerSample = CaptureTimeline.nominalNanosecondsPerSample
    /// The offset and rate to the sender's clock, for `ClockSource.sender`.
    var estimator = SenderClockEstimator()

    /// Reports at least this far apart give the RTP clock's rate.
    static let rateSpanSeconds = 10.0
    /// The rate's reference report is replaced after this long (the rate is kept until the next span is long enough).
    static let rateRestartSeconds = 3600.0
    /// The most an RTP clock's rate is believed to differ from the nominal: 1000 ppm.
    static let maximumRateDeviation = 0.001

    init(schedule: PlayoutSchedule, nowNanos: Int64) {
        self.schedule = schedule
        startNanos = nowNanos
    }

    /// A new stream: its media timestamps start over; with `newSender`, so does the clock estimate.
    mutating func reset(newSender: Bool = false) {
        first = nil
        senderNanosPerSample = CaptureTimeline.nominalNanosecondsPerSample
        if newSender { estimator.reset() }
    }

    /// This receiver's system clock (CLOCK_REALTIME, with the test-only offset and skew) at CLOCK_MONOTONIC
    /// `monotonicNanos`, in ns.
    func systemClockNanos(atMonotonic monotonicNanos: Int64) -> Int64 {
        let realtimeAhead = realtimeNanoseconds() - MonotonicInstant.now().nanoseconds
        let skew = schedule.systemClockSkewPpm * 1e-6 * Double(monotonicNanos - startNanos)
        return monotonicNanos + realtimeAhead + Int64(schedule.systemClockOffsetMs * 1e6 + skew)
    }

    /// The CLOCK_MONOTONIC instant at which this receiver's system clock reads `systemNanos` (the inverse of
    /// `systemClockNanos(atMonotonic:)`, to first order in the skew).
    func monotonicNanos(atSystemClock systemNanos: Int64) -> Int64 {
        let realtimeAhead = realtimeNanoseconds() - MonotonicInstant.now().nanoseconds
        let unskewed = systemNanos - realtimeAhead - Int64(schedule.systemClockOffsetMs * 1e6)
        return unskewed - Int64(schedule.systemClockSkewPpm * 1e-6 * Double(unskewed - startNanos))
    }

    /// The receiver's CLOCK_MONOTONIC when the sender's clock read `senderNanos` (Unix ns), nil while `sender`
    /// mode has no estimate yet: `system` takes the sender's clock for this receiver's system clock; `sender` reads
    /// it through the exchanges' estimate of the sender's clock against this receiver's system clock, however wrong
    /// that is.
    func monotonicNanos(ofSenderNanos senderNanos: Int64) -> Int64? {
        switch schedule.clock {
        case .system:
            return monotonicNanos(atSystemClock: senderNanos)
        case .sender:
            return estimator.receiverNanos(ofSenderNanos: senderNanos).map { monotonicNanos(atSystemClock: $0) }
        }
    }

    /// The t1 of a clock request sent now: this receiver's system clock.
    func clockRequestStamp(nowNanos: Int64) -> Int64 { systemClockNanos(atMonotonic: nowNanos) }

    /// One answered clock request: t1 as sent (`clockRequestStamp`), the sender's t2 and t3, and the answer's
    /// arrival on CLOCK_MONOTONIC.
    mutating func addExchange(_ answer: ClockSyncExchange.Answer, arrivalNanos: Int64) {
        let (t2, t3) = (answer.t2.unixTime, answer.t3.unixTime)
        estimator.add(
            t1: Int64(bitPattern: answer.t1), t2: t2.seconds * 1_000_000_000 + t2.nanoseconds,
            t3: t3.seconds * 1_000_000_000 + t3.nanoseconds, t4: systemClockNanos(atMonotonic: arrivalNanos))
    }

    /// The capture timeline from the latest report, `report` (NTP time, RTP timestamp), given the media timestamp
    /// of a placed packet's RTP timestamp (`placed`); nil while the sender's clock cannot be read yet.
    mutating func timeline(
        report: (ntp: NTPTimestamp, rtpTimestamp: UInt32), placed: (rtpTimestamp: UInt32, mediaTimestamp: Int64),
        nowNanos: Int64
    ) -> CaptureTimeline? {
        let timestamp = placed.mediaTimestamp + Int64(Int32(bitPattern: report.rtpTimestamp &- placed.rtpTimestamp))
        let unix = report.ntp.unixTime
        let senderNanos = unix.seconds * 1_000_000_000 + unix.nanoseconds
        if let first {
            // Within 24 h of RTP time (the 32-bit difference); the reference moves on after `rateRestartSeconds`.
            let samples = Int64(report.rtpTimestamp &- first.rtpTimestamp)
            if Double(samples) >= Self.rateSpanSeconds * 48_000 {
                let rate = Double(senderNanos - first.senderNanos) / Double(samples)
                let nominal = CaptureTimeline.nominalNanosecondsPerSample
                if abs(rate / nominal - 1) <= Self.maximumRateDeviation { senderNanosPerSample = rate }
            }
            if Double(samples) >= Self.rateRestartSeconds * 48_000 { self.first = (report.rtpTimestamp, senderNanos) }
        } else {
            first = (report.rtpTimestamp, senderNanos)
        }
        guard let capture = monotonicNanos(ofSenderNanos: senderNanos) else { return nil }
        // Receiver CLOCK_MONOTONIC ns per sender ns: through the system clock's view of it.
        let systemPerSender = schedule.clock == .sender ? estimator.receiverNanosPerSenderNano : 1
        let receiverPerSender = systemPerSender / (1 + schedule.systemClockSkewPpm * 1e-6)
        return CaptureTimeline(
            timestamp: timestamp, nanoseconds: capture, nanosecondsPerSample: senderNanosPerSample * receiverPerSender)
    }
}
