import EarshotTestRig
import Testing

@testable import EarshotProtocol

/// Run-time proof that the per-packet receive path allocates nothing: count this thread's mallocs
/// (`ThreadAllocationCounter`) around parse + validate + sequence/jitter update over every valid vector. (The
/// compile-time proof is `RealtimeGuarantees.swift`, checked by `swift build -c release --target EarshotProtocol`.)
///
/// The real-time path uses the non-throwing `parse` forms: any `throw` calls the runtime's `swift_willThrow` hook,
/// and Swift Testing installs one that records a backtrace, i.e. allocates (measured: one malloc per throw here).
/// Serialized; the self-check proves the counter is live, so the zero counts below can fail.
@Suite(.serialized) struct AllocationTests {
    /// Mallocs made by `body` on this thread. Runs `body` once unmeasured first: the first call of a closure
    /// instantiates runtime metadata (a one-time cost the real-time thread pays during start-up warm-up).
    func mallocs(_ body: () -> Void) -> Int {
        body()
        return ThreadAllocationCounter.measure { body() }
    }

    @Test func counterSeesAnAllocation() {
        // Without this the zero counts below would prove nothing (e.g. if the interposer were not linked first).
        let count = mallocs {
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
            pointer.deallocate()
        }
        #expect(count >= 1)
    }

    @Test func parsingRTPAndRTCPAllocatesNothing() {
        let rtpVectors = TestVector.all(in: "rtp/valid") + TestVector.all(in: "rtp/invalid")
        let rtcpVectors = TestVector.all(in: "rtcp/valid") + TestVector.all(in: "rtcp/invalid")
        var statistics = RTPReceptionStatistics(ssrc: 1, firstSequence: 0)
        var lock = RTPSourceLock<Int>()
        var accepted = 0
        var rejected = 0
        var rtcpPackets = 0
        for vector in rtpVectors {
            vector.bytes.withUnsafeBytes { raw in
                let count = mallocs {
                    for round in 0..<100 {
                        guard RTPRTCPDemultiplexer.classify(raw) != .rtcp else { continue }
                        switch RTPPacket.parse(raw, payloadType: 96) {
                        case .success(let packet):
                            if OpusRTPProfile.payloadRejection(packet.payload) != nil {
                                rejected += 1
                                continue
                            }
                            _ = lock.admit(
                                ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, from: round % 3,
                                nowNanoseconds: UInt64(round))
                            _ = statistics.record(
                                sequenceNumber: packet.sequenceNumber &+ UInt16(round), timestamp: packet.timestamp,
                                arrival: UInt32(round * 240))
                            accepted += 1
                        case .failure(let rejection):
                            rejected += rejection.counterIndex >= 0 ? 1 : 0
                        }
                    }
                }
                #expect(count == 0, "\(vector) allocated \(count) times")
            }
        }
        for vector in rtcpVectors {
            vector.bytes.withUnsafeBytes { raw in
                let count = mallocs {
                    guard case .success(let compound) = RTCPCompoundPacket.parse(raw) else { return }
                    for packet in compound {
                        rtcpPackets += 1
                        if case .sourceDescription(let description) = packet {
                            for item in description.items { rtcpPackets += item.value.count }
                        }
                        if case .senderReport(let report) = packet, report.reportCount > 0 {
                            _ = report.reportBlock(at: 0)
                        }
                    }
                }
                #expect(count == 0, "\(vector) allocated \(count) times")
            }
        }
        #expect(accepted > 0 && rejected > 0 && rtcpPackets > 0)
    }

    @Test func writingRTPAndRTCPAllocatesNothing() throws {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { output.deallocate() }
        let payload: [UInt8] = [0xF8, 1, 2, 3]
        let blocks = [
            RTCPReportBlock(
                ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0,
                lastSenderReport: 0, delaySinceLastSenderReport: 0)
        ]
        let cname = Array("earshot".utf8)
        let info = RTCPSenderInfo(
            ntpTimestamp: NTPTimestamp(unixSeconds: 1, nanoseconds: 2), rtpTimestamp: 3, packetCount: 4, octetCount: 5)
        var rtpCount = 0
        var reportCount = 0
        var sdesCount = 0
        let rtpMallocs = payload.withUnsafeBytes { payloadBytes in
            mallocs {
                let header = RTPHeader(marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3)
                rtpCount = (try? RTPPacketWriter.write(header, payload: payloadBytes, into: output)) ?? 0
            }
        }
        let reportMallocs = mallocs {
            var writer = RTCPCompoundWriter(buffer: output)
            try? writer.appendSenderReport(ssrc: 3, senderInfo: info, reportBlocks: blocks)
            reportCount = writer.count
        }
        let sdesMallocs = mallocs {
            var writer = RTCPCompoundWriter(buffer: output)
            try? writer.appendSourceDescription(ssrc: 3, cname: cname)
            sdesCount = writer.count
        }
        #expect(rtpMallocs == 0)
        #expect(reportMallocs == 0)
        #expect(sdesMallocs == 0)
        #expect(rtpCount == 16 && reportCount == 52 && sdesCount == 20)
    }
}
