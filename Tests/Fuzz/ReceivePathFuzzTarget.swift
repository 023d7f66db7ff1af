// libFuzzer target, stateful: a sequence of datagrams with arbitrary arrival times from two senders (and BYEs, and
// raw bytes), interleaved with playout decisions, through the receive path (`ReceivePathAdapter`: RTP parse, source
// lock, reception statistics, jitter buffer and its delay estimator). The input format is `ReceivePathScript`.
//
// Checks, after every event and decision, besides "no trap, no ASan report":
// - the estimator's target delay is finite and within the configured latency bounds (never above the maximum);
// - the smoothed delay and jitter are finite, the buffer holds 0 ... capacity packets, no counter is negative;
// - every decision is 1 ... 5760 samples (2.5 ms granules up to 120 ms are what the decoder takes), and every payload
//   it hands out (played, FEC source, dropped) is a well-formed Opus packet of 1 ... 1500 bytes, as validated on the
//   way in;
// - memory does not grow: the path allocates nothing between construction and teardown (ASan malloc hook, this
//   thread), and after teardown the heap holds what it held before (after a warm-up for the runtime's one-time caches).

import CFuzzAllocationCounter
import EarshotProtocol
import EarshotReceiver

#if canImport(Glibc)
    import Glibc
#endif

/// Executions before the heap must come back to its level exactly (Swift runtime caches fill on first use).
private let warmUpExecutions = 256
nonisolated(unsafe) private var executions = 0
nonisolated(unsafe) private var hooksInstalled = false
/// `EARSHOT_FUZZ_TRACE=1` prints every event, outcome and decision (to replay a reproducer); printing allocates, so
/// the allocation check is off then.
private let tracing = getenv("EARSHOT_FUZZ_TRACE") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func receivePathFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if !hooksInstalled {
        installAndProveMemoryChecks()
        hooksInstalled = true
    }
    guard let script = ReceivePathScript(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
    let heapBefore = earshot_fuzz_allocated_bytes()
    play(script)
    executions += 1
    let heapAfter = earshot_fuzz_allocated_bytes()
    precondition(
        executions <= warmUpExecutions || heapAfter <= heapBefore,
        "heap grew by \(heapAfter - heapBefore) bytes over one input")
    return 0
}

/// Installs the malloc hook, then proves that both memory checks can fail: an allocation inside the counting window
/// is counted, and a block kept alive shows in the heap level.
private func installAndProveMemoryChecks() {
    precondition(earshot_fuzz_allocation_counter_install() != 0, "ASan refused the malloc hooks")
    let heapBefore = earshot_fuzz_allocated_bytes()
    earshot_fuzz_allocation_counter_begin()
    let block = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
    let counted = earshot_fuzz_allocation_counter_end()
    let heapWithBlock = earshot_fuzz_allocated_bytes()
    block.deallocate()
    precondition(counted >= 1, "the allocation counter missed an allocation")
    precondition(heapWithBlock >= heapBefore + 4096, "the heap level missed a live block")
}

/// One sender's stream as the script writes it.
private struct Stream {
    let ssrc: UInt32
    var sequence: UInt16
    var timestamp: UInt32
    var frameSamples = 480
}

@inline(never)
private func play(_ initialScript: ReceivePathScript) {
    var script = initialScript
    let settings = script.settings
    var path = ReceivePathAdapter(settings: settings)
    let datagram = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    defer { datagram.deallocate() }
    var streams = (
        Stream(ssrc: 0x0A0A_0A0A, sequence: script.firstSequence, timestamp: 0xFFFF_0000),
        Stream(ssrc: 0x0B0B_0B0B, sequence: ~script.firstSequence, timestamp: 0x1234_5678)
    )
    var clock: UInt64 = 10_000_000_000

    earshot_fuzz_allocation_counter_begin()
    while let record = script.next() {
        clock += record.arrivalDelayNanos
        let outcome: ReceivePathAdapter.Outcome
        switch record.kind {
        case .rtp(let index):
            var stream = index == 0 ? streams.0 : streams.1
            let length = write(record, from: &stream, into: datagram)
            if index == 0 { streams.0 = stream } else { streams.1 = stream }
            if tracing { trace("stream \(index): seq \(stream.sequence) ts \(stream.timestamp) toc \(record.toc)") }
            outcome = path.receive(
                UnsafeRawBufferPointer(rebasing: datagram[0..<length]), from: UInt32(index), arrivalNanos: clock)
        case .raw(let bytes):
            outcome = path.receive(bytes, from: 2, arrivalNanos: clock)
        case .goodbye(let index):
            let length = writeGoodbye(ssrc: index == 0 ? streams.0.ssrc : streams.1.ssrc, into: datagram)
            outcome = path.receive(
                UnsafeRawBufferPointer(rebasing: datagram[0..<length]), from: UInt32(index), arrivalNanos: clock)
        }
        if case .inserted = outcome { fuzzConsume(1) }
        if tracing { trace("t=\(clock) \(record.kind) → \(outcome)  \(path.jitterBuffer.counters)") }
        checkState(path, settings)

        for index in 0..<record.decisions {
            let shifted = Int64(clock) + record.decisionOffsetNanos + Int64(index) * Int64(record.decisionSpacingNanos)
            let decision = path.nextDecision(nowNanos: UInt64(max(0, shifted)))
            if tracing { trace("  decision at \(shifted): \(decision)") }
            check(decision)
            let stretched = max(record.stretchedSamples, -decision.samples)
            if let dropped = path.afterDecoding(decision, stretchedSamples: stretched, quiet: record.quiet) {
                checkPayload(dropped)
            }
            checkState(path, settings)
        }
    }
    let allocations = earshot_fuzz_allocation_counter_end()
    precondition(tracing || allocations == 0, "the receive path allocated \(allocations) times after construction")
}

/// One line to standard error, unbuffered (a failed check aborts right after).
private func trace(_ line: String) {
    fputs(line + "\n", stderr)
}

/// Writes the record's RTP packet for `stream` and advances the stream; returns the datagram's length.
private func write(_ record: ReceivePathScript.Record, from stream: inout Stream, into buffer: UnsafeMutableRawBufferPointer)
    -> Int
{
    stream.sequence &+= UInt16(bitPattern: record.sequenceStep)
    let step = Int64(record.sequenceStep) * Int64(stream.frameSamples) + record.timestampOffset
    stream.timestamp &+= UInt32(truncatingIfNeeded: step)
    buffer[0] = 0x80
    buffer[1] = (record.marker ? 0x80 : 0) | record.payloadType
    buffer.storeBytes(of: stream.sequence.bigEndian, toByteOffset: 2, as: UInt16.self)
    buffer.storeBytes(of: stream.timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
    buffer.storeBytes(of: stream.ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
    let payloadCount = 1 + record.payloadBodyCount
    buffer[12] = record.toc
    for index in 1..<payloadCount { buffer[12 + index] = index == 1 ? record.secondByte : 0 }
    let payload = UnsafeRawBufferPointer(rebasing: buffer[12..<(12 + payloadCount)])
    if let samples = OpusPacketFraming.samplesPerChannel(payload) { stream.frameSamples = samples }
    return 12 + payloadCount
}

/// An RTCP compound as a sender ends with: RR (no blocks) + BYE naming `ssrc`. Returns its length.
private func writeGoodbye(ssrc: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
    let receiverSSRC: UInt32 = 0x5E5E_5E5E
    buffer.storeBytes(of: UInt32(0x80C9_0001).bigEndian, toByteOffset: 0, as: UInt32.self)  // V=2, RC=0, RR, 1 word
    buffer.storeBytes(of: receiverSSRC.bigEndian, toByteOffset: 4, as: UInt32.self)
    buffer.storeBytes(of: UInt32(0x81CB_0001).bigEndian, toByteOffset: 8, as: UInt32.self)  // V=2, SC=1, BYE, 1 word
    buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 12, as: UInt32.self)
    return 16
}

private func checkState(_ path: borrowing ReceivePathAdapter, _ settings: ReceivePathAdapter.Settings) {
    let target = path.jitterBuffer.targetDelayMs
    precondition(target.isFinite && target <= settings.largestDelayMs, "target delay \(target) ms above the maximum")
    precondition(target >= settings.smallestDelayMs, "target delay \(target) ms below the minimum")
    precondition(path.jitterBuffer.currentDelayMs.isFinite && path.jitterBuffer.jitterMs.isFinite)
    precondition(path.jitterBuffer.delayExcessMs.isFinite)
    let buffered = path.jitterBuffer.bufferedPackets
    precondition(buffered >= 0 && buffered <= path.jitterBuffer.capacity, "buffered packets \(buffered)")
    let counters = path.jitterBuffer.counters
    precondition(
        counters.packetsReceived >= 0 && counters.packetsLost >= 0 && counters.packetsLate >= 0
            && counters.packetsDuplicated >= 0 && counters.packetsReordered >= 0 && counters.packetsTooLarge >= 0
            && counters.packetsOutOfRange >= 0 && counters.resyncs >= 0 && counters.framesPlayed >= 0
            && counters.concealedSamples >= 0 && counters.concealmentEvents >= 0 && counters.fecRecoveredFrames >= 0
            && counters.insertedSamplesForDeceleration >= 0 && counters.removedSamplesForAcceleration >= 0
            && counters.underruns >= 0,
        "a negative counter: \(counters)")
}

private func check(_ decision: PlayoutDecision) {
    precondition(decision.samples >= 1 && decision.samples <= 5760, "decision of \(decision.samples) samples")
    switch decision {
    case .play(let payload, _, _):
        checkPayload(payload)
    case .recoverWithFEC(let next, _, _):
        checkPayload(next)
        precondition(OpusPacketFraming.mayCarryFEC(toc: next[0]), "FEC from a CELT-only packet")
    case .waiting, .conceal, .stretch:
        break
    }
}

private func checkPayload(_ payload: UnsafeRawBufferPointer) {
    precondition(payload.count >= 1 && payload.count <= 1500, "payload of \(payload.count) bytes")
    precondition(OpusPacketFraming.isWellFormed(payload), "a payload handed out is not the well-formed one stored")
    fuzzConsume(payload)
}
