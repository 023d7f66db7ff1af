/// What the sender did with the RTCP datagrams it received, and how many receivers it forgot.
///
/// Invariant: every datagram read from the sender's RTCP sockets is counted exactly once, in `accepted` or in one
/// rejection reason (the first that applied), so `received == accepted + rejected`. Kept by the control thread;
/// a plain value in `SenderStatistics`.
public struct ReceiverReportCounters: Sendable, Equatable {
    /// Datagrams that updated the receiver table (a report about this stream, or a known receiver's CNAME or BYE).
    public var accepted = 0
    /// Rejected datagrams, by `ReceiverReportRejection.rawValue`.
    private var rejections = [Int](repeating: 0, count: ReceiverReportRejection.allCases.count)
    /// Receivers dropped from the table after `RemoteReceiverTable.expiryNanoseconds` without a report, or evicted
    /// (once they had left or expired) to make room for a new one.
    public var expiredReceivers = 0

    public init() {}

    /// Datagrams rejected for `reason`.
    public subscript(reason: ReceiverReportRejection) -> Int {
        get { rejections[reason.rawValue] }
        set { rejections[reason.rawValue] = newValue }
    }

    /// Datagrams rejected for any reason.
    public var rejected: Int { rejections.reduce(0, +) }

    /// Every datagram read.
    public var received: Int { accepted + rejected }
}
