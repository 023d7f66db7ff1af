import EarshotNet
import EarshotProtocol

/// Who may report on this stream over RTCP: decided from where the stream is sent (`--to`), since anyone can send
/// a datagram to the sender's RTCP port.
///
/// - A unicast destination `HOST:PORT` is one receiver at a known address: its reports count only from HOST's PORT
///   (the RTP port, RFC 5761 multiplexing) or PORT + 1 (the RTCP port, RFC 3550's convention, which earshot-recv,
///   ffmpeg and the impairment proxy reply from). A receiver that replies from any other port is rejected (counted
///   as `stranger`), not guessed at.
/// - A multicast destination has receivers the sender cannot list, from any address. A new one is admitted only by
///   a well-formed report block about this stream's SSRC whose LSR echoes one of the sender's last
///   `rememberedReports` SRs: proof that it receives the group (a stranger off the group sees neither the SSRC nor
///   the SRs' NTP times). Afterwards its reports count like a unicast receiver's; the receiver table bounds how many
///   it admits. On the group's own LAN anyone who joins it can still report: that is multicast's trust model.
/// - Any other source is a stranger.
///
/// Control thread only (owned by `SenderRTCPSession`); `noteSenderReport` allocates nothing (a fixed ring).
struct ReceiverReportAdmission {
    /// Where a datagram came from, as far as reports are concerned.
    enum Origin: Equatable {
        /// A unicast destination's host at its RTP or RTCP port.
        case destination
        /// Not a unicast destination, but the stream also goes to a multicast group of this address family.
        case multicastGroup
        /// Neither.
        case stranger
    }

    /// How many of our latest SRs a multicast newcomer's LSR may echo: 16 s of SRs at the ~1 s interval, more than a
    /// report interval of any RFC 3550 receiver (5 s minimum, randomised up to 7.5 s).
    static let rememberedReports = 16

    /// Each unicast destination's RTP and RTCP address.
    private let unicastSources: [SocketAddress]
    private let multicastFamilies: [Int32]
    /// Middle 32 bits of the NTP timestamps of our last SRs (a ring; 0 = unused).
    private var recentReports: [UInt32]
    private var nextSlot = 0

    init(destinations: [SocketAddress]) {
        unicastSources = destinations.filter { !$0.isMulticast }.flatMap {
            [$0, SenderRTCPSession.rtcpAddress(of: $0)]
        }
        var families: [Int32] = []
        for destination in destinations where destination.isMulticast && !families.contains(destination.family) {
            families.append(destination.family)
        }
        multicastFamilies = families
        recentReports = [UInt32](repeating: 0, count: Self.rememberedReports)
    }

    func origin(of source: SocketAddress) -> Origin {
        if unicastSources.contains(source) { return .destination }
        if multicastFamilies.contains(source.family) { return .multicastGroup }
        return .stranger
    }

    /// Remembers an SR just sent, whose NTP timestamp receivers echo as LSR.
    mutating func noteSenderReport(_ timestamp: NTPTimestamp) {
        recentReports[nextSlot] = timestamp.middle32
        nextSlot = (nextSlot + 1) % recentReports.count
    }

    /// Whether `lastSenderReport` (a report block's LSR) echoes one of our recent SRs. 0 ("no SR received yet",
    /// RFC 3550 §6.4.1) never does.
    func echoesRecentReport(_ lastSenderReport: UInt32) -> Bool {
        lastSenderReport != 0 && recentReports.contains(lastSenderReport)
    }
}
