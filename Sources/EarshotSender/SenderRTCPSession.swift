import EarshotNet
import EarshotProtocol
import EarshotSecurity

/// The sender's side of RTCP: sender reports with SDES CNAME to every destination's port + 1 at a randomised ~1 s
/// interval (RFC 3550 §6.3.5: 0.5–1.5 × 1 s), a final SR + SDES + BYE, and the receivers' reports about us.
///
/// Trusts what arrives as little as it can: reports count only from sources `ReceiverReportAdmission` accepts, and
/// only report blocks about our SSRC; receivers live in a bounded `RemoteReceiverTable` and expire; CNAMEs are
/// sanitised (`TerminalSafeText`) before anything stores them. Every datagram read is counted once in
/// `reportCounters`: accepted, or rejected for one `ReceiverReportRejection`. `RedundancyPolicy` sees only the table.
///
/// Control thread only (it allocates while sanitising SDES text).
final class SenderRTCPSession {
    static let reportInterval: Int64 = 1_000_000_000

    let ssrc: UInt32
    let cname: [UInt8]
    private let sockets: [UDPSocket]
    private let destinations: [(socket: Int, address: SocketAddress)]
    private let counters: SenderCounterCells
    private let initialTimestamp: UInt32
    private let buffer: UnsafeMutableRawBufferPointer
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    private var poll: ReadinessPoll
    private var admission: ReceiverReportAdmission
    /// SRTCP: reports out are protected, reports in must authenticate (nil: plain RTCP).
    private let srtcp: (outbound: SRTPSession, inbound: SRTPSession)?
    /// The admitted receivers and what each last reported about this stream.
    private(set) var receivers: RemoteReceiverTable
    /// What became of every RTCP datagram read, and of the receivers forgotten.
    private(set) var reportCounters = ReceiverReportCounters()
    /// CLOCK_MONOTONIC ns when the next SR is due.
    private(set) var nextReportTime: Int64
    private(set) var reportsSent = 0
    /// Clock requests (`ClockSyncExchange`) answered.
    private(set) var clockRequestsAnswered = 0
    /// NTP time of the latest SR written; receivers echo its middle 32 bits as LSR.
    private(set) var lastSenderReport: NTPTimestamp?

    /// `sockets[i]` sends to the RTCP address of every destination of its family. `receivers` is the (empty) table
    /// to admit receivers into: its capacity and expiry bound them.
    init(
        ssrc: UInt32, cname: String, sockets: [UDPSocket], rtpDestinations: [SocketAddress],
        destinationSockets: [Int], counters: SenderCounterCells, initialTimestamp: UInt32,
        receivers: RemoteReceiverTable = RemoteReceiverTable(),
        srtcp: (outbound: SRTPSession, inbound: SRTPSession)? = nil
    ) {
        self.srtcp = srtcp
        self.ssrc = ssrc
        self.cname = Array(cname.utf8)
        self.sockets = sockets
        destinations = zip(rtpDestinations, destinationSockets).map { address, socket in
            (socket, Self.rtcpAddress(of: address))
        }
        self.counters = counters
        self.initialTimestamp = initialTimestamp
        admission = ReceiverReportAdmission(destinations: rtpDestinations)
        self.receivers = receivers
        buffer = .allocate(byteCount: 1500, alignment: 8)
        receiveBuffer = .allocate(byteCount: 2048, alignment: 8)
        poll = ReadinessPoll(sockets)
        nextReportTime = MonotonicInstant.now().nanoseconds
    }

    deinit {
        buffer.deallocate()
        receiveBuffer.deallocate()
    }

    /// RTP port + 1.
    static func rtcpAddress(of address: SocketAddress) -> SocketAddress {
        var rtcp = address
        switch rtcp {
        case .v4(var raw):
            raw.sin_port = (address.port + 1).bigEndian
            rtcp = .v4(raw)
        case .v6(var raw):
            raw.sin6_port = (address.port + 1).bigEndian
            rtcp = .v6(raw)
        }
        return rtcp
    }

    /// The RTP timestamp the stream stands at now (from the send thread's anchor), or nil before the first packet.
    func currentRTPTimestamp(now: Int64) -> UInt32? {
        guard let anchor = counters.anchor() else { return nil }
        let elapsed = now - anchor.time
        let frames = Int64(anchor.frames) + elapsed * Int64(OpusRTPProfile.clockRate) / 1_000_000_000
        return initialTimestamp &+ UInt32(truncatingIfNeeded: frames)
    }

    /// How soon to try again when a report is due before the first RTP packet.
    static let firstPacketRetryNanoseconds: Int64 = 20_000_000

    /// Sends an SR + SDES (+ BYE when `goodbye`) to every destination if one is due (or `force`). Returns whether
    /// it sent. Needs at least one RTP packet sent, so the NTP ↔ RTP mapping exists.
    @discardableResult
    func sendReportIfDue(force: Bool = false, goodbye: Bool = false) -> Bool {
        let now = MonotonicInstant.now().nanoseconds
        guard force || now >= nextReportTime else { return false }
        let wallclock = realtimeNanoseconds()
        var writer = RTCPCompoundWriter(buffer: buffer)
        do {
            if let rtp = currentRTPTimestamp(now: now) {
                let snapshot = counters.snapshot()
                let info = RTCPSenderInfo(
                    ntpTimestamp: NTPTimestamp(
                        unixSeconds: wallclock / 1_000_000_000, nanoseconds: wallclock % 1_000_000_000),
                    rtpTimestamp: rtp, packetCount: UInt32(truncatingIfNeeded: snapshot.packets),
                    octetCount: UInt32(truncatingIfNeeded: snapshot.payloadOctets))
                try writer.appendSenderReport(ssrc: ssrc, senderInfo: info, reportBlocks: [])
                admission.noteSenderReport(info.ntpTimestamp)
                lastSenderReport = info.ntpTimestamp
            } else if goodbye {
                try writer.appendReceiverReport(ssrc: ssrc, reportBlocks: [])
            } else {
                // No packet yet (a capture device still starting): look again shortly. Leaving the due time in the
                // past made the control loop poll with a zero timeout, a busy loop for the whole start-up stall.
                nextReportTime = now + Self.firstPacketRetryNanoseconds
                return false
            }
            try writer.appendSourceDescription(ssrc: ssrc, cname: cname)
            if goodbye { try writer.appendGoodbye(sources: [ssrc], reason: Array("stream ended".utf8)) }
        } catch {
            return false  // 1500 bytes always hold SR + 255-byte CNAME + BYE; unreachable
        }
        var outgoing = writer.bytes
        if let srtcp {
            guard let length = try? srtcp.outbound.protectRTCP(
                buffer.baseAddress!, length: outgoing.count, capacity: buffer.count)
            else { return false }
            outgoing = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
        }
        for destination in destinations {
            _ = try? sockets[destination.socket].send(outgoing, to: destination.address)
        }
        reportsSent += 1
        // Randomised 0.5–1.5 × interval so senders started together do not report in lockstep.
        nextReportTime = now + Int64(Double(Self.reportInterval) * Double.random(in: 0.5...1.5))
        return true
    }

    /// Waits up to `timeoutNanoseconds` for RTCP, processes every datagram that arrived, then forgets receivers
    /// silent for longer than the table's expiry.
    func receiveReports(timeoutNanoseconds: Int64) {
        defer { expireReceivers(nowNanos: MonotonicInstant.now().nanoseconds) }
        guard !sockets.isEmpty else { return }
        guard (try? poll.wait(timeoutNanoseconds: timeoutNanoseconds)) ?? 0 > 0 else { return }
        for (index, socket) in sockets.enumerated() where poll.isReadable(index) {
            while let datagram = try? socket.receive(into: receiveBuffer, wait: false) {
                handle(
                    UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<datagram.byteCount]), from: datagram,
                    answeringOn: socket)
            }
        }
    }

    /// Forgets receivers without a report for longer than the table's expiry at `nowNanos` (counted).
    func expireReceivers(nowNanos: Int64) {
        reportCounters.expiredReceivers += receivers.removeExpired(nowNanos: nowNanos)
    }

    /// Takes one RTCP datagram: records report blocks about our SSRC from admitted sources, CNAMEs and BYEs of
    /// receivers known at that source address, and counts the datagram once: accepted if it changed the table,
    /// else under the first rejection reason that applied.
    ///
    /// A clock request (`ClockSyncExchange`, for receivers in `--clock sender` mode) from an admitted source is
    /// answered at once on `answeringOn` (nil: not answered) and counted in `clockRequestsAnswered`.
    func handle(_ bytes: UnsafeRawBufferPointer, from datagram: Datagram, answeringOn socket: UDPSocket? = nil) {
        // A stranger's bytes are not even parsed.
        let origin = admission.origin(of: datagram.source)
        guard origin != .stranger else {
            reportCounters[.stranger] += 1
            return
        }
        var bytes = bytes
        if let srtcp {
            let start = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
            guard let length = try? srtcp.inbound.unprotectRTCP(start, length: bytes.count) else {
                reportCounters[.unauthenticated] += 1
                return
            }
            bytes = UnsafeRawBufferPointer(start: start, count: length)
        }
        guard case .success(let compound) = RTCPCompoundPacket.parse(bytes) else {
            reportCounters[.malformed] += 1
            return
        }
        let arrivalWallclock = datagram.receiveTime
        let arrival = NTPTimestamp(
            unixSeconds: arrivalWallclock / 1_000_000_000, nanoseconds: arrivalWallclock % 1_000_000_000)
        var used = false
        var rejection: ReceiverReportRejection?
        func note(_ outcome: ReceiverReportRejection?) {
            if let outcome { rejection = rejection ?? outcome } else { used = true }
        }
        for packet in compound {
            switch packet {
            case .receiverReport(let report):
                for index in 0..<report.reportCount where report.reportBlock(at: index).ssrc == ssrc {
                    note(record(report.reportBlock(at: index), from: report.ssrc, datagram, origin, arrival))
                }
            case .senderReport(let report):
                for index in 0..<report.reportCount where report.reportBlock(at: index).ssrc == ssrc {
                    note(record(report.reportBlock(at: index), from: report.ssrc, datagram, origin, arrival))
                }
            case .sourceDescription(let description):
                for item in description.items where item.type == RTCPSourceDescription.cnameItem {
                    guard let index = knownReceiver(item.ssrc, at: datagram.source) else { continue }
                    receivers[index].cname = TerminalSafeText.sanitized(item.value)
                    used = true
                }
            case .goodbye(let goodbye):
                for index in 0..<goodbye.sourceCount {
                    guard let slot = knownReceiver(goodbye.source(at: index), at: datagram.source) else { continue }
                    receivers[slot].left = true
                    used = true
                }
            case .applicationDefined(let application):
                guard let t1 = ClockSyncExchange.request(in: application) else { break }
                if let socket { answerClockRequest(t1: t1, from: application.ssrc, datagram, on: socket) }
                used = true
            default:
                break
            }
        }
        if used {
            reportCounters.accepted += 1
        } else {
            reportCounters[rejection ?? .notAboutThisStream] += 1
        }
    }

    /// Answers a clock request: its t1, our kernel's arrival stamp (t2) and our clock now (t3), NTP times of
    /// CLOCK_REALTIME.
    private func answerClockRequest(t1: UInt64, from requester: UInt32, _ datagram: Datagram, on socket: UDPSocket) {
        let arrival = datagram.receiveTime
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: ClockSyncExchange.answerBytes, alignment: 8)
        defer { data.deallocate() }
        var writer = RTCPCompoundWriter(buffer: buffer)
        let sent = realtimeNanoseconds()
        ClockSyncExchange.writeAnswer(
            .init(
                requester: requester, t1: t1,
                t2: NTPTimestamp(unixSeconds: arrival / 1_000_000_000, nanoseconds: arrival % 1_000_000_000),
                t3: NTPTimestamp(unixSeconds: sent / 1_000_000_000, nanoseconds: sent % 1_000_000_000)),
            into: data)
        do {
            // RFC 3550 wants compounds to begin with a report: an empty RR keeps every parser's checks happy.
            try writer.appendReceiverReport(ssrc: ssrc, reportBlocks: [])
            try writer.appendApplicationPacket(
                subtype: ClockSyncExchange.answerSubtype, ssrc: ssrc, name: ClockSyncExchange.name,
                data: UnsafeRawBufferPointer(data))
        } catch {
            return  // 1500 bytes hold an RR and a 44-byte APP; unreachable
        }
        if (try? socket.send(writer.bytes, to: datagram.source)) != nil { clockRequestsAnswered += 1 }
    }

    /// The slot of receiver `ssrc` if it is admitted and was admitted from `source`.
    private func knownReceiver(_ ssrc: UInt32, at source: SocketAddress) -> Int? {
        guard let index = receivers.index(of: ssrc), receivers[index].address == source else { return nil }
        return index
    }

    /// Records one report block about our SSRC from `reporter`; returns why not when it cannot.
    private func record(
        _ block: RTCPReportBlock, from reporter: UInt32, _ datagram: Datagram,
        _ origin: ReceiverReportAdmission.Origin, _ arrival: NTPTimestamp
    ) -> ReceiverReportRejection? {
        let now = datagram.arrival.nanoseconds
        let index: Int
        if let known = receivers.index(of: reporter) {
            guard receivers[known].address == datagram.source else { return .ssrcConflict }
            index = known
        } else {
            if origin == .multicastGroup && !admission.echoesRecentReport(block.lastSenderReport) { return .unproven }
            let entry = RemoteReceiverStatistics(
                ssrc: reporter, address: datagram.source, cname: nil, fractionLost: 0, cumulativeLost: 0,
                extendedHighestSequence: 0, jitterMilliseconds: 0, roundTripMilliseconds: nil, reports: 0,
                lastReportTime: now, left: false)
            guard let inserted = receivers.insert(entry, nowNanos: now) else { return .tableFull }
            if inserted.evicted != nil { reportCounters.expiredReceivers += 1 }
            index = inserted.index
        }
        var entry = receivers[index]
        entry.fractionLost = Double(block.fractionLost) / 256
        entry.cumulativeLost = Int(block.cumulativeLost)
        entry.extendedHighestSequence = block.extendedHighestSequence
        entry.jitterMilliseconds = Double(block.jitter) * 1000 / Double(OpusRTPProfile.clockRate)
        if let rtt = NTPTimestamp.roundTripTime(
            arrival: arrival, lastSenderReport: block.lastSenderReport,
            delaySinceLastSenderReport: block.delaySinceLastSenderReport)
        {
            entry.roundTripMilliseconds = rtt * 1000
        }
        entry.reports += 1
        entry.lastReportTime = now
        entry.left = false
        receivers[index] = entry
        return nil
    }
}
