import EarshotRealtime
import Foundation
import Testing

/// The output gain's ramp, without a device: its curve, mute to digital zero and back, a new target mid-ramp, and
/// why it is there (a step is a click, a ramp is not).
@Suite struct GainRampTests {
    /// `frames` frames of `channels` samples through `ramp`, `chunk` frames per call (a playback period).
    static func run(
        _ ramp: inout GainRamp, _ input: [Float], channels: Int, chunk: Int = 240
    ) -> [Float] {
        var samples = input
        let frames = input.count / channels
        samples.withUnsafeMutableBufferPointer { buffer in
            var frame = 0
            while frame < frames {
                let count = min(chunk, frames - frame)
                ramp.apply(to: buffer.baseAddress! + frame * channels, frames: count, channels: channels)
                frame += count
            }
        }
        return samples
    }

    @Test func rampIsAStraightLineThatEndsExactlyOnTheTarget() {
        var ramp = GainRamp(gain: 1, rampFrames: 240)
        ramp.retarget(0.25)
        #expect(ramp.isRamping)
        // 1.0 in, so the output is the gain; 2 channels, 100 frames per call: the ramp spans calls.
        let output = Self.run(&ramp, [Float](repeating: 1, count: 600 * 2), channels: 2, chunk: 100)
        let left = stride(from: 0, to: output.count, by: 2).map { output[$0] }
        let right = stride(from: 1, to: output.count, by: 2).map { output[$0] }
        #expect(left == right, "every channel of a frame gets the same gain")
        for frame in 0..<240 {
            let expected = 1 - 0.75 * Float(frame + 1) / 240
            #expect(abs(left[frame] - expected) < 1e-6, "frame \(frame): \(left[frame]), expected \(expected)")
        }
        #expect(left[239] == 0.25 && left[240...].allSatisfy { $0 == 0.25 }, "exactly the target once the ramp ends")
        #expect(!ramp.isRamping && ramp.gain == 0.25)
    }

    @Test func muteEndsInDigitalZeroAndUnmuteRampsBackToTheSamplesUntouched() {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<(1_000 * 2)).map { _ in Float.random(in: -1...1, using: &generator) }
        var ramp = GainRamp(gain: 1, rampFrames: 240)
        ramp.retarget(0)
        let muted = Self.run(&ramp, input, channels: 2)
        #expect(muted[(240 * 2)...].allSatisfy { $0 == 0 && $0.sign == .plus }, "digital zero after the ramp")
        #expect(muted[0..<(240 * 2)].contains { $0 != 0 }, "the ramp itself still carries the signal down")

        ramp.retarget(1)
        let unmuted = Self.run(&ramp, input, channels: 2)
        #expect(abs(unmuted[0]) <= abs(input[0]) / 240 + 1e-7, "unmute starts from silence")
        #expect(Array(unmuted[(240 * 2)...]) == Array(input[(240 * 2)...]), "bit-exact at unity after the ramp")
    }

    /// Muting then unmuting within the ramp: the gain turns back from where it got to, one step per frame, and
    /// never jumps.
    @Test func aNewTargetMidRampStartsFromTheGainReached() {
        var ramp = GainRamp(gain: 1, rampFrames: 240)
        ramp.retarget(0)
        let down = Self.run(&ramp, [Float](repeating: 1, count: 100), channels: 1)
        let reached = down[99]
        #expect(abs(reached - (1 - 100.0 / 240)) < 1e-6)
        ramp.retarget(1)
        let up = Self.run(&ramp, [Float](repeating: 1, count: 400), channels: 1)
        let curve = down + up
        let steps = zip(curve, curve.dropFirst()).map { abs($1 - $0) }
        // The largest step is a full ramp's: 1/240 per frame (the way back is shorter, so its steps are smaller).
        #expect(steps.max()! <= 1.0 / 240 + 1e-6, "largest gain step \(steps.max()!)")
        #expect(abs(up[0] - (reached + (1 - reached) / 240)) < 1e-6, "the new ramp starts from the gain reached")
        #expect(up[239] == 1 && up[240...].allSatisfy { $0 == 1 })
    }

    @Test func theSameTargetAgainChangesNothing() {
        var ramp = GainRamp(gain: 0.5, rampFrames: 240)
        ramp.retarget(0.5)
        #expect(!ramp.isRamping)
        #expect(Self.run(&ramp, [Float](repeating: 1, count: 10), channels: 1) == [Float](repeating: 0.5, count: 10))
        // Mid-ramp, the same target keeps the ramp going where it was.
        ramp.retarget(1)
        _ = Self.run(&ramp, [Float](repeating: 1, count: 120), channels: 1)
        ramp.retarget(1)
        let rest = Self.run(&ramp, [Float](repeating: 1, count: 120), channels: 1)
        #expect(rest[119] == 1 && abs(rest[0] - (0.5 + 0.5 * 121 / 240)) < 1e-6)
    }

    /// The click criterion the rig test applies, shown on a clean sine: ramped to −12 dB or to mute, the largest
    /// sample-to-sample step stays below the tone's own; a step without a ramp (one frame) is several times it.
    @Test func aRampedStepIsNoLargerThanTheTonesOwnStepAndAnAbruptOneIs() {
        let tone = (0..<4_800).map { Float(0.5 * sin(2 * Double.pi * 997 * Double($0) / 48_000)) }
        let ownStep = zip(tone, tone.dropFirst()).map { abs($1 - $0) }.max()!
        func largestStep(rampFrames: Int, to target: Float) -> Float {
            var ramp = GainRamp(gain: 1, rampFrames: rampFrames)
            let before = Self.run(&ramp, Array(tone[0..<2_419]), channels: 1)  // the change lands near a crest
            ramp.retarget(target)
            let output = before + Self.run(&ramp, Array(tone[2_419...]), channels: 1)
            return zip(output, output.dropFirst()).map { abs($1 - $0) }.max()!
        }
        for target: Float in [0.251, 0] {
            let ramped = largestStep(rampFrames: PlaybackGain.defaultRampFrames, to: target)
            let abrupt = largestStep(rampFrames: 1, to: target)
            #expect(ramped <= ownStep, "ramped to \(target): step \(ramped), the tone's own \(ownStep)")
            #expect(abrupt > 3 * ownStep, "abrupt to \(target): step \(abrupt), the tone's own \(ownStep)")
        }
    }

    @Test func playbackGainHoldsItsTargetExactly() {
        let gain = PlaybackGain(linear: 0.5)
        defer { gain.destroy() }
        #expect(gain.target == 0.5 && gain.rampFrames == 240)
        gain.setTarget(0.251_188_64)
        #expect(gain.target == 0.251_188_64)
        gain.setTarget(0)
        #expect(gain.target == 0)
    }
}
