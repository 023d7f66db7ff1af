/// Why the sender ignored an RTCP datagram that arrived on its RTCP socket. Each reason is counted
/// (`ReceiverReportCounters`) and shown in the statistics as `rtcp_rejected_<logKey>`.
/// A datagram counts under one reason: `stranger`, then `malformed`, are decided before anything else; then the first
/// report block about this stream that could not be recorded gives its reason (`unproven`, `ssrcConflict`,
/// `tableFull`); `notAboutThisStream` when nothing in it applied.
public enum ReceiverReportRejection: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// From an address the stream is not sent to: for a unicast `--to HOST:PORT`, reports count only from HOST's
    /// PORT (the RTP port) or PORT + 1 (the RTCP port). Not parsed.
    case stranger
    /// Not a valid RTCP compound packet.
    case malformed
    /// Only for a multicast `--to`: an address not yet known as a receiver, whose report block about this stream
    /// does not echo one of the sender's recent SRs (its LSR field), so nothing shows it is listening to the group.
    case unproven
    /// Well formed and from an acceptable address, but says nothing the sender uses: no report block about this
    /// stream's SSRC, and no CNAME or BYE of a receiver already known from that address.
    case notAboutThisStream
    /// A report under the SSRC of a receiver already known from another address (a stranger claiming its name, or
    /// the receiver moved: it is accepted again once its old entry expired).
    case ssrcConflict
    /// A new receiver while the receiver table is full of receivers that still report (none left or expired).
    case tableFull
    /// With a key: does not authenticate as SRTCP under it (plain RTCP, another key, forged or replayed). Decided
    /// right after `stranger`, before anything parses it.
    case unauthenticated

    /// The suffix of its `rtcp_rejected_` log key.
    public var logKey: String {
        switch self {
        case .stranger: "stranger"
        case .malformed: "malformed"
        case .unproven: "unproven"
        case .notAboutThisStream: "not_about_stream"
        case .ssrcConflict: "ssrc_conflict"
        case .tableFull: "table_full"
        case .unauthenticated: "unauthenticated"
        }
    }

    /// What happened and what to do about it, for the log line written the first time a reason counts.
    public var description: String {
        switch self {
        case .stranger:
            "RTCP from an address this stream is not sent to ignored: reports count only from a --to host's RTP or "
                + "RTCP port (send to a receiver at the address and port pair it replies from)"
        case .malformed:
            "datagram that is not valid RTCP ignored (is something else sending to the sender's RTCP port?)"
        case .unproven:
            "RTCP about this multicast stream ignored from a new address that echoes none of our recent sender "
                + "reports; a genuine receiver is accepted once it has received one"
        case .notAboutThisStream:
            "RTCP without a report about this stream ignored (a receiver that has not received packets yet, or "
                + "reports about another sender)"
        case .ssrcConflict:
            "RTCP under a known receiver's SSRC from another address ignored until that receiver's entry expires"
        case .tableFull:
            "RTCP from a new receiver ignored: the receiver table is full of receivers that keep reporting"
        case .unauthenticated:
            "RTCP that does not authenticate under the stream's key ignored (a receiver without the key, or with "
                + "another: give it the sender's --key-file)"
        }
    }
}
