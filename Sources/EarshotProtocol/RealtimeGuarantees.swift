// Compile-time proof that the per-packet receive path neither allocates nor locks.
//
// The compiler's performance diagnostics check `@_noAllocation`/`@_noLocks` functions and everything they call in
// this module, but only in optimized builds: at -Onone the standard library's inlinable bodies are not loaded and
// every call is reported as "not available". So this file is compiled in release only, and the proof is
// `swift build -c release --target EarshotProtocol` (it fails to compile if any of these paths allocates or locks).
// The run-time counterpart is `AllocationTests` (malloc interposer around the same calls in the debug test build).

#if !DEBUG
enum RealtimeGuarantees {
    @_noAllocation @_noLocks
    static func parseRTP(_ bytes: UnsafeRawBufferPointer, payloadType: UInt8) -> RTPRejection? {
        switch RTPPacket.parse(bytes, payloadType: payloadType) {
        case .success(let packet):
            _ = (packet.sequenceNumber, packet.timestamp, packet.ssrc, packet.marker, packet.extensionData)
            return OpusRTPProfile.payloadRejection(packet.payload)
        case .failure(let rejection):
            return rejection
        }
    }

    @_noAllocation @_noLocks
    static func track(_ statistics: inout RTPReceptionStatistics, packet: RTPPacket, arrival: UInt32) -> Int64? {
        statistics.record(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, arrival: arrival)
            .extendedSequence
    }

    @_noAllocation @_noLocks
    static func admit(
        _ lock: inout RTPSourceLock<UInt64>, ssrc: UInt32, sequence: UInt16, source: UInt64, now: UInt64
    ) -> RTPSourceLock<UInt64>.Decision {
        lock.admit(ssrc: ssrc, sequenceNumber: sequence, from: source, nowNanoseconds: now)
    }

    @_noAllocation @_noLocks
    static func demultiplex(_ bytes: UnsafeRawBufferPointer) -> MultiplexedPacketKind {
        RTPRTCPDemultiplexer.classify(bytes)
    }

    @_noAllocation @_noLocks
    static func parseRTCP(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard case .success(let compound) = RTCPCompoundPacket.parse(bytes) else { return -1 }
        var blocks = 0
        for packet in compound {
            switch packet {
            case .senderReport(let report): blocks += report.reportCount
            case .receiverReport(let report): blocks += report.reportCount
            case .goodbye(let goodbye): blocks += goodbye.sourceCount
            default: break
            }
        }
        return blocks
    }

    @_noAllocation @_noLocks
    static func writeRTP(
        _ header: RTPHeader, payload: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        (try? RTPPacketWriter.write(header, payload: payload, into: buffer)) ?? 0
    }

    @_noAllocation @_noLocks
    static func writeReport(
        _ block: inout RTPReceptionStatistics, blocks: [RTCPReportBlock], cname: [UInt8],
        into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        var writer = RTCPCompoundWriter(buffer: buffer)
        try? writer.appendReceiverReport(ssrc: 1, reportBlocks: blocks)
        try? writer.appendSourceDescription(ssrc: 1, cname: cname)
        _ = block.makeReportBlock()
        return writer.count
    }
}
#endif
