/// When each media timestamp of the stream was captured, on this host's CLOCK_MONOTONIC: the line a scheduled
/// playout (`--sync-latency`) measures its delay from, instead of the packets' fastest arrival.
///
/// Built from the sender's reports (RFC 3550 SR: an NTP time and the RTP timestamp of the same instant) mapped into
/// the receiver's clock (`SenderClockMapping`), anchored on a media timestamp of the jitter buffer's timeline. A value
/// type without storage: the producer replaces it at each report.
public struct CaptureTimeline: Sendable, Equatable {
    /// A media timestamp (the jitter buffer's extended 48 kHz timeline) ...
    public var timestamp: Int64
    /// ... and the CLOCK_MONOTONIC instant its first sample was captured, in nanoseconds.
    public var nanoseconds: Int64
    /// Receiver nanoseconds per sample: 62 500 / 3 at 48 kHz, more or less by the sender's and the receiver's clocks'
    /// drift.
    public var nanosecondsPerSample: Double

    public static let nominalNanosecondsPerSample = 1e9 / 48_000

    public init(timestamp: Int64, nanoseconds: Int64, nanosecondsPerSample: Double = Self.nominalNanosecondsPerSample) {
        self.timestamp = timestamp
        self.nanoseconds = nanoseconds
        self.nanosecondsPerSample = nanosecondsPerSample
    }

    /// The capture instant of media timestamp `timestamp`, CLOCK_MONOTONIC nanoseconds.
    @inline(__always)
    public func captureNanoseconds(of timestamp: Int64) -> Int64 {
        let offset = Double(timestamp - self.timestamp) * nanosecondsPerSample
        return nanoseconds + Int64(offset + (offset < 0 ? -0.5 : 0.5))
    }
}
