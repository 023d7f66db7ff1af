/// Shortens or lengthens one decoded frame by about a pitch period with a best-match splice, so a periodic signal
/// continues without a phase jump (WSOLA; WebRTC NetEq's accelerate and preemptive expand).
///
/// Both operations work inside the frame, in place: the frame's first and last samples stay where the neighbouring
/// frames expect them, so nothing already handed to the device needs to change. The lag `T` is the one in the
/// allowed range that maximises the normalised cross-correlation between the frame's head `x[0..<W]` and
/// `x[T..<T+W]`; `W` is the cross-fade length.
/// - accelerate: `fade(x[0..<W] → x[T..<T+W]) ++ x[T+W..<L]`, `T` samples shorter.
/// - expand: `x[0..<T] ++ fade(x[T..<T+W] → x[0..<W]) ++ x[W..<L]`, `T` samples longer.
///
/// Silence (no energy in either segment) takes the longest allowed lag. A loud segment whose best normalised
/// correlation is below `minCorrelation` (noise, a transient, a lag range too short for its period) is left alone:
/// a splice there would be a click, and the caller can try again on a later frame. Invariant: the scratch buffer is allocated in `init`; `accelerate` and `expand` allocate
/// nothing. Audio is interleaved Float, `channels` per frame. Thread: the producer thread only.
struct TimeStretcher: ~Copyable {
    let channels: Int
    /// Longest cross-fade, in frames.
    let maxOverlapFrames: Int
    /// Shortest lag searched (about 2.4 kHz): a higher pitch repeats within it several times anyway.
    let minLagFrames: Int
    /// The weakest match worth splicing. NetEq accelerates speech at 0.9; a sustained tone spliced at 0.9 (a 26°
    /// phase error) shows as a glitch window, at 0.95 it does not (`quietToneBesideALoudSweepSurvives`).
    let minCorrelation: Float
    private let scratch: UnsafeMutablePointer<Float>
    /// Per channel: the head's energy, the same for every lag `bestLag` tries.
    private let headEnergies: UnsafeMutablePointer<Float>

    init(channels: Int, maxOverlapFrames: Int = 120, minLagFrames: Int = 20, minCorrelation: Float = 0.95) {
        precondition(channels > 0 && maxOverlapFrames > 0 && minLagFrames > 0)
        self.channels = channels
        self.maxOverlapFrames = maxOverlapFrames
        self.minLagFrames = minLagFrames
        self.minCorrelation = minCorrelation
        scratch = .allocate(capacity: maxOverlapFrames * channels)
        scratch.initialize(repeating: 0, count: maxOverlapFrames * channels)
        headEnergies = .allocate(capacity: channels)
        headEnergies.initialize(repeating: 0, count: channels)
    }

    deinit {
        scratch.deallocate()
        headEnergies.deallocate()
    }

    /// Cross-fade length for a frame of `frames`: a quarter of the frame, within [8, maxOverlapFrames].
    func overlapFrames(forFrame frames: Int) -> Int {
        let quarter = frames / 4
        return quarter > maxOverlapFrames ? maxOverlapFrames : (quarter < 8 ? 8 : quarter)
    }

    /// How much of the head is compared with the lagged segment: the cross-fade, but at least 1.25 ms. Over less
    /// than a period, a tone correlates well with itself at almost any shift, so 2.5 ms frames (a 30-frame
    /// cross-fade) would splice a 1 kHz tone at the wrong phase.
    func matchFrames(forFrame frames: Int) -> Int {
        let overlap = overlapFrames(forFrame: frames)
        return overlap < 60 ? 60 : overlap
    }

    /// The longest lag a frame of `frames` can splice (the head and the lagged segment must both fit).
    func maxLagFrames(forFrame frames: Int) -> Int {
        frames - matchFrames(forFrame: frames)
    }

    /// Removes one best-match lag in `[minLagFrames, maxLagFrames]` (clamped to what the frame allows) from the
    /// `frames` frames at `pcm`. Returns the new frame count, or `frames` if no lag fits.
    @_noAllocation
    func accelerate(_ pcm: UnsafeMutablePointer<Float>, frames: Int, maxLagFrames: Int) -> Int {
        let overlap = overlapFrames(forFrame: frames)
        let match = matchFrames(forFrame: frames)
        var upper = frames - match
        if upper > maxLagFrames { upper = maxLagFrames }
        guard let lag = bestLag(pcm, overlap: match, from: minLagFrames, through: upper) else { return frames }
        var frame = 0
        while frame < overlap {
            let weight = (Float(frame) + 0.5) / Float(overlap)
            var channel = 0
            while channel < channels {
                let index = frame * channels + channel
                pcm[index] = pcm[index] * (1 - weight) + pcm[index + lag * channels] * weight
                channel += 1
            }
            frame += 1
        }
        // Forward copy: the source lies after the destination.
        let tail = (frames - overlap - lag) * channels
        let destination = pcm + overlap * channels
        let source = pcm + (overlap + lag) * channels
        var index = 0
        while index < tail {
            destination[index] = source[index]
            index += 1
        }
        return frames - lag
    }

    /// Inserts one best-match lag in `[minLagFrames, maxLagFrames]` (clamped to what the frame and
    /// `capacityFrames` allow) into the `frames` frames at `pcm`. Returns the new frame count, or `frames` if no lag
    /// fits.
    @_noAllocation
    func expand(_ pcm: UnsafeMutablePointer<Float>, frames: Int, capacityFrames: Int, maxLagFrames: Int) -> Int {
        let overlap = overlapFrames(forFrame: frames)
        let match = matchFrames(forFrame: frames)
        var upper = frames - match
        if upper > maxLagFrames { upper = maxLagFrames }
        if upper > capacityFrames - frames { upper = capacityFrames - frames }
        guard let lag = bestLag(pcm, overlap: match, from: minLagFrames, through: upper) else { return frames }
        var index = 0
        while index < overlap * channels {
            scratch[index] = pcm[index]
            index += 1
        }
        // Backward copy: the destination lies after the source.
        let destination = pcm + (lag + overlap) * channels
        let source = pcm + overlap * channels
        index = (frames - overlap) * channels
        while index > 0 {
            index -= 1
            destination[index] = source[index]
        }
        var frame = 0
        while frame < overlap {
            let weight = (Float(frame) + 0.5) / Float(overlap)
            var channel = 0
            while channel < channels {
                let index = (lag + frame) * channels + channel
                pcm[index] = pcm[index] * (1 - weight) + scratch[frame * channels + channel] * weight
                channel += 1
            }
            frame += 1
        }
        return frames + lag
    }

    /// The lag in `lower...upper` whose worst channel has the highest normalised correlation between
    /// `x[0..<overlap]` and `x[lag..<lag+overlap]`; the longest lag when everything is silent; nil when the range is
    /// empty or no lag reaches `minCorrelation` in every channel that is not silent.
    ///
    /// Per channel, not over the interleaved frame: a lag that matches a loud channel well can cut a quiet tone in
    /// the other one mid-period (a click on that side only).
    @_noAllocation
    func bestLag(_ pcm: UnsafeMutablePointer<Float>, overlap: Int, from lower: Int, through upper: Int) -> Int? {
        guard lower <= upper, overlap > 0 else { return nil }
        // About −100 dBFS per sample: nothing audible to match.
        let silent = Float(overlap) * 1e-10
        let end = overlap * channels
        var channel = 0
        while channel < channels {
            var energy: Float = 0
            var index = channel
            while index < end {
                energy += pcm[index] * pcm[index]
                index += channels
            }
            headEnergies[channel] = energy
            channel += 1
        }
        var best = upper
        var bestScore: Float = -2  // below any score
        var lag = lower
        while lag <= upper {
            let lagged = pcm + lag * channels
            var worst: Float = 2  // above any score: no audible channel yet
            channel = 0
            while channel < channels {
                var cross: Float = 0
                var energy: Float = 0
                var index = channel
                while index < end {
                    cross += pcm[index] * lagged[index]
                    energy += lagged[index] * lagged[index]
                    index += channels
                }
                let headEnergy = headEnergies[channel]
                if headEnergy > silent || energy > silent {
                    // The normalised correlation's square with its sign: same order, no square root.
                    let score = cross * (cross < 0 ? -cross : cross) / (headEnergy * energy + 1e-30)
                    if score < worst { worst = score }
                }
                channel += 1
            }
            if worst <= 1.5 && worst > bestScore {
                bestScore = worst
                best = lag
            }
            lag += 1
        }
        let floor = minCorrelation * (minCorrelation < 0 ? -minCorrelation : minCorrelation)
        return bestScore == -2 || bestScore >= floor ? best : nil
    }
}
