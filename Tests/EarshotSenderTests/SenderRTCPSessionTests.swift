import EarshotNet
@testable import EarshotSender
import Testing

@Suite struct SenderRTCPSessionTests {
    /// Before the first RTP packet no SR can be written (there is no NTP ↔ RTP mapping yet). The session must move
    /// its due time ahead: the control loop waits on RTCP until the next report is due, and a due time left in the
    /// past made it poll with a zero timeout for the whole start-up of a capture device.
    @Test func beforeTheFirstPacketTheDueTimeMovesAheadInsteadOfStayingDue() throws {
        let socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let counters = SenderCounterCells()
        defer { counters.destroy() }
        let session = SenderRTCPSession(
            ssrc: 1, cname: "test", sockets: [socket], rtpDestinations: [try SocketAddress(parsing: "127.0.0.1:9")],
            destinationSockets: [0], counters: counters, initialTimestamp: 0)
        let before = MonotonicInstant.now().nanoseconds
        #expect(!session.sendReportIfDue())
        #expect(session.nextReportTime >= before + SenderRTCPSession.firstPacketRetryNanoseconds / 2)
        #expect(session.reportsSent == 0)
        // The first packet went out: the report follows at the retry.
        counters.publishAnchor(time: MonotonicInstant.now().nanoseconds, frames: 240)
        MonotonicInstant.sleep(nanoseconds: SenderRTCPSession.firstPacketRetryNanoseconds)
        #expect(session.sendReportIfDue())
        #expect(session.reportsSent == 1)
    }
}
