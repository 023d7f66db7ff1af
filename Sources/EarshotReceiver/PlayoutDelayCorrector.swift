/// Moves the jitter buffer's playout delay toward its target in sub-frame steps by time-stretching decoded frames
/// (`TimeStretcher`), whatever the loudness, instead of splicing out or concealing whole frames.
///
/// Policy: above target by more than `shrinkThresholdMs`, a frame is shortened by the best-match lag that leaves
/// at least `restingExcessMs` above target, at most `maxShrinkFraction` of the playout time on average (a credit
/// that refills with every frame played), so shrinking is slow and inaudible. Below target (the buffer plays the due
/// frame rather than conceal when the deficit is small, see `JitterBuffer.Configuration.stretchesDecodedAudio`), a
/// frame is lengthened by one best-match lag no longer than the deficit plus `restingExcessMs` plus 40 samples (so a
/// period up to about 1 ms fits), at most one per frame, so the delay grows quickly. The dead band between the two
/// (a lengthening never overshoots into a shortening) keeps a steady stream untouched: every splice shifts a tone's
/// phase by a fraction of a sample. Every change is reported to the jitter buffer, whose delay estimate and counters
/// account for it at once.
///
/// Invariant: allocates only in `init`. Thread: the producer thread only.
struct PlayoutDelayCorrector: ~Copyable {
    let stretcher: TimeStretcher
    /// Share of the playout time that may be cut out to shrink the delay.
    let maxShrinkFraction: Double
    /// Excess over target that is left alone (measurement noise of about a wake-up interval).
    let shrinkThresholdMs: Double
    /// Where a correction aims: this far above target (the smoothed delay wobbles by a fraction of a ms).
    let restingExcessMs: Double
    /// The longest lag expanded at once (10 ms: a 100 Hz pitch period).
    let maxExpandLagFrames = 480
    /// How far below target the delay may sit before a frame is lengthened, in ms.
    let growThresholdMs = 0.5
    /// Frames that may be removed now; refills at `maxShrinkFraction` of the frames played, capped at 10 ms.
    private(set) var shrinkCredit = 0.0

    init(channels: Int, maxShrinkFraction: Double = 0.05, shrinkThresholdMs: Double = 1.5,
         restingExcessMs: Double = 0.5)
    {
        precondition(restingExcessMs >= 0 && shrinkThresholdMs > 2 * restingExcessMs)
        stretcher = TimeStretcher(channels: channels)
        self.maxShrinkFraction = maxShrinkFraction
        self.shrinkThresholdMs = shrinkThresholdMs
        self.restingExcessMs = restingExcessMs
    }

    /// The clock reading to measure the delay of the frame about to be written with: `nowNanos` shifted by how far
    /// the ring is from its fill level, i.e. when the frame will really start playing, minus the ring's fixed part.
    /// Without it the measured delay moves only in whole device periods (the producer writes when the playback thread
    /// takes a period), and a few samples stretched in or out would hide in the ring's level until a period's worth
    /// had piled up: the corrector would chase its own corrections.
    /// `ringFrames` and `fillFrames` count frames at `frameRate` (the device's rate).
    static func playoutClockNanos(nowNanos: Int64, ringFrames: Int, fillFrames: Int, frameRate: Int = 48_000)
        -> UInt64
    {
        UInt64(max(0, nowNanos + Int64(ringFrames - fillFrames) * 1_000_000_000 / Int64(frameRate)))
    }

    /// Stretches the `frames` decoded frames at `pcm` (room for `capacityFrames`) toward the jitter buffer's target,
    /// judged by `excessMs` (the delay minus the target; the jitter buffer's smoothed `delayExcessMs` when nil), and
    /// returns the new frame count. Call only for decoded audio that was due (`.play`). Not `@_noAllocation`:
    /// the checker cannot see into the estimator's target; the stretcher it calls is checked, the producer's
    /// allocation test covers the rest.
    mutating func correct(
        _ pcm: UnsafeMutablePointer<Float>, frames: Int, capacityFrames: Int, excessMs: Double? = nil,
        jitterBuffer: inout JitterBuffer
    ) -> Int {
        guard frames > 0 else { return frames }
        let excessMs = excessMs ?? jitterBuffer.delayExcessMs
        shrinkCredit += Double(frames) * maxShrinkFraction
        if shrinkCredit > 480 { shrinkCredit = 480 }
        if excessMs > shrinkThresholdMs {
            let wanted = Int((excessMs - restingExcessMs) * 48)
            // Wait for the credit to cover a 2.5 ms range of lags (or all that is wanted): a shorter range may hold
            // no whole period of the signal, and the best lag in it would be a poor match.
            guard wanted >= stretcher.minLagFrames, Int(shrinkCredit) >= (wanted < 120 ? wanted : 120)
            else { return frames }
            let allowed = wanted < Int(shrinkCredit) ? wanted : Int(shrinkCredit)
            let shortened = stretcher.accelerate(pcm, frames: frames, maxLagFrames: allowed)
            let removed = frames - shortened
            if removed > 0 {
                shrinkCredit -= Double(removed)
                jitterBuffer.recordTimeStretch(removedSamples: removed)
            }
            return shortened
        }
        // A dead band below the target as well as above it: measurement noise (sub-ms scheduling jitter) must not
        // make the corrector alternate between lengthening and shortening, each a splice.
        if excessMs < -growThresholdMs {
            var allowed = Int((restingExcessMs - excessMs) * 48) + 40
            if allowed > maxExpandLagFrames { allowed = maxExpandLagFrames }
            let lengthened = stretcher.expand(
                pcm, frames: frames, capacityFrames: capacityFrames, maxLagFrames: allowed)
            if lengthened > frames { jitterBuffer.recordTimeStretch(insertedSamples: lengthened - frames) }
            return lengthened
        }
        return frames
    }
}
