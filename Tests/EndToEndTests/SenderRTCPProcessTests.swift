import EarshotTestRig
import EarshotNet
import EarshotProtocol
import Foundation
import Testing

/// `earshot-send` as a process against a test socket pair playing the receiver: its log lines carry what the
/// receiver reported, and SIGTERM ends it cleanly with an RTCP BYE.
@Suite(.serialized) struct SenderRTCPProcessTests {
    /// `earshot-send --tone 440` (plus `extra`) to a test RTP/RTCP socket pair; returns once `packets` RTP packets
    /// arrived, with the stream's SSRC.
    static func startSender(_ extra: [String], packets count: Int) throws
        -> (rtp: UDPSocket, rtcp: UDPSocket, sender: ChildProcess, ssrc: UInt32)
    {
        let (rtp, rtcp) = try adjacentSockets()
        try rtp.setReceiveBufferSize(1 << 20)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "440", "--to", "127.0.0.1:\(rtp.localAddress.port)", "--stats", "0.2"] + extra)
        let packets = try ReceivedStream.receive(on: rtp, idleNanoseconds: 2_000_000_000, limit: count)
        guard packets.count == count else {
            sender.stop()
            throw SenderStartError(log: sender.log, packets: packets.count)
        }
        return (rtp, rtcp, sender, packets[0].header.ssrc)
    }

    struct SenderStartError: Error, CustomStringConvertible {
        var log: String
        var packets: Int
        var description: String { "earshot-send sent \(packets) packets before going quiet: \(log)" }
    }

    @Test func receiverReportShowsInStatsAndSIGTERMSendsBye() throws {
        let (rtp, rtcp, sender, ssrc) = try Self.startSender(["--cname", "e2e"], packets: 50)
        defer { sender.stop() }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        try rtcp.setReceiveTimeout(nanoseconds: 3_000_000_000)
        var lastReport: (ntp: NTPTimestamp, arrival: Int64, source: SocketAddress)?
        while lastReport == nil, let datagram = try rtcp.receive(into: buffer) {
            for case .senderReport(let report) in try RTCPCompoundPacket(
                validating: UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]))
            {
                #expect(report.ssrc == ssrc)
                lastReport = (report.senderInfo.ntpTimestamp, datagram.receiveTime, datagram.source)
            }
        }
        let report = try #require(lastReport, "no SR within 3 s")
        var writer = RTCPCompoundWriter(buffer: buffer)
        try writer.appendReceiverReport(ssrc: 0x1234_5678, reportBlocks: [
            RTCPReportBlock(
                ssrc: ssrc, fractionLost: 128, cumulativeLost: 42, extendedHighestSequence: 99, jitter: 480,
                lastSenderReport: report.ntp.middle32,
                delaySinceLastSenderReport: NTPTimestamp.compactDuration(
                    seconds: Double(realtimeNanoseconds() - report.arrival) / 1e9)),
        ])
        try writer.appendSourceDescription(ssrc: 0x1234_5678, cname: Array("e2e-receiver".utf8))
        try rtcp.send(UnsafeRawBufferPointer(rebasing: buffer[0..<writer.count]), to: report.source)
        usleep(700_000)  // at least two --stats 0.2 lines after the report

        sender.signal(SIGTERM)
        var goodbye = false
        while !goodbye, let datagram = try rtcp.receive(into: buffer) {
            for case .goodbye(let bye) in try RTCPCompoundPacket(
                validating: UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]))
            {
                goodbye = bye.sourceCount == 1 && bye.source(at: 0) == ssrc
            }
        }
        #expect(sender.wait(seconds: 5) == 0, "\(sender.log)")
        #expect(goodbye, "no BYE after SIGTERM")
        let log = sender.log
        #expect(log.contains("[ssrc=12345678 addr=127.0.0.1:"), "\(log)")
        #expect(log.contains("loss=50.0% cumulative_lost=42 jitter=10.00ms rtt="), "\(log)")
        #expect(log.contains("cname=e2e-receiver"), "\(log)")
        #expect(log.contains("earshot-send: done:"), "\(log)")
        if let line = log.split(separator: "\n").last(where: { $0.contains("rtt=") }) { print("sender log: \(line)") }
    }

    /// Strangers (another port of the receiver's host, and another host) send the sender RRs about its SSRC claiming
    /// heavy loss, echoing its real SRs, with a CNAME that would clear a terminal, while the genuine receiver stays
    /// quiet: `--redundancy auto` (the default) keeps copies off, every stranger datagram shows as
    /// `rtcp_rejected_stranger`, and no escape reaches the log. Then the genuine receiver sends the same reports
    /// from its RTCP port and copies go on: the strangers' reports would have counted had they been trusted.
    @Test func strangersClaimingLossCannotSwitchRedundancyOn() throws {
        let (rtp, rtcp, sender, ssrc) = try Self.startSender(["--redundancy", "auto"], packets: 20)
        defer { sender.stop() }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        try rtcp.setReceiveTimeout(nanoseconds: 3_000_000_000)
        /// The latest SR's NTP time and the sender's RTCP address, from what reached the genuine RTCP socket.
        func latestSenderReport() throws -> (ntp: NTPTimestamp, source: SocketAddress)? {
            var latest: (NTPTimestamp, SocketAddress)?
            // Waits (3 s timeout) for the first; then takes what is already queued.
            while let datagram = try rtcp.receive(into: buffer, wait: latest == nil) {
                for case .senderReport(let report) in try RTCPCompoundPacket(
                    validating: UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]))
                {
                    latest = (report.senderInfo.ntpTimestamp, datagram.source)
                }
            }
            return latest
        }
        var report = try #require(try latestSenderReport(), "no SR within 3 s")

        /// One RR from `reporter` claiming `lost` of the packets up to `sequence`, with a terminal-clearing CNAME.
        func lossyReport(_ reporter: UInt32, sequence: UInt32, lost: Int32) throws -> UnsafeRawBufferPointer {
            var writer = RTCPCompoundWriter(buffer: buffer)
            try writer.appendReceiverReport(ssrc: reporter, reportBlocks: [
                RTCPReportBlock(
                    ssrc: ssrc, fractionLost: 128, cumulativeLost: lost, extendedHighestSequence: sequence,
                    jitter: 48, lastSenderReport: report.ntp.middle32, delaySinceLastSenderReport: 0),
            ])
            try writer.appendSourceDescription(ssrc: reporter, cname: Array("\u{1b}[2J\u{1b}[Hpwned\nline".utf8))
            return UnsafeRawBufferPointer(rebasing: buffer[0..<writer.count])
        }

        // Phase 1: two strangers, 10 reports a second each for 2 s, losses rising by 100 per report.
        let sameHost = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let otherHost = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.2:0"))
        var strangerReports = 0
        for step in 1...20 {
            for (index, stranger) in [sameHost, otherHost].enumerated() {
                try stranger.send(
                    try lossyReport(0xBAD0_0000 + UInt32(index), sequence: UInt32(step) * 200, lost: Int32(step) * 100),
                    to: report.source)
                strangerReports += 1
            }
            usleep(100_000)
        }
        usleep(500_000)  // two more --stats lines after the last stranger report
        let strangerLog = sender.log
        #expect(!strangerLog.contains("copies_on=1"), "\(strangerLog)")
        #expect(!strangerLog.contains("redundancy auto: a receiver reports loss"), "\(strangerLog)")
        #expect(strangerLog.contains("rtcp_rejected_stranger=\(strangerReports)"), "\(strangerLog)")
        #expect(strangerLog.contains("rtcp_accepted=0"), "\(strangerLog)")
        #expect(!strangerLog.contains("\u{1b}") && !strangerLog.contains("pwned"), "a stranger's CNAME was logged")
        #expect(strangerLog.contains("counted as rtcp_rejected_stranger"), "\(strangerLog)")

        // Phase 2, the control: the genuine receiver sends the same kind of reports from its RTCP port.
        report = try #require(try latestSenderReport())
        for step in 1...4 {
            try rtcp.send(
                try lossyReport(0x600D_0001, sequence: UInt32(step) * 200, lost: Int32(step) * 100), to: report.source)
            usleep(200_000)
        }
        usleep(400_000)
        sender.signal(SIGTERM)
        #expect(sender.wait(seconds: 5) == 0, "\(sender.log)")
        let log = sender.log
        #expect(log.contains("copies_on=1"), "the genuine receiver's loss did not switch copies on: \(log)")
        let done = try #require(log.split(separator: "\n").last { $0.contains("earshot-send: done:") })
        #expect(done.contains("rtcp_rejected_stranger=\(strangerReports)"), "\(done)")
        #expect(done.contains("[ssrc=600d0001 addr=127.0.0.1:\(rtcp.localAddress.port)"), "\(done)")
        #expect(done.contains("cname=\\x1b[2J\\x1b[Hpwned\\x0aline"), "\(done)")
        #expect(!log.contains("\u{1b}"), "an escape reached the log")
        print("sender's last line: \(done)")
    }

    static func adjacentSockets() throws -> (UDPSocket, UDPSocket) {
        for _ in 0..<50 {
            let rtp = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), reuseAddress: false)
            let port = rtp.localAddress.port
            guard port < 65_535,
                let rtcp = try? UDPSocket(
                    bindingTo: try SocketAddress(parsing: "127.0.0.1:\(port + 1)"), reuseAddress: false)
            else { continue }
            return (rtp, rtcp)
        }
        throw SocketError(operation: .bind, code: 98)
    }
}
