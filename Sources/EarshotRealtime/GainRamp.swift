/// A gain that moves from where it stands to a new target in a straight line over `rampFrames` frames (one step
/// per frame, every channel of a frame alike), and multiplies interleaved audio by it.
///
/// Why a ramp: a gain that jumps multiplies the waveform by a step, which is a click; spread over a few ms, the
/// largest sample-to-sample change stays that of the audio itself.
///
/// Invariants: when a ramp ends the gain is exactly the target, so a target of 0 gives digital zero and 1 leaves the
/// samples untouched; a new target mid-ramp starts a new ramp from the gain reached, so the curve never jumps.
/// A plain value, owned by one thread (the playback thread's `PlaybackLoop`); allocation- and lock-free.
public struct GainRamp: Sendable, Equatable {
    /// Frames a ramp takes, whatever its size (at least 1).
    public let rampFrames: Int
    /// The gain of the last frame scaled (the start of the next ramp).
    public private(set) var gain: Float
    /// Where the gain is going (equal to `gain` when not ramping).
    public private(set) var target: Float
    /// The gain the current ramp started from.
    private var start: Float
    /// Frames of the current ramp still to come (0: not ramping).
    private var remaining = 0

    /// Starts at `gain`, not ramping.
    public init(gain: Float, rampFrames: Int) {
        self.rampFrames = max(1, rampFrames)
        self.gain = gain
        self.target = gain
        self.start = gain
    }

    /// Whether a ramp is under way.
    public var isRamping: Bool { remaining > 0 }

    /// Heads for `newTarget` from the gain reached, over `rampFrames` frames; the same target again changes nothing.
    @_noLocks
    public mutating func retarget(_ newTarget: Float) {
        guard newTarget != target else { return }
        start = gain
        target = newTarget
        remaining = rampFrames
    }

    /// Scales `frames` interleaved frames of `channels` samples in place: frame by frame along the ramp, then by the
    /// target (0 writes zeros, 1 leaves the samples as they are).
    @_noLocks
    public mutating func apply(to samples: UnsafeMutablePointer<Float>, frames: Int, channels: Int) {
        var frame = 0
        while frame < frames && remaining > 0 {
            remaining -= 1
            let done = Float(rampFrames - remaining) / Float(rampFrames)
            gain = remaining == 0 ? target : start + (target - start) * done
            let base = samples + frame * channels
            for channel in 0..<channels { base[channel] *= gain }
            frame += 1
        }
        guard frame < frames, gain != 1 else { return }
        var index = frame * channels
        let end = frames * channels
        if gain == 0 {
            while index < end {
                samples[index] = 0
                index += 1
            }
        } else {
            while index < end {
                samples[index] *= gain
                index += 1
            }
        }
    }
}
