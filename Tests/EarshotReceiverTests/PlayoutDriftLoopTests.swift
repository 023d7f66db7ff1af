@testable import EarshotReceiver
import Testing

@Suite struct PlayoutDriftLoopTests {
    /// A line is found exactly, with an hour of offset behind it (the sums are kept relative to the last sample).
    @Test func lineFitFindsTheSlopeAfterAnHour() throws {
        var fit = ForgettingLineFit(windowSeconds: 10, minimumSpanSeconds: 2)
        var nanos: Int64 = 0
        #expect(fit.slopePerSecond == nil)
        while nanos <= 3_600_000_000_000 {
            fit.add(nanos: nanos, value: 5 + 0.7 * Double(nanos) * 1e-9)
            nanos += 5_000_000
        }
        let slope = try #require(fit.slopePerSecond)
        #expect(abs(slope - 0.7) < 1e-9, "slope \(slope)")
        fit.reset()
        #expect(fit.slopePerSecond == nil)
    }

    /// The drift is the slope of the delay with the deliberate corrections taken out: splices reported as corrected
    /// frames, and the target's jumps (the delay error), leave it where the clocks put it, and the ratio cancels it.
    @Test func splicesAndTargetJumpsDoNotMoveTheEstimate() {
        var loop = PlayoutDriftLoop()
        var corrected = 0
        var nanos: Int64 = 0
        var errorMs = 0.0
        for step in 0..<6_000 {  // 30 s of 5 ms decisions
            let seconds = Double(nanos) * 1e-9
            // Every 2 s a 1 ms splice out (reported), and the target jumps by 5 ms then comes back.
            if step > 0 && step % 400 == 0 { corrected -= 48 }
            errorMs = step % 400 < 200 ? 0.05 : 5
            // The clocks: +300 ppm (0.3 ms per second), plus what was spliced.
            let measured = 2 + 0.3 * seconds + Double(corrected) / 48
            loop.update(
                nowNanos: nanos, measuredDelayMs: measured, correctedFrames: Double(corrected),
                targetDelayMs: measured - errorMs, smoothedErrorMs: errorMs)
            nanos += 5_000_000
        }
        #expect(abs(loop.driftPpm - 300) < 1e-6, "drift \(loop.driftPpm)")
        // The filtered error: the line of the uncorrected delay (exact here) plus the corrections, against the target.
        #expect(abs(loop.delayErrorMs - errorMs) < 1e-6)
        // The trim sees the error clamped (settled, 5 ms reads as 0.18 ms: 90 ppm at 0.5/s).
        let trim = loop.configuration.phaseGainPerSecond * loop.configuration.maximumTrimErrorMs * 1000
        #expect(loop.isSettled)
        #expect(abs(trim - 90) < 1e-9)
        #expect(abs(loop.correctionPpm - (300 + trim)) < 1e-6, "correction \(loop.correctionPpm)")
        #expect(abs(loop.ratio - (1 - loop.correctionPpm * 1e-6)) < 1e-12)
    }

    /// A new stream forgets the estimate; a restarted measurement keeps it until the new line spans 2 s.
    @Test func resetForgetsAndRestartKeeps() {
        var loop = PlayoutDriftLoop()
        var nanos: Int64 = 0
        for _ in 0..<1_000 {
            loop.update(
                nowNanos: nanos, measuredDelayMs: Double(nanos) * 1e-9, correctedFrames: 0, targetDelayMs: 0,
                smoothedErrorMs: 0)
            nanos += 5_000_000
        }
        #expect(abs(loop.driftPpm - 1000) < 1e-6)
        loop.restartLine()
        loop.update(nowNanos: nanos, measuredDelayMs: 50, correctedFrames: 0, targetDelayMs: 0, smoothedErrorMs: 0)
        #expect(abs(loop.driftPpm - 1000) < 1e-6)
        loop.reset()
        #expect(loop.driftPpm == 0)
    }

    /// A one-second stall of the device (the uncorrected delay jumps by 1 s and stays) is a step, not drift: the line
    /// restarts after it and the estimate never leaves the clocks' +300 ppm by more than the noise; noise of ±0.5 ms
    /// (more than the rig's) around the line is no step. Also a stall before the line has a slope (1 s after it
    /// began), as a device that opens late makes. Without the step rule the estimate read thousands of ppm for 10 s.
    @Test(arguments: [20.0, 3.0]) func aStallIsAStepNotDrift(stallSeconds: Double) {
        var loop = PlayoutDriftLoop()
        var random = SplitMix64(state: 7)
        var nanos: Int64 = 0
        var worstPpm = 0.0
        var stalledMs = 0.0
        for step in 0..<12_000 {  // 60 s of 5 ms decisions
            let seconds = Double(nanos) * 1e-9
            if step == Int(stallSeconds * 200) { stalledMs = 1_000 }
            let noise = random.unit() - 0.5
            let measured = 20 + 0.3 * seconds + stalledMs + noise
            loop.update(
                nowNanos: nanos, measuredDelayMs: measured, correctedFrames: 0, targetDelayMs: 20,
                smoothedErrorMs: 0)
            if seconds > 10 { worstPpm = max(worstPpm, abs(loop.driftPpm - 300)) }
            nanos += 5_000_000
        }
        #expect(loop.steps == 1)
        #expect(worstPpm < 60, "the estimate left +300 ppm by \(worstPpm) ppm")
        #expect(abs(loop.driftPpm - 300) < 30, "drift \(loop.driftPpm)")
    }
}
