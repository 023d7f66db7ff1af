import EarshotNet
import EarshotProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The receiver's side of RTCP: reads the sender's SR (for LSR/DLSR) and BYE, and builds receiver reports
/// (RR + SDES CNAME) about the locked source.
///
/// Also keeps the last CNAME a sender named in SDES (`senderCNAME(ssrc:host:)`), for the stream's published identity.
///
/// Invariant: the report buffer, the one-element report-block array, our CNAME bytes and the sender CNAME buffer are
/// allocated in `init`; `receive` and `makeReport` allocate nothing after that (the array is mutated in place, never
/// grown).
/// Producer thread only.
struct ReceiverRTCPSession: ~Copyable {
    /// Our SSRC in reports: random per run (RFC 3550 8.1).
    let ssrc: UInt32
    private let cname: [UInt8]
    private var blocks: [RTCPReportBlock]
    private let buffer: UnsafeMutableRawBufferPointer
    /// Middle 32 bits of the last SR's NTP time, and when (monotonic ns) it arrived; 0 before any SR.
    private var lastSenderReport: UInt32 = 0
    private var lastSenderReportArrivalNanos: Int64 = 0
    /// The last SR's NTP ↔ RTP mapping (the sender's clock when its RTP clock stood at `rtpTimestamp`), counted in
    /// `senderReportsMapped`; nil before any SR of the locked source.
    private(set) var senderClock: (ntp: NTPTimestamp, rtpTimestamp: UInt32, arrivalNanos: Int64)?
    /// The last clock answer (`ClockSyncExchange`) from the locked sender with its arrival t4 (CLOCK_MONOTONIC ns),
    /// for the producer to take; nil when none is waiting.
    var clockAnswer: (answer: ClockSyncExchange.Answer, arrivalNanos: Int64)?
    /// Bumped at every SR of the locked source, so the producer sees a new `senderClock`.
    private(set) var senderReportsMapped = 0
    /// Where the sender's RTCP comes from (its SRs), so reports go back there.
    private(set) var senderAddress: SocketAddress?
    /// RTCP arrived on the RTP port: the sender multiplexes (RFC 5761), so reports go to its RTP address.
    private(set) var multiplexed = false
    /// Set when the locked sender said BYE; the producer takes it (and ends playout after what is buffered).
    var goodbyePending = false
    /// The last SDES CNAME heard: about the locked source from its host, or, while none is locked, about any source
    /// (a sender's first SR and SDES may come before its RTP has passed the source lock's probation).
    private let heardCNAME: UnsafeMutableRawBufferPointer
    private var heardCNAMELength = -1
    private var heardCNAMESSRC: UInt32 = 0
    private var heardCNAMEHost: SocketAddress?
    /// Bumped whenever the heard CNAME, its SSRC or its host changes, so the producer republishes the stream.
    private(set) var heardCNAMEVersion = 0

    init(cname: String) {
        ssrc = UInt32.random(in: 1...UInt32.max)
        self.cname = Array(cname.utf8.prefix(255))
        blocks = [RTCPReportBlock(
            ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitter: 0,
            lastSenderReport: 0, delaySinceLastSenderReport: 0)]
        blocks.reserveCapacity(1)
        buffer = .allocate(byteCount: 512, alignment: 4)
        heardCNAME = .allocate(byteCount: ReceiverStreamMailbox.maximumCNAMEBytes, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        heardCNAME.deallocate()
    }

    /// The CNAME heard about `ssrc` from `host`'s address (any port), or nil. The view is valid until the next
    /// `receive`.
    func senderCNAME(ssrc: UInt32, host: SocketAddress) -> UnsafeRawBufferPointer? {
        guard heardCNAMELength >= 0, heardCNAMESSRC == ssrc, let heardCNAMEHost, heardCNAMEHost.hasSameHost(as: host)
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: heardCNAME[0..<heardCNAMELength])
    }

    /// Keeps a CNAME item's value unless it repeats what is kept.
    private mutating func hear(cname value: UnsafeRawBufferPointer, ssrc: UInt32, from source: SocketAddress) {
        let count = min(value.count, heardCNAME.count)
        let same = count == heardCNAMELength && ssrc == heardCNAMESSRC
            && heardCNAMEHost.map { $0.hasSameHost(as: source) } == true
            && (count == 0 || memcmp(heardCNAME.baseAddress!, value.baseAddress!, count) == 0)
        if same { return }
        if count > 0 { heardCNAME.baseAddress!.copyMemory(from: value.baseAddress!, byteCount: count) }
        heardCNAMELength = count
        heardCNAMESSRC = ssrc
        heardCNAMEHost = source
        heardCNAMEVersion &+= 1
    }

    /// Forgets the previous sender (new SSRC locked).
    mutating func resetSender() {
        lastSenderReport = 0
        lastSenderReportArrivalNanos = 0
        senderClock = nil
        senderAddress = nil
        multiplexed = false
    }

    /// Handles one RTCP datagram. Returns the first rejection when it is not a valid compound.
    /// SRs and BYEs count only about the locked source and only from its host (any port: RTCP comes from the RTP
    /// port or the next one); others are counted as `RTCPSourceDrop.foreignSender`. A BYE releases `lock`.
    mutating func receive(
        _ bytes: UnsafeRawBufferPointer, from source: SocketAddress, onRTPPort: Bool, nowNanos: Int64,
        lock: inout RTPSourceLock<SocketAddress>, gauges: ReceiverGauges
    ) -> RTCPRejection? {
        let compound: RTCPCompoundPacket
        switch RTCPCompoundPacket.parse(bytes) {
        case .success(let parsed): compound = parsed
        case .failure(let rejection): return rejection
        }
        for packet in compound {
            switch packet {
            case .senderReport(let report):
                guard report.ssrc == lock.lockedSource else { continue }
                guard Self.isFromLockedHost(source, lock) else {
                    gauges.count(.foreignSender)
                    continue
                }
                gauges.senderReportsReceived.wrappingIncrement(ordering: .relaxed)
                lastSenderReport = report.senderInfo.ntpTimestamp.middle32
                lastSenderReportArrivalNanos = nowNanos
                senderClock = (report.senderInfo.ntpTimestamp, report.senderInfo.rtpTimestamp, nowNanos)
                senderReportsMapped &+= 1
                senderAddress = source
                multiplexed = onRTPPort
            case .goodbye(let goodbye):
                for index in 0..<goodbye.sourceCount where goodbye.source(at: index) == lock.lockedSource {
                    guard Self.isFromLockedHost(source, lock) else {
                        gauges.count(.foreignSender)
                        continue
                    }
                    gauges.goodbyesReceived.wrappingIncrement(ordering: .relaxed)
                    lock.goodbye(ssrc: goodbye.source(at: index))
                    goodbyePending = true
                }
            case .applicationDefined(let application):
                guard let answer = ClockSyncExchange.answer(in: application), answer.requester == ssrc,
                    application.ssrc == lock.lockedSource, Self.isFromLockedHost(source, lock)
                else { continue }
                clockAnswer = (answer, nowNanos)
            case .sourceDescription(let description):
                for item in description.items where item.type == RTCPSourceDescription.cnameItem {
                    if let locked = lock.lockedSource {
                        guard item.ssrc == locked, Self.isFromLockedHost(source, lock) else { continue }
                    }
                    hear(cname: item.value, ssrc: item.ssrc, from: source)
                }
            default:
                continue
            }
        }
        return nil
    }

    /// RTCP about the locked source counts only from its host (any port).
    private static func isFromLockedHost(_ source: SocketAddress, _ lock: RTPSourceLock<SocketAddress>) -> Bool {
        guard let locked = lock.lockedAddress else { return false }
        return source.hasSameHost(as: locked)
    }

    /// Builds RR (one block about `statistics`, none without a source) + SDES CNAME. The view is valid until the
    /// next call.
    mutating func makeReport(statistics: inout RTPReceptionStatistics?, nowNanos: Int64) -> UnsafeRawBufferPointer? {
        var writer = RTCPCompoundWriter(buffer: buffer)
        do {
            if statistics != nil {
                var delay: UInt32 = 0
                if lastSenderReport != 0 {
                    delay = NTPTimestamp.compactDuration(seconds: Double(nowNanos - lastSenderReportArrivalNanos) / 1e9)
                }
                blocks[0] = statistics!.makeReportBlock(
                    lastSenderReport: lastSenderReport, delaySinceLastSenderReport: delay)
                try writer.appendReceiverReport(ssrc: ssrc, reportBlocks: blocks)
            } else {
                try writer.appendReceiverReport(ssrc: ssrc, reportBlocks: [])
            }
            try writer.appendSourceDescription(ssrc: ssrc, cname: cname)
        } catch {
            return nil
        }
        return writer.bytes
    }

    /// A clock request (`ClockSyncExchange`: an empty RR and the APP packet) carrying `t1`, our CLOCK_MONOTONIC ns.
    /// The view is valid until the next report or request is built.
    mutating func makeClockRequest(t1: Int64) -> UnsafeRawBufferPointer? {
        // The request's 8 data bytes are staged past where the compound goes (RR 8 + APP 20 bytes).
        let data = UnsafeMutableRawBufferPointer(rebasing: buffer[256..<(256 + ClockSyncExchange.requestBytes)])
        ClockSyncExchange.writeRequest(t1: UInt64(bitPattern: t1), into: data)
        var writer = RTCPCompoundWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<256]))
        do {
            try writer.appendReceiverReport(ssrc: ssrc, reportBlocks: [])
            try writer.appendApplicationPacket(
                subtype: ClockSyncExchange.requestSubtype, ssrc: ssrc, name: ClockSyncExchange.name,
                data: UnsafeRawBufferPointer(data))
        } catch {
            return nil
        }
        return writer.bytes
    }

    /// Where to send reports: the SR's source; with rtcp-mux the RTP source; else the RTP source's port + 1.
    func reportDestination(rtpSource: SocketAddress?) -> SocketAddress? {
        if let senderAddress { return senderAddress }
        guard var address = rtpSource else { return nil }
        address.port = address.port &+ 1
        return address
    }
}
