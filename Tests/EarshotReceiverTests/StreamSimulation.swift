import EarshotReceiver

/// Deterministic generator (SplitMix64) so simulations repeat exactly.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// One packet on the simulated wire.
struct SimulatedPacket {
    var sequence: Int64
    var timestamp: Int64
    var arrivalNanos: UInt64
}

/// What one device tick got, with the sequence number read back from a played payload.
struct TickRecord {
    var nanos: UInt64
    var kind: Kind
    var playedSequence: Int64?
    var targetDelayMs: Double
    var currentDelayMs: Double

    enum Kind: Equatable { case waiting, play, fec, conceal, stretch }
}

/// Drives a jitter buffer with synthetic arrivals and a device that asks for one frame every frame duration:
/// every packet that has arrived by a tick is inserted before the tick's decision. No sleeping, no clocks.
struct StreamSimulation {
    static let millisecond: UInt64 = 1_000_000

    /// Payload = the sequence number's 8 bytes, so the order of playout can be read back.
    static func insert(_ packet: SimulatedPacket, into buffer: inout JitterBuffer) -> JitterBuffer.InsertResult {
        var sequence = packet.sequence
        return withUnsafeBytes(of: &sequence) { bytes in
            buffer.insert(
                sequence: packet.sequence, timestamp: packet.timestamp, arrivalNanos: packet.arrivalNanos,
                payload: bytes
            )
        }
    }

    static func sequence(in payload: UnsafeRawBufferPointer) -> Int64 {
        payload.loadUnaligned(as: Int64.self)
    }

    /// Runs the device from `startNanos` for `ticks` frames. `quiet` says whether the caller would report the last
    /// decoded frame as quiet (so a wanted shrink is carried out).
    static func run(
        _ buffer: inout JitterBuffer,
        packets: [SimulatedPacket],
        startNanos: UInt64,
        tickNanos: UInt64,
        ticks: Int,
        quiet: Bool = true,
        onInsert: (SimulatedPacket, JitterBuffer.InsertResult, _ targetDelayMs: Double) -> Void = { _, _, _ in }
    ) -> [TickRecord] {
        let ordered = packets.sorted { $0.arrivalNanos < $1.arrivalNanos }
        var nextPacket = 0
        var records: [TickRecord] = []
        records.reserveCapacity(ticks)
        for tick in 0..<ticks {
            let now = startNanos + UInt64(tick) * tickNanos
            while nextPacket < ordered.count, ordered[nextPacket].arrivalNanos <= now {
                let result = insert(ordered[nextPacket], into: &buffer)
                onInsert(ordered[nextPacket], result, buffer.targetDelayMs)
                nextPacket += 1
            }
            let decision = buffer.nextDecision(nowNanos: now)
            var record = TickRecord(
                nanos: now, kind: .waiting, playedSequence: nil, targetDelayMs: buffer.targetDelayMs,
                currentDelayMs: buffer.currentDelayMs
            )
            switch decision {
            case .waiting: record.kind = .waiting
            case .play(let payload, _, _):
                record.kind = .play
                record.playedSequence = sequence(in: payload)
            case .recoverWithFEC: record.kind = .fec
            case .conceal: record.kind = .conceal
            case .stretch: record.kind = .stretch
            }
            if quiet && buffer.wantsToShrink { _ = buffer.dropNext() }
            records.append(record)
        }
        return records
    }

    /// A stream of `count` frames sent every `frameSamples` at 48 kHz, each arriving after `latency(index)` ns.
    static func stream(
        count: Int, firstSequence: Int64 = 1000, firstTimestamp: Int64 = 90_000, frameSamples: Int64,
        sendStartNanos: UInt64 = 1_000_000_000, latency: (Int) -> UInt64
    ) -> [SimulatedPacket] {
        let frameNanos = UInt64(frameSamples) * 1_000_000_000 / 48_000
        return (0..<count).map { index in
            SimulatedPacket(
                sequence: firstSequence + Int64(index),
                timestamp: firstTimestamp + Int64(index) * frameSamples,
                arrivalNanos: sendStartNanos + UInt64(index) * frameNanos + latency(index)
            )
        }
    }
}
