import EarshotNet
import EarshotProtocol
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

    // MARK: - Whose reports count

    static let ourSSRC: UInt32 = 0xAB5E_7700

    /// A session sending to `destination`, with a receiver table of `capacity`; nothing is sent by `handle`.
    final class Fixture {
        let socket: UDPSocket
        let counters = SenderCounterCells()
        let session: SenderRTCPSession
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        var now: Int64 = 1_000_000_000

        init(destination: String, capacity: Int = RemoteReceiverTable.defaultCapacity) throws {
            socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
            try socket.setMulticastHops(0)  // an SR to a multicast group never leaves the host
            session = SenderRTCPSession(
                ssrc: SenderRTCPSessionTests.ourSSRC, cname: "sender", sockets: [socket],
                rtpDestinations: [try SocketAddress(parsing: destination)], destinationSockets: [0],
                counters: counters, initialTimestamp: 0,
                receivers: RemoteReceiverTable(capacity: capacity, expiryNanoseconds: 30_000_000_000))
        }

        deinit {
            counters.destroy()
            buffer.deallocate()
        }

        /// Delivers an RR from `reporter` at `source` (one block about `about`, claiming `lost` of `sequence`
        /// packets lost), optionally with a CNAME, 100 ms after the previous datagram.
        func report(
            from source: String, reporter: UInt32, about: UInt32 = SenderRTCPSessionTests.ourSSRC,
            sequence: UInt32 = 1000, lost: Int32 = 0, lastSenderReport: UInt32 = 0, cname: String? = nil
        ) throws {
            var writer = RTCPCompoundWriter(buffer: buffer)
            try writer.appendReceiverReport(ssrc: reporter, reportBlocks: [
                RTCPReportBlock(
                    ssrc: about, fractionLost: lost > 0 ? 128 : 0, cumulativeLost: lost,
                    extendedHighestSequence: sequence, jitter: 0, lastSenderReport: lastSenderReport,
                    delaySinceLastSenderReport: 0),
            ])
            if let cname { try writer.appendSourceDescription(ssrc: reporter, cname: Array(cname.utf8)) }
            deliver(writer.bytes, from: source)
        }

        func deliver(_ bytes: UnsafeRawBufferPointer, from source: String) {
            now += 100_000_000
            session.handle(
                bytes,
                from: Datagram(
                    byteCount: bytes.count, source: try! SocketAddress(parsing: source), receiveTime: now,
                    receiveTimeIsFromKernel: true, arrival: MonotonicInstant(nanoseconds: now), truncated: false))
        }

        var counts: ReceiverReportCounters { session.reportCounters }
        var ssrcs: [UInt32] { session.receivers.map(\.ssrc).sorted() }
        func receiver(_ ssrc: UInt32) -> RemoteReceiverStatistics? { session.receivers.first { $0.ssrc == ssrc } }
    }

    @Test func unicastReportsCountFromTheDestinationOnlyAndStrangersAreCountedByReason() throws {
        let fixture = try Fixture(destination: "127.0.0.1:5004")
        try fixture.report(from: "127.0.0.1:40000", reporter: 1, lost: 50)  // same host, another port
        try fixture.report(from: "127.0.0.2:5005", reporter: 2, lost: 50)  // another host, the RTCP port
        #expect(fixture.ssrcs.isEmpty)
        #expect(fixture.counts[.stranger] == 2)

        try fixture.report(from: "127.0.0.1:5005", reporter: 3, lost: 7)
        try fixture.report(from: "127.0.0.1:5004", reporter: 4)  // rtcp-mux: the RTP port
        #expect(fixture.ssrcs == [3, 4])
        #expect(fixture.counts.accepted == 2)
        #expect(fixture.receiver(3)?.cumulativeLost == 7)

        // From the destination but about another stream, not RTCP, and a known SSRC from the other good address.
        try fixture.report(from: "127.0.0.1:5005", reporter: 5, about: 0x1234)
        fixture.deliver(UnsafeRawBufferPointer(start: nil, count: 0), from: "127.0.0.1:5005")
        let garbage: [UInt8] = [0x80, 0xC9, 0x00, 0x07, 1, 2, 3]
        garbage.withUnsafeBytes { fixture.deliver($0, from: "127.0.0.1:5005") }
        try fixture.report(from: "127.0.0.1:5004", reporter: 3, lost: 99)
        #expect(fixture.receiver(3)?.cumulativeLost == 7, "an impostor's claim")
        #expect(fixture.counts[.notAboutThisStream] == 1)
        #expect(fixture.counts[.malformed] == 2)
        #expect(fixture.counts[.ssrcConflict] == 1)
        // Every datagram counted exactly once.
        #expect(fixture.counts.received == 8)
        #expect(fixture.counts.accepted + fixture.counts.rejected == 8)
        let line = SenderStatistics(
            ssrc: Self.ourSSRC, counters: fixture.counters.snapshot(), elapsedSeconds: 1, peakDBFS: -6, bitrate: 0,
            captureOverrunFrames: 0, captureXruns: 0, senderReports: 0, receivers: [],
            receiverReports: fixture.counts
        ).logLine
        #expect(line.contains(
            "rtcp_accepted=2 rtcp_rejected=6 rtcp_rejected_stranger=2 rtcp_rejected_malformed=2 "
                + "rtcp_rejected_not_about_stream=1 rtcp_rejected_ssrc_conflict=1"), "\(line)")
    }

    @Test func aCNAMEIsSanitisedBeforeItIsStoredAndOnlyItsOwnReceiverNamesOrEndsItself() throws {
        let fixture = try Fixture(destination: "127.0.0.1:5004")
        try fixture.report(from: "127.0.0.1:5005", reporter: 3, cname: "\u{1b}[2J\u{1b}[H\nfake line\r")
        let cname = try #require(fixture.receiver(3)?.cname)
        #expect(cname == "\\x1b[2J\\x1b[H\\x0afake\\x20line\\x0d")
        #expect(!cname.unicodeScalars.contains { $0.value < 0x20 || $0 == " " })

        // From the other acceptable address, a CNAME or BYE for receiver 3 is not its own: ignored and counted.
        var writer = RTCPCompoundWriter(buffer: fixture.buffer)
        try writer.appendReceiverReport(ssrc: 9, reportBlocks: [])
        try writer.appendSourceDescription(ssrc: 3, cname: Array("renamed".utf8))
        try writer.appendGoodbye(sources: [3], reason: [])
        fixture.deliver(writer.bytes, from: "127.0.0.1:5004")
        #expect(fixture.receiver(3)?.cname == cname)
        #expect(fixture.receiver(3)?.left == false)
        #expect(fixture.counts[.notAboutThisStream] == 1)
        // Its own BYE counts.
        writer = RTCPCompoundWriter(buffer: fixture.buffer)
        try writer.appendReceiverReport(ssrc: 3, reportBlocks: [])
        try writer.appendGoodbye(sources: [3], reason: [])
        fixture.deliver(writer.bytes, from: "127.0.0.1:5005")
        #expect(fixture.receiver(3)?.left == true)
        #expect(fixture.counts.accepted == 2)
    }

    @Test func aMulticastReceiverIsAdmittedOnlyOnceItEchoesOneOfOurSenderReports() throws {
        let fixture = try Fixture(destination: "239.255.77.9:5004")
        try fixture.report(from: "192.168.1.50:5005", reporter: 1, lost: 40)
        try fixture.report(from: "192.168.1.50:5005", reporter: 1, lost: 40, lastSenderReport: 0xDEAD_BEEF)
        #expect(fixture.ssrcs.isEmpty)
        #expect(fixture.counts[.unproven] == 2)
        try fixture.report(from: "[fd00::1]:5005", reporter: 2)
        #expect(fixture.counts[.stranger] == 1, "no IPv6 destination")

        fixture.counters.publishAnchor(time: MonotonicInstant.now().nanoseconds, frames: 240)
        #expect(fixture.session.sendReportIfDue(force: true))
        let lsr = try #require(fixture.session.lastSenderReport).middle32
        try fixture.report(from: "192.168.1.50:5005", reporter: 1, lastSenderReport: lsr)
        #expect(fixture.ssrcs == [1])
        // Admitted: later reports count without the echo, from that address only.
        try fixture.report(from: "192.168.1.50:5005", reporter: 1, sequence: 1200)
        try fixture.report(from: "192.168.1.51:5005", reporter: 1, sequence: 1400, lastSenderReport: lsr)
        #expect(fixture.receiver(1)?.extendedHighestSequence == 1200)
        #expect(fixture.counts.accepted == 2)
        #expect(fixture.counts[.ssrcConflict] == 1)
    }

    /// Strangers on the group (they can see the SRs) fill the table; a genuine receiver that keeps reporting keeps
    /// its slot, newcomers are turned away and counted, and once the strangers fall silent their slots expire.
    @Test func strangersFillingTheTableCannotEvictAReceiverThatKeepsReporting() throws {
        let fixture = try Fixture(destination: "239.255.77.9:5004", capacity: 4)
        fixture.counters.publishAnchor(time: MonotonicInstant.now().nanoseconds, frames: 240)
        fixture.session.sendReportIfDue(force: true)
        let lsr = try #require(fixture.session.lastSenderReport).middle32
        try fixture.report(from: "192.168.1.2:5005", reporter: 0x600D, lastSenderReport: lsr)
        for round in 0..<5 {
            for stranger in 0..<20 as Range<UInt32> {
                try fixture.report(
                    from: "192.168.1.\(100 + stranger):5005", reporter: 0xBAD0 + stranger, lost: 100,
                    lastSenderReport: lsr)
            }
            try fixture.report(from: "192.168.1.2:5005", reporter: 0x600D, sequence: 1000 + UInt32(round) * 100)
        }
        #expect(fixture.session.receivers.count == 4)
        #expect(fixture.ssrcs.contains(0x600D))
        #expect(fixture.receiver(0x600D)?.reports == 6)
        #expect(fixture.counts[.tableFull] == 17 * 5, "3 strangers got the free slots, 17 a round were turned away")
        // The strangers in the table stop; the genuine receiver goes on. After the expiry only it is left.
        fixture.now += 31_000_000_000
        try fixture.report(from: "192.168.1.2:5005", reporter: 0x600D, sequence: 2000)
        fixture.session.expireReceivers(nowNanos: fixture.now)
        #expect(fixture.ssrcs == [0x600D])
        #expect(fixture.counts.expiredReceivers == 3)
    }

    /// `--redundancy auto` sees the table only: a stranger claiming heavy loss switches nothing; the destination's
    /// receiver reporting loss does.
    @Test func onlyAdmittedReceiversDriveTheRedundancyPolicy() throws {
        let fixture = try Fixture(destination: "127.0.0.1:5004")
        var policy = RedundancyPolicy()
        for step in 1...10 as ClosedRange<UInt32> {
            try fixture.report(
                from: "127.0.0.9:5005", reporter: 66, sequence: 1000 + step * 200, lost: Int32(step) * 100)
            let on = policy.update(receivers: fixture.session.receivers, nowNanos: fixture.now)
            #expect(!on, "a stranger's report \(step)")
        }
        #expect(fixture.counts[.stranger] == 10)
        try fixture.report(from: "127.0.0.1:5005", reporter: 7, sequence: 1200, lost: 0)
        let first = policy.update(receivers: fixture.session.receivers, nowNanos: fixture.now)
        #expect(!first, "a first report has no interval to judge")
        try fixture.report(from: "127.0.0.1:5005", reporter: 7, sequence: 1400, lost: 5)
        let second = policy.update(receivers: fixture.session.receivers, nowNanos: fixture.now)
        #expect(second, "the destination's receiver lost 5 packets")
    }
}
