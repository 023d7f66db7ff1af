import EarshotImpairment
import EarshotNet

/// Forwards datagrams from a listen socket to a destination through an `ImpairmentModel`, and replies from the
/// destination back to the last sender without impairment. Optionally makes the sender look like a live-capturing
/// one first (`SenderImitationProfile`: RTP timestamps restamped, RTP packets released in groups) and injects
/// hostile packets derived from the stream (`AttackInjector`).
///
/// Forward path per datagram: count → (RTP) restamp → note in `GenuineStreamState` → (RTP, `--burst-send` > 1)
/// hold in the `BurstGrouper` → impairment decision → `DeadlineQueue`. A released group goes through the
/// impairment model at its release time. RTCP and non-RTP datagrams skip restamping and grouping.
///
/// One thread: a `ppoll` loop whose timeout is the next scheduled event (send, group flush, attack; nanosecond
/// resolution, CLOCK_MONOTONIC), capped so the stop flag is checked at least every 50 ms. Only the flood runs on
/// a thread of its own. Allocates per packet (a copy of the payload); it is a test tool, not part of the
/// real-time path.
final class ImpairmentProxy {
    private struct PendingSend {
        var bytes: [UInt8]
    }

    private struct HeldPacket {
        var bytes: [UInt8]
        var timestampShift: Int32?
    }

    private let listenSocket: UDPSocket
    private let upstreamSocket: UDPSocket
    private let destination: SocketAddress
    private var model: ImpairmentModel
    private let imitation: SenderImitationProfile
    private var restamper: TimestampRestamper?
    private var burst: BurstGrouper<HeldPacket>
    private var stream = GenuineStreamState()
    private let attacks: AttackInjector?
    private let log: PacketLog?
    private var queue = DeadlineQueue<PendingSend>(reservingCapacity: 4096)
    private var counters = ProxyCounters()
    private var lastClient: SocketAddress?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private let start: MonotonicInstant
    private let end: MonotonicInstant?

    var listenAddress: SocketAddress { listenSocket.localAddress }
    /// "class from HOST:PORT" per attack class.
    var attackSources: [String] { attacks?.sources ?? [] }

    init(
        listen: SocketAddress, destination: SocketAddress, model: ImpairmentModel,
        imitation: SenderImitationProfile = SenderImitationProfile(), attacks attackSpecs: [AttackSpec] = [],
        seed: UInt64, durationSeconds: Double?, logPath: String?
    ) throws {
        listenSocket = try UDPSocket(bindingTo: listen)
        upstreamSocket = try UDPSocket(bindingTo: try .localSource(toward: destination))
        self.destination = destination
        self.model = model
        self.imitation = imitation
        restamper = imitation.restamps
            ? TimestampRestamper(jitterMilliseconds: imitation.restampJitterMilliseconds, seed: seed) : nil
        burst = BurstGrouper(size: imitation.burstSize)
        let start = MonotonicInstant.now()
        let end = durationSeconds.map { start + Int64($0 * 1_000_000_000) }
        self.start = start
        self.end = end
        let log = try logPath.map { try PacketLog(path: $0) }
        self.log = log
        attacks = attackSpecs.isEmpty ? nil : try AttackInjector(
            specs: attackSpecs, seed: seed, destination: destination, genuineSocket: upstreamSocket, end: end,
            log: log, start: start)
        try listenSocket.setReceiveBufferSize(1 << 20)
        try upstreamSocket.setSendBufferSize(1 << 20)
    }

    deinit { buffer.deallocate() }

    /// Runs until SIGINT/SIGTERM or the duration given to `init`; then releases a partly filled burst group, sends
    /// what is due, stops the flood and returns the counters.
    func run() throws -> ProxyCounters {
        var poll = ReadinessPoll([listenSocket, upstreamSocket])
        ReadinessPoll.requestPreciseWakeups()
        while !StopSignal.received {
            let now = MonotonicInstant.now()
            if let end, now >= end { break }
            flushBurstIfDue(now: now)
            attacks?.fireDue(now: now, state: stream)
            sendDue(now: now)
            var timeout: Int64 = 50_000_000
            for deadline in [queue.nextDeadline, burstFlushDeadline, attacks?.nextDeadline, end?.nanoseconds] {
                if let deadline { timeout = min(timeout, max(0, deadline - now.nanoseconds)) }
            }
            guard try poll.wait(timeoutNanoseconds: timeout) > 0 else { continue }
            if poll.isReadable(0) { try drainForward() }
            if poll.isReadable(1) { try drainReverse() }
        }
        let now = MonotonicInstant.now()
        let held = burst.releaseAll()
        if !held.isEmpty {
            counters.burstGroups += 1
            counters.burstPartialGroups += 1
        }
        for packet in held { impairAndQueue(packet, at: now) }
        sendDue(now: now)
        if let attacks { counters.attacks = attacks.finish() }
        log?.flush()
        return counters
    }

    // MARK: - Forward direction (sender imitation, impairment)

    private func drainForward() throws {
        // Non-waiting receives: the poll said readable; a waiting one would sleep a kernel tick (~4 ms) at the end.
        // Bounded so a flood on one socket cannot starve due sends.
        for _ in 0..<64 {
            guard let datagram = try listenSocket.receive(into: buffer, wait: false) else { return }
            lastClient = datagram.source
            receiveForward(byteCount: datagram.byteCount, arrival: datagram.arrival)
            if StopSignal.received { return }
        }
    }

    private func receiveForward(byteCount: Int, arrival: MonotonicInstant) {
        counters.packetsIn += 1
        var packet = HeldPacket(bytes: Array(UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount])))
        guard let original = RTPFixedHeader(parsing: packet.bytes) else {
            impairAndQueue(packet, at: arrival)
            return
        }
        if restamper != nil {
            packet.timestampShift = restamper!.restamp(&packet.bytes)
            counters.restamped += 1
        }
        var forwarded = original
        forwarded.timestamp = original.timestamp &+ UInt32(bitPattern: packet.timestampShift ?? 0)
        stream.observe(
            header: forwarded, originalTimestamp: original.timestamp, payload: packet.bytes[original.payloadRange])
        attacks?.streamStarted(now: arrival)
        guard imitation.groupsBursts else {
            impairAndQueue(packet, at: arrival)
            return
        }
        let group = burst.add(packet, now: arrival.nanoseconds)
        if !group.isEmpty { counters.burstGroups += 1 }
        for held in group { impairAndQueue(held, at: arrival) }
    }

    /// A partial group waits at most `--burst-send` frame durations.
    private var burstTimeout: Int64 { Int64(imitation.burstSize) * stream.frameDurationNanoseconds }
    private var burstFlushDeadline: Int64? { burst.flushDeadline(timeoutNanoseconds: burstTimeout) }

    private func flushBurstIfDue(now: MonotonicInstant) {
        let group = burst.flushIfDue(now: now.nanoseconds, timeoutNanoseconds: burstTimeout)
        guard !group.isEmpty else { return }
        counters.burstGroups += 1
        counters.burstPartialGroups += 1
        for held in group { impairAndQueue(held, at: now) }
    }

    private func impairAndQueue(_ packet: HeldPacket, at release: MonotonicInstant) {
        let decision = model.decide()
        var bytes = packet.bytes
        let sequence = bytes.withUnsafeBytes { rtpSequenceNumber($0) }.map(String.init) ?? "-"
        let milliseconds = Double(release.nanoseconds - start.nanoseconds) / 1_000_000
        let timestamp = String(format3: milliseconds)
        let shift = packet.timestampShift.map { " ts_shift=\($0)" } ?? ""

        if case .drop(let cause) = decision.fate {
            switch cause {
            case .random: counters.droppedRandom += 1
            case .burst: counters.droppedBurst += 1
            }
            log?.write("\(timestamp) drop seq=\(sequence) len=\(bytes.count) cause=\(cause.rawValue)\(shift)")
            return
        }

        var flags = shift
        if let corruption = decision.corruption {
            corruption.apply(to: &bytes)
            counters.corrupted += 1
            flags += " corrupted"
        }
        if decision.reordered {
            counters.reordered += 1
            flags += " reordered"
        }
        if decision.delayNanoseconds > 0 { counters.delayed += 1 }
        let deadline = release.nanoseconds + decision.delayNanoseconds
        queue.insert(PendingSend(bytes: bytes), deadline: deadline)
        counters.forwarded += 1
        if decision.duplicated {
            queue.insert(PendingSend(bytes: bytes), deadline: deadline)
            counters.duplicated += 1
            flags += " duplicated"
        }
        let delay = String(format3: Double(decision.delayNanoseconds) / 1_000_000)
        log?.write("\(timestamp) forward seq=\(sequence) len=\(bytes.count) delay_ms=\(delay)\(flags)")
    }

    private func sendDue(now: MonotonicInstant) {
        while let pending = queue.popDue(now: now.nanoseconds) {
            do {
                try upstreamSocket.send(pending.bytes, to: destination)
            } catch {
                // ECONNREFUSED etc. while the receiver is not up yet: count, keep going.
                counters.sendErrors += 1
            }
        }
    }

    // MARK: - Reverse direction (RTCP replies, unimpaired)

    private func drainReverse() throws {
        for _ in 0..<64 {
            guard let datagram = try upstreamSocket.receive(into: buffer, wait: false) else { return }
            guard let client = lastClient else { continue }
            counters.reverse += 1
            do {
                try listenSocket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<datagram.byteCount]), to: client)
            } catch {
                counters.sendErrors += 1
            }
        }
    }
}

extension String {
    /// Fixed three decimals without Foundation.
    init(format3 value: Double) {
        let thousandths = Int64((value * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = abs(thousandths)
        let fraction = String(magnitude % 1000)
        self = "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
