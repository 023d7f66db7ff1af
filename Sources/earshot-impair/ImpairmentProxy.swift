import EarshotImpairment
import EarshotNet

/// Forwards datagrams from a listen socket to a destination through an `ImpairmentModel`, and replies from the
/// destination back to the last sender without impairment.
///
/// One thread: a `ppoll` loop whose timeout is the next scheduled send (nanosecond resolution, CLOCK_MONOTONIC),
/// capped so the stop flag is checked at least every 50 ms. Delayed packets wait in a `DeadlineQueue`.
/// Allocates per packet (a copy of the payload); it is a test tool, not part of the real-time path.
final class ImpairmentProxy {
    private struct PendingSend {
        var bytes: [UInt8]
    }

    private let listenSocket: UDPSocket
    private let upstreamSocket: UDPSocket
    private let destination: SocketAddress
    private var model: ImpairmentModel
    private let log: PacketLog?
    private var queue = DeadlineQueue<PendingSend>(reservingCapacity: 4096)
    private var counters = ProxyCounters()
    private var lastClient: SocketAddress?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    private let start = MonotonicInstant.now()

    var listenAddress: SocketAddress { listenSocket.localAddress }

    init(listen: SocketAddress, destination: SocketAddress, model: ImpairmentModel, logPath: String?) throws {
        listenSocket = try UDPSocket(bindingTo: listen)
        // Loopback destination: bind loopback (never leave the host). Otherwise the unspecified address of the
        // destination's family, so the kernel picks the route's source address.
        let local: SocketAddress = switch (destination, destination.isLoopback) {
        case (.v4, true): try SocketAddress(parsing: "127.0.0.1:0")
        case (.v6, true): try SocketAddress(parsing: "[::1]:0")
        case (.v4, false): try SocketAddress(parsing: "0.0.0.0:0")
        case (.v6, false): try SocketAddress(parsing: "[::]:0")
        }
        upstreamSocket = try UDPSocket(bindingTo: local)
        self.destination = destination
        self.model = model
        log = try logPath.map { try PacketLog(path: $0) }
        try listenSocket.setReceiveBufferSize(1 << 20)
        try upstreamSocket.setSendBufferSize(1 << 20)
    }

    deinit { buffer.deallocate() }

    /// Runs until SIGINT/SIGTERM or `durationSeconds`; flushes the queue of sends already due, returns counters.
    func run(durationSeconds: Double?) throws -> ProxyCounters {
        let end = durationSeconds.map { start + Int64($0 * 1_000_000_000) }
        var poll = ReadinessPoll([listenSocket, upstreamSocket])
        ReadinessPoll.requestPreciseWakeups()
        while !StopSignal.received {
            let now = MonotonicInstant.now()
            if let end, now >= end { break }
            sendDue(now: now)
            var timeout: Int64 = 50_000_000
            if let next = queue.nextDeadline { timeout = min(timeout, max(0, next - now.nanoseconds)) }
            if let end { timeout = min(timeout, max(0, end.nanoseconds - now.nanoseconds)) }
            guard try poll.wait(timeoutNanoseconds: timeout) > 0 else { continue }
            if poll.isReadable(0) { try drainForward() }
            if poll.isReadable(1) { try drainReverse() }
        }
        log?.flush()
        return counters
    }

    // MARK: - Forward direction (impaired)

    private func drainForward() throws {
        // Non-waiting receives: the poll said readable; a waiting one would sleep a kernel tick (~4 ms) at the end.
        // Bounded so a flood on one socket cannot starve due sends.
        for _ in 0..<64 {
            guard let datagram = try listenSocket.receive(into: buffer, wait: false) else { return }
            lastClient = datagram.source
            handleForward(byteCount: datagram.byteCount, arrival: datagram.arrival)
            if StopSignal.received { return }
        }
    }

    private func handleForward(byteCount: Int, arrival: MonotonicInstant) {
        counters.packetsIn += 1
        let decision = model.decide()
        let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount])
        let sequence = rtpSequenceNumber(packet).map(String.init) ?? "-"
        let milliseconds = Double(arrival.nanoseconds - start.nanoseconds) / 1_000_000
        let timestamp = String(format3: milliseconds)

        if case .drop(let cause) = decision.fate {
            switch cause {
            case .random: counters.droppedRandom += 1
            case .burst: counters.droppedBurst += 1
            }
            log?.write("\(timestamp) drop seq=\(sequence) len=\(byteCount) cause=\(cause.rawValue)")
            return
        }

        var bytes = Array(packet)
        var flags = ""
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
        let deadline = arrival.nanoseconds + decision.delayNanoseconds
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
