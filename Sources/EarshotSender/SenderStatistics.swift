/// Everything the sender knows about its stream at one moment: send-thread counters, capture counters, and what
/// each receiver reported over RTCP. Built by the control thread; a plain value.
public struct SenderStatistics: Sendable, Equatable {
    public var ssrc: UInt32
    public var counters: SenderCounters
    /// Seconds since the first frame was due.
    public var elapsedSeconds: Double
    /// Peak sample level since the previous snapshot, dBFS (−∞ as −200).
    public var peakDBFS: Double
    /// RTP bitrate (headers + payload) since the previous snapshot, bits per second.
    public var bitrate: Double
    /// Capture ring overruns (frames dropped) and device xruns; 0 for sources the sender paces.
    public var captureOverrunFrames: Int
    public var captureXruns: Int
    /// Sender reports sent so far.
    public var senderReports: Int
    /// Receivers admitted and reporting on this stream, by SSRC order.
    public var receivers: [RemoteReceiverStatistics]
    /// What became of the RTCP datagrams received: accepted, or rejected by reason; receivers forgotten.
    public var receiverReports: ReceiverReportCounters

    /// One line for a terminal status display (no newline).
    public var statusLine: String {
        var line = String(
            printf: "level %6.1f dBFS  %6.1f kb/s  %ld pkts", peakDBFS, bitrate / 1000, counters.packets)
        if counters.sendErrors > 0 { line += "  send errors \(counters.sendErrors)" }
        if counters.resynchronizations > 0 { line += "  resyncs \(counters.resynchronizations)" }
        if counters.redundancyOn { line += "  copies on" }
        if receiverReports.rejected > 0 { line += "  rtcp rejected \(receiverReports.rejected)" }
        if captureOverrunFrames > 0 || captureXruns > 0 {
            line += "  overrun \(captureOverrunFrames) fr  xruns \(captureXruns)"
        }
        for receiver in receivers where !receiver.left {
            line += "  | \(receiver.address.host) " + Self.receiverFields(receiver)
        }
        return line
    }

    /// One self-describing `key=value` log line (no newline).
    public var logLine: String {
        var line = String(
            printf: "t=%.1fs packets=%ld bytes=%ld bitrate=%.1fkb/s peak=%.1fdBFS late=%ld resyncs=%ld skipped=%ld "
                + "dtx_frames=%ld send_errors=%ld encode_errors=%ld copies=%ld copies_on=%ld",
            elapsedSeconds, counters.packets, counters.payloadOctets, bitrate / 1000, peakDBFS,
            counters.missedDeadlines, counters.resynchronizations, counters.skippedFrames, counters.dtxFrames,
            counters.sendErrors, counters.encodeErrors, counters.redundantPackets, counters.redundancyOn ? 1 : 0)
        if captureOverrunFrames > 0 || captureXruns > 0 {
            line += " capture_overrun_frames=\(captureOverrunFrames) capture_xruns=\(captureXruns)"
        }
        line += " sender_reports=\(senderReports) receivers=\(receivers.count)"
        line += " rtcp_accepted=\(receiverReports.accepted) rtcp_rejected=\(receiverReports.rejected)"
        for reason in ReceiverReportRejection.allCases where receiverReports[reason] > 0 {
            line += " rtcp_rejected_\(reason.logKey)=\(receiverReports[reason])"
        }
        if receiverReports.expiredReceivers > 0 { line += " receivers_expired=\(receiverReports.expiredReceivers)" }
        for receiver in receivers {
            line += String(printf: " [ssrc=%08x", receiver.ssrc) + " addr=\(receiver.address)"
            line += String(
                printf: " loss=%.1f%% cumulative_lost=%ld jitter=%.2fms", receiver.fractionLost * 100,
                receiver.cumulativeLost, receiver.jitterMilliseconds)
            line += receiver.roundTripMilliseconds.map { String(printf: " rtt=%.2fms", $0) } ?? " rtt=-"
            if let cname = receiver.cname { line += " cname=\(cname)" }
            if receiver.left { line += " left" }
            line += "]"
        }
        return line
    }

    private static func receiverFields(_ receiver: RemoteReceiverStatistics) -> String {
        String(
            printf: "loss %.1f%% (%ld)  jitter %.2f ms  rtt ", receiver.fractionLost * 100, receiver.cumulativeLost,
            receiver.jitterMilliseconds) + (receiver.roundTripMilliseconds.map { String(printf: "%.2f ms", $0) } ?? "-")
    }
}
