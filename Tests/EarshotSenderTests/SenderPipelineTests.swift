import EarshotTestRig
import EarshotDSP
import EarshotNet
import EarshotProtocol
import EarshotSender
import Foundation
import Testing

/// The pipeline in-process against test sockets on 127.0.0.1 (ports chosen by the kernel).
@Suite(.serialized) struct SenderPipelineTests {
    private func configuration(port: UInt16, _ change: (inout SenderOptions) -> Void = { _ in }) throws
        -> SenderConfiguration
    {
        var options = SenderOptions()
        options.tone = 997
        options.destinations = ["127.0.0.1:\(port)"]
        options.duration = 1
        change(&options)
        return try SenderConfiguration(options)
    }

    /// Runs the pipeline on a background thread; returns a function that waits for it (bounded) and its error.
    private func start(_ pipeline: SenderPipeline) -> (_ seconds: Double) -> Result<Void, SenderError>? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Void, SenderError>?
        Thread.detachNewThread {
            do throws(SenderError) {
                try pipeline.run()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            done.signal()
        }
        return { seconds in
            if done.wait(timeout: .now() + seconds) == .timedOut {
                pipeline.requestStop()
                _ = done.wait(timeout: .now() + 5)
            }
            return result
        }
    }

    /// One second of tone: headers follow RFC 3550/7587 (PT, +1 sequence, +240 timestamp, constant SSRC, marker on
    /// the first packet only) and the payloads decode to the tone.
    @Test func toneStreamHasRFCHeadersAndDecodesToTheTone() throws {
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(1 << 20)
        let pipeline = try SenderPipeline(configuration: try configuration(port: receiver.localAddress.port))
        let wait = start(pipeline)
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 1_000_000_000)
        #expect(try wait(10)?.get() != nil)
        try #require(packets.count == 200, "received \(packets.count) packets for 1 s of 5 ms frames")
        let first = packets[0].header
        #expect(first.marker)
        #expect(first.payloadType == 96)
        #expect(first.ssrc == pipeline.ssrc)
        #expect(first.sequence == pipeline.initialSequenceNumber)
        #expect(first.timestamp == pipeline.initialTimestamp)
        for (index, packet) in packets.enumerated().dropFirst() {
            let header = packet.header
            #expect(!header.marker)
            #expect(header.ssrc == first.ssrc)
            #expect(header.sequence == first.sequence &+ UInt16(truncatingIfNeeded: index))
            #expect(header.timestamp == first.timestamp &+ UInt32(index * 240))
        }
        let decoded = try ReceivedStream.decode(packets)
        let left = SignalAnalysis.channel(0, of: decoded, channels: 2)
        let fit = SignalAnalysis.sineFit(left[9_600..<45_600], frequency: 997, sampleRate: 48_000)
        let levelDB = 20 * log10(fit.amplitude)
        print("in-process tone: SNR \(fit.snrDB) dB, level \(levelDB) dBFS")
        #expect(fit.snrDB > 30)
        #expect(abs(levelDB - -6) < 1)
        let statistics = pipeline.statistics()
        #expect(statistics.counters.packets == 200)
        #expect(statistics.counters.frames == 48_000)
    }

    /// `--redundancy 15` at 5 ms frames: every packet arrives twice, the copy byte for byte the original and sent
    /// right after the original three packets newer; the sender report counts originals only.
    @Test func redundancySendsEveryPacketAgainThreePacketsLater() throws {
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(1 << 20)
        let pipeline = try SenderPipeline(configuration: try configuration(port: receiver.localAddress.port) {
            $0.redundancy = "15"
        })
        let wait = start(pipeline)
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 1_000_000_000)
        #expect(try wait(10)?.get() != nil)
        // 200 originals; the last three have no copy yet when the stream ends.
        try #require(packets.count == 200 + 197, "received \(packets.count) datagrams")
        var originals: [UInt16: [UInt8]] = [:]
        var order: [UInt16] = []
        for packet in packets {
            let sequence = packet.header.sequence
            if let original = originals[sequence] {
                #expect(packet.bytes == original, "copy of \(sequence) differs")
                // Three newer originals went out before this copy, and none after it yet.
                #expect(order.last == sequence &+ 3, "copy of \(sequence) after \(order.last ?? 0)")
            } else {
                originals[sequence] = packet.bytes
                order.append(sequence)
            }
        }
        #expect(originals.count == 200)
        let counters = pipeline.statistics().counters
        #expect(counters.packets == 200)
        #expect(counters.redundantPackets == 197)
    }

    /// A test socket plays the receiver: it gets SRs (the NTP ↔ RTP mapping advances at 48 kHz and matches the
    /// timestamps of the packets around it), answers with an RR echoing LSR/DLSR, and the sender's statistics show
    /// that receiver's loss, jitter and round-trip time; at the end the sender says BYE.
    @Test func senderReportsAndReceiverReports() throws {
        let (rtp, rtcp) = try Self.adjacentSockets()
        try rtp.setReceiveBufferSize(1 << 20)
        let pipeline = try SenderPipeline(configuration: try configuration(port: rtp.localAddress.port) {
            $0.duration = 4
            $0.cname = "sender-under-test"
        })
        let wait = start(pipeline)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        try rtcp.setReceiveTimeout(nanoseconds: 3_000_000_000)

        var reports: [(ntp: NTPTimestamp, rtp: UInt32, packets: UInt32, arrival: Int64, source: SocketAddress)] = []
        var cname: String?
        while reports.count < 2, let datagram = try rtcp.receive(into: buffer) {
            let compound = try RTCPCompoundPacket(validating: UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]))
            for packet in compound {
                switch packet {
                case .senderReport(let report):
                    #expect(report.ssrc == pipeline.ssrc)
                    let info = report.senderInfo
                    reports.append((info.ntpTimestamp, info.rtpTimestamp, info.packetCount, datagram.receiveTime, datagram.source))
                case .sourceDescription(let description):
                    for item in description.items { cname = String(decoding: item.value, as: UTF8.self) }
                default: break
                }
            }
        }
        try #require(reports.count == 2)
        #expect(cname == "sender-under-test")
        // Mapping: RTP advances 48 000 per NTP second between reports, within 1 ms (48 units) of rounding/jitter.
        let ntpSeconds = Double(reports[1].ntp.rawValue - reports[0].ntp.rawValue) / 4_294_967_296
        let rtpUnits = Double(reports[1].rtp &- reports[0].rtp)
        #expect(abs(rtpUnits - ntpSeconds * 48_000) < 48 * 3, "ΔRTP \(rtpUnits) vs ΔNTP \(ntpSeconds) s")
        // And the SR's RTP time is where the packet timestamps are: the packets sent so far cover that time.
        let sentFrames = Int64(reports[1].packets) * 240
        let reportFrames = Int64(reports[1].rtp &- pipeline.initialTimestamp)
        #expect(abs(reportFrames - sentFrames) <= 2 * 240, "SR at frame \(reportFrames), \(sentFrames) frames sent")

        // The receiver answers: 25 % lost in the interval, 7 in total, jitter 96 units = 2 ms, echo of the last SR
        // with the delay since it arrived.
        let delay = Double(realtimeNanoseconds() - reports[1].arrival) / 1e9
        let block = RTCPReportBlock(
            ssrc: pipeline.ssrc, fractionLost: 64, cumulativeLost: 7, extendedHighestSequence: 1234, jitter: 96,
            lastSenderReport: reports[1].ntp.middle32,
            delaySinceLastSenderReport: NTPTimestamp.compactDuration(seconds: delay))
        var writer = RTCPCompoundWriter(buffer: buffer)
        try writer.appendReceiverReport(ssrc: 0xFEED_BEEF, reportBlocks: [block])
        try writer.appendSourceDescription(ssrc: 0xFEED_BEEF, cname: Array("test-receiver".utf8))
        try rtcp.send(UnsafeRawBufferPointer(rebasing: buffer[0..<writer.count]), to: reports[1].source)

        // Then BYE after the 4 s of audio.
        var goodbye = false
        while !goodbye, let datagram = try rtcp.receive(into: buffer) {
            let compound = try RTCPCompoundPacket(validating: UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]))
            for case .goodbye(let bye) in compound { goodbye = bye.sourceCount == 1 && bye.source(at: 0) == pipeline.ssrc }
        }
        #expect(try wait(10)?.get() != nil)
        #expect(goodbye)
        let receiver = try #require(pipeline.receivers.first)
        #expect(receiver.ssrc == 0xFEED_BEEF)
        #expect(receiver.cname == "test-receiver")
        #expect(receiver.fractionLost == 0.25)
        #expect(receiver.cumulativeLost == 7)
        #expect(receiver.jitterMilliseconds == 2)
        let rtt = try #require(receiver.roundTripMilliseconds)
        print("RTCP test: RTT \(rtt) ms over loopback")
        #expect(rtt >= 0 && rtt < 100)
        let line = pipeline.statistics().logLine
        #expect(line.contains("loss=25.0% cumulative_lost=7 jitter=2.00ms rtt="), "\(line)")
    }

    /// An RTP socket on an even port P and an RTCP socket on P + 1, both on 127.0.0.1.
    static func adjacentSockets() throws -> (UDPSocket, UDPSocket) {
        for _ in 0..<50 {
            let rtp = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), reuseAddress: false)
            let port = rtp.localAddress.port
            guard port < 65_535,
                let rtcp = try? UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:\(port + 1)"), reuseAddress: false)
            else { continue }
            return (rtp, rtcp)
        }
        throw SocketError(operation: .bind, code: 98)
    }
}
