/// The one-line summary of a running receiver that the service manager shows (`systemctl status`, `STATUS=`):
/// the stream (SSRC and sender) if one plays, its delay and target, packets lost of those received, the device's
/// state, and a stalled thread if the watchdog is being withheld. For example
/// `playing SSRC 0x1A2B3C4D from 192.0.2.10:40000, delay 6.0/6.5 ms, lost 3 of 1200 packets, device playing`.
public enum ReceiverStatusSummary {
    public static func line(
        stats: ReceiverStats, stream: ReceiverStreamIdentity?, deviceState: PlaybackDeviceState,
        stalled: ReceiverLiveness.Thread? = nil
    ) -> String {
        var parts: [String] = []
        if let stream {
            parts.append("playing SSRC 0x\(hex(stream.ssrc)) from \(stream.sender)")
            parts.append(
                "delay \(ReceiverStats.format(stats.playoutDelayMs))/\(ReceiverStats.format(stats.targetDelayMs)) ms")
        } else {
            parts.append("no stream")
        }
        parts.append("lost \(stats.packetsLost) of \(stats.packetsReceived) packets")
        parts.append("device \(deviceState.rawValue)")
        if let stalled { parts.append("\(stalled.rawValue) thread not turning: watchdog withheld") }
        return parts.joined(separator: ", ")
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
