import EarshotNet

/// What one admitted receiver last said about this stream in its RTCP receiver reports (RFC 3550 §6.4.1).
public struct RemoteReceiverStatistics: Sendable, Equatable {
    /// The reporting receiver's SSRC.
    public var ssrc: UInt32
    /// Where its reports come from (fixed once admitted: reports under its SSRC from elsewhere are rejected).
    public var address: SocketAddress
    /// Its SDES CNAME once seen, sanitised (`TerminalSafeText`): printable, no spaces or control characters, at most
    /// 64 characters plus `…`; safe to print as is.
    public var cname: String?
    /// Fraction of packets lost in the last report interval, 0 ... 1.
    public var fractionLost: Double
    /// Packets lost since it started receiving (negative with duplicates).
    public var cumulativeLost: Int
    /// Extended highest sequence number received.
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in milliseconds (the report's 48 kHz units / 48).
    public var jitterMilliseconds: Double
    /// Round-trip time from the last report that echoed one of our SRs (arrival − LSR − DLSR), in milliseconds.
    public var roundTripMilliseconds: Double?
    /// Reports received from it.
    public var reports: Int
    /// CLOCK_MONOTONIC ns of its latest report.
    public var lastReportTime: Int64
    /// It sent BYE.
    public var left: Bool
}
