import Atomics
import EarshotCodec
import EarshotNet
import EarshotProtocol
import EarshotSecurity

/// The send thread's state and body: source → Opus → RTP → every destination, one frame per iteration.
///
/// Sources the sender paces (file, stdin, tone) are read and encoded ahead of their deadline, then sent at it, so a
/// packet leaves on the pacer's absolute grid; when the pacer resynchronises, the RTP clock advances by the skipped
/// frames. A capture source is paced by the device: each frame is sent as soon as the ring holds it.
///
/// Invariant: after `init` nothing is allocated: the PCM and packet buffers, sockets and destination list are fixed.
/// Touched only by the send thread between start and join; the control thread reads `counters` and, after join,
/// `failure`.
struct SendLoop<Source: AudioSource>: ~Copyable {
    var source: Source
    var encoder: OpusEncoder
    let pacedBySender: Bool
    let frameNanoseconds: Int64
    let framesPerPacket: Int
    let samplesPerPacket: Int
    let dtx: Bool
    let payloadType: UInt8
    let ssrc: UInt32
    var sequenceNumber: UInt16
    var clock: RTPClock
    let durationFrames: UInt64?
    /// One frame of interleaved Float PCM.
    let pcm: UnsafeMutablePointer<Float>
    /// Header + the largest Opus packet + room for the SRTP trailer.
    let packet: UnsafeMutableRawBufferPointer
    /// Protects each packet (SRTP) before it is sent and kept for copies; nil sends plain RTP. This thread's own.
    let srtp: SRTPSession?
    /// One entry per `--to`: the socket of the destination's family and the address.
    let sockets: [UDPSocket]
    let destinations: [SocketAddress]
    let destinationSockets: [Int]
    let counters: SenderCounterCells
    let stopRequested: UnsafeAtomic<Bool>
    let honourStopSignal: Bool
    /// Why the loop ended early, if it did; read by the control thread after join.
    var failure: SenderFailure?
    /// No packet sent since the start or the last DTX gap: the next one carries the marker bit (RFC 7587 §4.2).
    private var afterSilence = true
    /// `--redundancy`: the last `redundancyPackets` packets as sent, in `packetSlotBytes` slots, and their lengths.
    /// Slot `sent % redundancyPackets` holds the packet to send again before it is overwritten.
    let redundancyPackets: Int
    let packetSlotBytes: Int
    let history: UnsafeMutableRawBufferPointer
    let historyLengths: UnsafeMutablePointer<Int>
    private var packetsSent = 0

    init(
        source: consuming Source, encoder: consuming OpusEncoder, configuration: SenderConfiguration, ssrc: UInt32,
        initialSequence: UInt16, clock: RTPClock, sockets: [UDPSocket], destinationSockets: [Int],
        counters: SenderCounterCells, stopRequested: UnsafeAtomic<Bool>, honourStopSignal: Bool,
        srtp: SRTPSession? = nil
    ) {
        self.srtp = srtp
        self.source = source
        self.encoder = encoder
        pacedBySender = configuration.source.isPacedBySender
        frameNanoseconds = configuration.pacedFrameNanoseconds
        framesPerPacket = configuration.framesPerPacket
        samplesPerPacket = configuration.encoder.samplesPerFrame
        dtx = configuration.encoder.dtx
        payloadType = configuration.payloadType
        self.ssrc = ssrc
        sequenceNumber = initialSequence
        self.clock = clock
        durationFrames = configuration.durationFrames
        pcm = .allocate(capacity: samplesPerPacket)
        pcm.initialize(repeating: 0, count: samplesPerPacket)
        packet = .allocate(
            byteCount: RTPPacket.fixedHeaderSize + OpusEncoder.maximumPacketBytes + SRTPSession.rtpTrailerRoom,
            alignment: 8)
        packet.initializeMemory(as: UInt8.self, repeating: 0)
        redundancyPackets = configuration.redundancyPackets
        packetSlotBytes = packet.count
        history = .allocate(byteCount: max(1, redundancyPackets) * packetSlotBytes, alignment: 8)
        history.initializeMemory(as: UInt8.self, repeating: 0)
        historyLengths = .allocate(capacity: max(1, redundancyPackets))
        historyLengths.initialize(repeating: 0, count: max(1, redundancyPackets))
        self.sockets = sockets
        destinations = configuration.destinations
        self.destinationSockets = destinationSockets
        self.counters = counters
        self.stopRequested = stopRequested
        self.honourStopSignal = honourStopSignal
    }

    deinit {
        pcm.deallocate()
        packet.deallocate()
        history.deallocate()
        historyLengths.deallocate()
    }

    private var shouldStop: Bool {
        stopRequested.load(ordering: .acquiring) || (honourStopSignal && StopSignal.received)
    }

    /// Runs until the source ends, `durationFrames` are sent, a stop is requested or a fatal error.
    mutating func run() {
        // The first deadline one frame ahead leaves time to read and encode the first frame before it.
        var pacer = Pacer(frameDuration: frameNanoseconds, start: Pacer.now() + frameNanoseconds)
        while step(pacer: &pacer) {}
    }

    /// One frame: read, encode, wait for its deadline (sender-paced sources), send. Returns false when the loop
    /// should end. Allocation-free (tested with a malloc hook).
    mutating func step(pacer: inout Pacer) -> Bool {
        if shouldStop { return false }
        if let limit = durationFrames, clock.frames >= limit { return false }
        let payload = UnsafeMutableRawBufferPointer(rebasing: packet[RTPPacket.fixedHeaderSize...])
        let read: AudioSourceRead
        do {
            read = try source.read(into: pcm)
        } catch {
            failure = .source(error)
            return false
        }
        if read == .endOfStream { return false }
        raisePeak()
        let payloadBytes: Int
        do {
            payloadBytes = try encoder.encode(pcm, into: payload)
        } catch {
            counters.encodeErrors.wrappingIncrement(ordering: .relaxed)
            clock.advance(frames: framesPerPacket)
            return true
        }
        let sendTime: Int64
        if pacedBySender {
            let tick = pacer.waitForNextTick()
            if tick.skippedTicks > 0 {
                clock.advance(frames: tick.skippedTicks * framesPerPacket)
                counters.skippedFrames.wrappingIncrement(by: tick.skippedTicks * framesPerPacket, ordering: .relaxed)
                counters.resynchronizations.store(pacer.resynchronizations, ordering: .relaxed)
            }
            counters.missedDeadlines.store(pacer.missedDeadlines, ordering: .relaxed)
            sendTime = tick.deadline
        } else {
            sendTime = MonotonicInstant.now().nanoseconds
        }
        // With DTX, 1–2 byte packets mean "silence, nothing to send": the gap marks the next packet.
        if dtx && payloadBytes <= 2 {
            afterSilence = true
            counters.dtxFrames.wrappingIncrement(by: framesPerPacket, ordering: .relaxed)
        } else {
            send(payloadBytes: payloadBytes)
            afterSilence = false
        }
        // Where the RTP clock stood when: this packet's start at its deadline (sender-paced: the pacer's schedule is
        // the capture); for a capture device, the instant a frame entered it (`captureInstant`), or else the end of
        // the captured audio (this packet plus the ring's backlog) now.
        let nextFrame = Int(truncatingIfNeeded: clock.frames) + framesPerPacket
        if pacedBySender {
            counters.publishAnchor(time: sendTime, frames: Int(truncatingIfNeeded: clock.frames))
        } else if let captured = source.captureInstant {
            counters.publishAnchor(time: captured.nanoseconds, frames: nextFrame + captured.framesAhead)
        } else {
            counters.publishAnchor(time: sendTime, frames: nextFrame + source.bufferedFrames)
        }
        clock.advance(frames: framesPerPacket)
        counters.frames.store(Int(truncatingIfNeeded: clock.frames), ordering: .relaxed)
        if case .lastBlock = read { return false }
        return true
    }

    private mutating func send(payloadBytes: Int) {
        let header = RTPHeader(
            marker: OpusRTPProfile.marker(afterSilence: afterSilence), payloadType: payloadType,
            sequenceNumber: sequenceNumber, timestamp: clock.timestamp, ssrc: ssrc)
        let headerArea = UnsafeMutableRawBufferPointer(rebasing: packet[0..<RTPPacket.fixedHeaderSize])
        _ = try? RTPPacketWriter.write(header, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: headerArea)
        var length = RTPPacket.fixedHeaderSize + payloadBytes
        if let srtp {
            do {
                length = try srtp.protectRTP(packet.baseAddress!, length: length, capacity: packet.count)
            } catch {
                // Unreachable with the buffer's trailer room and a fresh index; never send such a packet in the clear.
                counters.sendErrors.wrappingIncrement(ordering: .relaxed)
                sequenceNumber &+= 1
                return
            }
        }
        let bytes = UnsafeRawBufferPointer(rebasing: packet[0..<length])
        sendToAll(bytes)
        sequenceNumber &+= 1
        counters.packets.wrappingIncrement(ordering: .relaxed)
        counters.payloadOctets.wrappingIncrement(by: payloadBytes, ordering: .relaxed)
        if redundancyPackets > 0 { sendCopy(thenKeep: bytes) }
        packetsSent &+= 1
    }

    /// Sends the packet sent `redundancyPackets` packets ago again (after this one, so a copy is never ahead of a
    /// newer original) while copies are on, then keeps `latest` in its slot: the history is kept while they are off,
    /// so copies resume with the packets just before the switch.
    private func sendCopy(thenKeep latest: UnsafeRawBufferPointer) {
        let slot = packetsSent % redundancyPackets
        let stored = history.baseAddress! + slot * packetSlotBytes
        if packetsSent >= redundancyPackets && counters.redundancyOn.load(ordering: .relaxed) {
            sendToAll(UnsafeRawBufferPointer(start: stored, count: historyLengths[slot]))
            counters.redundantPackets.wrappingIncrement(ordering: .relaxed)
        }
        stored.copyMemory(from: latest.baseAddress!, byteCount: latest.count)
        historyLengths[slot] = latest.count
    }

    private func sendToAll(_ bytes: UnsafeRawBufferPointer) {
        // Index loops: an unoptimised build allocates an iterator per for-in over an Array.
        var index = 0
        while index < destinations.count {
            do {
                try sockets[destinationSockets[index]].send(bytes, to: destinations[index])
            } catch {
                counters.sendErrors.wrappingIncrement(ordering: .relaxed)
                counters.lastSendErrno.store(Int(error.code), ordering: .relaxed)
            }
            index += 1
        }
    }

    private func raisePeak() {
        var peak: Float = 0
        var index = 0
        while index < samplesPerPacket {
            let magnitude = abs(pcm[index])
            if magnitude > peak { peak = magnitude }
            index += 1
        }
        counters.raisePeak(peak)
    }
}

/// Why the send thread stopped before its source ended.
public enum SenderFailure: Error, CustomStringConvertible {
    case source(AudioSourceError)

    public var description: String {
        switch self {
        case .source(let error): return "audio source failed: \(error)"
        }
    }
}
