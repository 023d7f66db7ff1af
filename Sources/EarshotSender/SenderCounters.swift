import Atomics

/// A snapshot of what the send thread has done so far.
public struct SenderCounters: Sendable, Equatable {
    /// RTP packets handed to the kernel (counted once per packet, whatever the number of destinations).
    public var packets: Int
    /// Opus payload bytes sent (RTP headers excluded, as in the SR octet count).
    public var payloadOctets: Int
    /// 48 kHz frames the RTP clock advanced by: sent, DTX-suppressed and skipped frames.
    public var frames: Int
    /// `sendto` failures, over all destinations; `lastSendErrno` is the latest errno.
    public var sendErrors: Int
    public var lastSendErrno: Int32
    /// Frames not sent because the encoder was in DTX (silence).
    public var dtxFrames: Int
    /// Pacer wake-ups later than half a frame.
    public var missedDeadlines: Int
    /// Times the pacer fell too far behind and skipped ahead; `skippedFrames` is the audio skipped with it.
    public var resynchronizations: Int
    public var skippedFrames: Int
    /// Encoder failures (the frame was dropped).
    public var encodeErrors: Int
    /// Second copies sent (`--redundancy`); not in `packets`, which the RTCP sender report counts.
    public var redundantPackets: Int
    /// Copies are being sent now (always with `--redundancy MS`; while receivers report loss with `auto`).
    public var redundancyOn: Bool
}

/// The atomics behind `SenderCounters` plus the send thread's RTP time anchor and level peak.
///
/// Written by the send thread only (relaxed stores, or the seqlock below), read from the control thread; except
/// `redundancyOn`, the control thread's switch.
/// Allocated at start-up; `destroy()` after the send thread has been joined.
final class SenderCounterCells: @unchecked Sendable {
    let packets = UnsafeAtomic<Int>.create(0)
    let payloadOctets = UnsafeAtomic<Int>.create(0)
    let frames = UnsafeAtomic<Int>.create(0)
    let sendErrors = UnsafeAtomic<Int>.create(0)
    let lastSendErrno = UnsafeAtomic<Int>.create(0)
    let dtxFrames = UnsafeAtomic<Int>.create(0)
    let missedDeadlines = UnsafeAtomic<Int>.create(0)
    let resynchronizations = UnsafeAtomic<Int>.create(0)
    let skippedFrames = UnsafeAtomic<Int>.create(0)
    let encodeErrors = UnsafeAtomic<Int>.create(0)
    let redundantPackets = UnsafeAtomic<Int>.create(0)
    /// The one cell the control thread writes: whether the send thread sends copies (`RedundancyPolicy`). Read once
    /// per packet; a switch takes effect at the next packet, and nothing else hangs on it, so relaxed is enough.
    let redundancyOn = UnsafeAtomic<Bool>.create(false)
    /// Largest |sample| since the control thread last took it, as Float bits (max-updated by CAS).
    let peakBits = UnsafeAtomic<UInt32>.create(0)
    /// Seqlock over (`anchorTime`, `anchorFrames`): odd while the send thread writes.
    let anchorVersion = UnsafeAtomic<Int>.create(0)
    /// CLOCK_MONOTONIC ns at which the RTP clock stood at `anchorFrames` frames since its start.
    let anchorTime = UnsafeAtomic<Int>.create(0)
    let anchorFrames = UnsafeAtomic<Int>.create(-1)

    func snapshot() -> SenderCounters {
        SenderCounters(
            packets: packets.load(ordering: .relaxed),
            payloadOctets: payloadOctets.load(ordering: .relaxed),
            frames: frames.load(ordering: .relaxed),
            sendErrors: sendErrors.load(ordering: .relaxed),
            lastSendErrno: Int32(truncatingIfNeeded: lastSendErrno.load(ordering: .relaxed)),
            dtxFrames: dtxFrames.load(ordering: .relaxed),
            missedDeadlines: missedDeadlines.load(ordering: .relaxed),
            resynchronizations: resynchronizations.load(ordering: .relaxed),
            skippedFrames: skippedFrames.load(ordering: .relaxed),
            encodeErrors: encodeErrors.load(ordering: .relaxed),
            redundantPackets: redundantPackets.load(ordering: .relaxed),
            redundancyOn: redundancyOn.load(ordering: .relaxed))
    }

    /// Send thread: raises the peak to `value` if larger. Lock-free.
    @inline(__always)
    func raisePeak(_ value: Float) {
        var current = peakBits.load(ordering: .relaxed)
        while Float(bitPattern: current) < value {
            let (exchanged, original) = peakBits.weakCompareExchange(
                expected: current, desired: value.bitPattern, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Control thread: the peak since the last call, and resets it.
    func takePeak() -> Float { Float(bitPattern: peakBits.exchange(0, ordering: .relaxed)) }

    /// Send thread: publishes that the RTP clock stands at `frames` at monotonic time `time`.
    @inline(__always)
    func publishAnchor(time: Int64, frames: Int) {
        let version = anchorVersion.load(ordering: .relaxed)
        anchorVersion.store(version &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        anchorTime.store(Int(time), ordering: .relaxed)
        anchorFrames.store(frames, ordering: .relaxed)
        anchorVersion.store(version &+ 2, ordering: .releasing)
    }

    /// Control thread: the latest anchor, or nil before the first packet.
    func anchor() -> (time: Int64, frames: Int)? {
        while true {
            let before = anchorVersion.load(ordering: .acquiring)
            let time = anchorTime.load(ordering: .relaxed)
            let frames = anchorFrames.load(ordering: .relaxed)
            atomicMemoryFence(ordering: .acquiring)
            let after = anchorVersion.load(ordering: .relaxed)
            if before == after && before & 1 == 0 { return frames < 0 ? nil : (Int64(time), frames) }
        }
    }

    func destroy() {
        for cell in [
            packets, payloadOctets, frames, sendErrors, lastSendErrno, dtxFrames, missedDeadlines, resynchronizations,
            skippedFrames, encodeErrors, redundantPackets, anchorVersion, anchorTime, anchorFrames,
        ] { cell.destroy() }
        peakBits.destroy()
        redundancyOn.destroy()
    }
}
