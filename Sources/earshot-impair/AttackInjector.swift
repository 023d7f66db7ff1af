import EarshotImpairment
import EarshotNet

/// Sends the hostile packets of every `--attack` toward the destination, derived from the genuine stream's state.
///
/// Nothing is sent before the first genuine RTP packet (the classes need its SSRC); then each class starts after
/// its `after-ms` and repeats on a coarse `PeriodicTimer` the proxy's poll loop serves (`nextDeadline`,
/// `fireDue`). Sockets: `source=genuine` classes send from the proxy's upstream socket (the stream's own source
/// address); `source=other` classes each from a socket of their own; the flood from its own socket and thread
/// (`FloodSender`). Attack packets bypass the impairment model. Main (proxy) thread only, except the flood thread.
final class AttackInjector {
    private struct Attack {
        let spec: AttackSpec
        let socket: UDPSocket
        var timer = PeriodicTimer()
        var strangers: ProbationStrangers?
        /// `ssrc-spoof`'s previous packet, which its next one continues.
        var lastSpoof: RTPFixedHeader?
    }

    private var attacks: [Attack]
    private let flood: (spec: AttackSpec, sender: FloodSender)?
    private let seed: UInt64
    private let destination: SocketAddress
    private let rtcpDestination: SocketAddress?
    private let log: PacketLog?
    private let start: MonotonicInstant
    private var started = false
    private var floodTimer = PeriodicTimer()
    private(set) var counters = AttackCounters()

    /// Opens a socket for every `source=other` class and the flood. `rtcpDestination` is nil when the destination
    /// port is 65535 (`spoofed-bye` then needs `ports=rtp`; `EarshotImpair.validate` checks).
    init(
        specs: [AttackSpec], seed: UInt64, destination: SocketAddress, genuineSocket: UDPSocket,
        end: MonotonicInstant?, log: PacketLog?, start: MonotonicInstant
    ) throws {
        self.seed = seed
        self.destination = destination
        var rtcp = destination
        if destination.port < UInt16.max {
            rtcp.port = destination.port + 1
            rtcpDestination = rtcp
        } else {
            rtcpDestination = nil
        }
        self.log = log
        self.start = start
        var attacks: [Attack] = []
        var flood: (AttackSpec, FloodSender)?
        for spec in specs {
            if spec.kind == .flood {
                flood = (spec, try FloodSender(spec: spec, destination: destination, end: end))
                continue
            }
            let socket = spec.source == .genuine
                ? genuineSocket : try UDPSocket(bindingTo: try .attackerSource(toward: destination))
            let strangers = spec.kind == .probationStarvation
                ? ProbationStrangers(count: spec.strangers, seed: seed) : nil
            attacks.append(Attack(spec: spec, socket: socket, strangers: strangers))
        }
        self.attacks = attacks
        self.flood = flood
    }

    /// "class from HOST:PORT" for each class, so a test knows the source addresses to expect.
    var sources: [String] {
        attacks.map { "\($0.spec.kind) from \($0.socket.localAddress)" }
            + (flood.map { ["flood from \($0.sender.localAddress)"] } ?? [])
    }

    /// Arms every class's timer at the first genuine packet (later calls do nothing).
    func streamStarted(now: MonotonicInstant) {
        guard !started else { return }
        started = true
        for index in attacks.indices {
            attacks[index].timer.arm(firstDue: now.nanoseconds + Self.nanoseconds(attacks[index].spec.afterMilliseconds))
        }
        if let flood { floodTimer.arm(firstDue: now.nanoseconds + Self.nanoseconds(flood.spec.afterMilliseconds)) }
    }

    /// The earliest time a class is due; nil before the first genuine packet or with no periodic class left.
    var nextDeadline: Int64? {
        (attacks.compactMap(\.timer.nextDue) + [floodTimer.nextDue].compactMap { $0 }).min()
    }

    /// Sends every class that is due at `now`.
    func fireDue(now: MonotonicInstant, state: GenuineStreamState) {
        for index in attacks.indices {
            let period = attacks[index].spec.intervalMilliseconds.map(Self.nanoseconds) ?? state.frameDurationNanoseconds
            guard attacks[index].timer.fireIfDue(now: now.nanoseconds, periodNanoseconds: period) else { continue }
            inject(index, now: now, state: state)
        }
        if let flood, let due = floodTimer.nextDue, now.nanoseconds >= due, let newest = state.newest {
            floodTimer = PeriodicTimer()  // disarmed for good: the thread runs until the end
            let code = flood.sender.start(payloadType: newest.payloadType, streamSSRC: newest.ssrc, seed: seed)
            if code != 0 { print("earshot-impair: cannot start the flood thread: pthread_create error \(code)") }
        }
    }

    /// Stops the flood thread and returns the final counts (flood included).
    func finish() -> AttackCounters {
        if let flood {
            let result = flood.sender.stopAndJoin()
            counters.sent[.flood] = result.sent
            counters.failed[.flood] = result.failed
            counters.floodRTP = result.rtp
            counters.floodGarbage = result.garbage
            counters.floodSeconds = result.seconds
        }
        return counters
    }

    private func inject(_ index: Int, now: MonotonicInstant, state: GenuineStreamState) {
        let spec = attacks[index].spec
        switch spec.kind {
        case .farAhead:
            send(HostileRTPPackets.farAhead(state, ahead: spec.ahead), index, now: now)
        case .timestampOutlier:
            send(HostileRTPPackets.timestampOutlier(state, offset: spec.offset), index, now: now)
        case .resyncBurst:
            for packet in HostileRTPPackets.resyncBurst(state, ahead: spec.ahead, count: spec.count) {
                send(packet, index, now: now)
            }
        case .ssrcSpoof:
            let spoof = HostileRTPPackets.ssrcSpoof(state, payload: spec.payload, previous: attacks[index].lastSpoof)
            if let spoof { attacks[index].lastSpoof = spoof.header }
            send(spoof?.bytes, index, now: now)
        case .probationStarvation:
            send(attacks[index].strangers?.next(state), index, now: now)
        case .spoofedBye:
            guard let ssrc = state.newest?.ssrc else { return }
            let ntp = RTCPSpoofPackets.ntpTimestamp(unixNanoseconds: realtimeNanoseconds())
            let packets: [(String, [UInt8]?)] = [
                ("bye", RTCPSpoofPackets.goodbye(ssrc: ssrc)),
                ("sr", RTCPSpoofPackets.spoofedSenderReport(state, ntpTimestamp: ntp)),
            ]
            for (label, packet) in packets {
                if spec.ports != .rtp, let rtcpDestination {
                    if send(packet, index, now: now, to: rtcpDestination, label: "rtcp=\(label) port=rtcp") {
                        counters.spoofedByeToRTCPPort += 1
                    }
                }
                if spec.ports != .rtcp {
                    if send(packet, index, now: now, to: destination, label: "rtcp=\(label) port=rtp") {
                        counters.spoofedByeToRTPPort += 1
                    }
                }
            }
        case .flood:
            preconditionFailure("the flood has its own thread")
        }
    }

    /// Sends one hostile datagram and counts it; true if the kernel took it.
    @discardableResult
    private func send(
        _ packet: [UInt8]?, _ index: Int, now: MonotonicInstant, to target: SocketAddress? = nil, label: String? = nil
    ) -> Bool {
        guard let packet else { return false }
        let kind = attacks[index].spec.kind
        do {
            try attacks[index].socket.send(packet, to: target ?? destination)
            counters.sent[kind, default: 0] += 1
        } catch {
            counters.failed[kind, default: 0] += 1
            return false
        }
        if let log {
            let milliseconds = String(format3: Double(now.nanoseconds - start.nanoseconds) / 1_000_000)
            var fields = label ?? "port=rtp"
            if let header = RTPFixedHeader(parsing: packet) {
                fields = "seq=\(header.sequenceNumber) ts=\(header.timestamp) ssrc=\(header.ssrc) " + fields
            }
            log.write("\(milliseconds) attack class=\(kind) \(fields) len=\(packet.count)")
        }
        return true
    }

    private static func nanoseconds(_ milliseconds: Double) -> Int64 { Int64((milliseconds * 1_000_000).rounded()) }
}
