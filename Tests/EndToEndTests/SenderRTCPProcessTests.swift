import EarshotTestRig
import EarshotNet
import EarshotProtocol
import Foundation
import Testing

/// `earshot-send` as a process against a test socket pair playing the receiver: its log lines carry what the
/// receiver reported, and SIGTERM ends it cleanly with an RTCP BYE.
@Suite(.serialized) struct SenderRTCPProcessTests {
    @Test func receiverReportShowsInStatsAndSIGTERMSendsBye() throws {
        let (rtp, rtcp) = try Self.adjacentSockets()
        try rtp.setReceiveBufferSize(1 << 20)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "440", "--to", "127.0.0.1:\(rtp.localAddress.port)", "--stats", "0.2", "--cname", "e2e"])
        defer { sender.stop() }
        let packets = try ReceivedStream.receive(on: rtp, idleNanoseconds: 2_000_000_000, limit: 50)
        try #require(packets.count == 50, "\(sender.log)")
        let ssrc = packets[0].header.ssrc

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
