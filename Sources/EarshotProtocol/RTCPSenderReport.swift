/// View of an SR packet (PT 200): sender SSRC, sender info, then `reportCount` report blocks.
///
/// ```
/// header |V=2|P|    RC   |   PT=SR=200   |             length            |
///        |                         SSRC of sender                        |
/// sender |              NTP timestamp, most significant word             |
/// info   |             NTP timestamp, least significant word             |
///        |                         RTP timestamp                         |
///        |                     sender's packet count                     |
///        |                      sender's octet count                     |
/// report |                 report block 1 (24 bytes) ...                 |
/// ```
public struct RTCPSenderReport {
    let body: UnsafeRawBufferPointer
    /// Number of report blocks (RC).
    public let reportCount: Int

    init(body: UnsafeRawBufferPointer, count: Int) {
        self.body = body
        reportCount = count
    }

    public var ssrc: UInt32 { body.loadBigEndianUInt32(at: 0) }

    public var senderInfo: RTCPSenderInfo {
        RTCPSenderInfo(
            ntpTimestamp: NTPTimestamp(
                seconds: body.loadBigEndianUInt32(at: 4), fraction: body.loadBigEndianUInt32(at: 8)),
            rtpTimestamp: body.loadBigEndianUInt32(at: 12),
            packetCount: body.loadBigEndianUInt32(at: 16),
            octetCount: body.loadBigEndianUInt32(at: 20))
    }

    /// Report block `index` (`0 ..< reportCount`).
    public func reportBlock(at index: Int) -> RTCPReportBlock {
        precondition(index >= 0 && index < reportCount, "report block index out of range")
        return RTCPReportBlock(reading: body, at: 4 + RTCPSenderInfo.size + index * RTCPReportBlock.size)
    }
}

/// View of an RR packet (PT 201): reporter SSRC, then `reportCount` report blocks.
public struct RTCPReceiverReport {
    let body: UnsafeRawBufferPointer
    /// Number of report blocks (RC).
    public let reportCount: Int

    init(body: UnsafeRawBufferPointer, count: Int) {
        self.body = body
        reportCount = count
    }

    /// SSRC of the receiver sending the report.
    public var ssrc: UInt32 { body.loadBigEndianUInt32(at: 0) }

    /// Report block `index` (`0 ..< reportCount`).
    public func reportBlock(at index: Int) -> RTCPReportBlock {
        precondition(index >= 0 && index < reportCount, "report block index out of range")
        return RTCPReportBlock(reading: body, at: 4 + index * RTCPReportBlock.size)
    }
}
