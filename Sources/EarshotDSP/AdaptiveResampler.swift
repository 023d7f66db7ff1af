#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Converts interleaved Float audio from one sample rate to another by band-limited interpolation (a Kaiser-windowed
/// sinc evaluated at any fractional position from a polyphase table, linearly interpolated between its phases), with
/// a ratio that may change between calls: the sender's 44.1 → 48 kHz conversion and the receiver's clock-drift
/// correction (a ratio within ±0.1 % of 1, nudged every block) are the same operation.
///
/// Output frame `k` is the input signal at input time `k / ratio − latencyFrames` (for a constant ratio; in general
/// the sum of the steps taken so far). Because the position advances by one step per output frame whatever the block
/// sizes are, consecutive calls join seamlessly and a ratio change only bends the time axis: no click, no phase jump.
/// Over a stream, `N` input frames produce `N · ratio` output frames rounded up: the first output frames are the
/// filter's ramp-in (`latencyFrames` input frames of silence before the first input frame), so output keeps pace
/// with input, as a live stream needs. Converting a file instead, `dropsRampIn` starts the output at input frame 0
/// and `drain` flushes the last `latencyFrames` input frames out at the end: again `N · ratio` frames rounded up,
/// now aligned with the input.
///
/// The filter is designed in `init` for `inputRate → outputRate`: when downsampling its cutoff sits below the output
/// Nyquist frequency (anti-aliasing) and it grows longer in proportion. `setRatio` only changes the step, so a ratio
/// far below the initial one aliases; it is meant for small adjustments (drift) and for fine-tuning a conversion.
///
/// Invariant: all memory is allocated in `init` and freed in `deinit`; `process`, `setRatio` and `reset` allocate
/// nothing, take no locks and touch no reference counts (checked at compile time by `@_noLocks`). The staging buffer
/// always holds the `taps - 1` frames before the next output's window, so no input is ever read twice by the caller.
/// Thread: one thread at a time (typically the producer or pacing thread); not shared.
public struct AdaptiveResampler: ~Copyable {
    /// The interpolation filter: its length sets the quality and the cost per output sample and channel.
    public struct Quality: Sendable, Equatable {
        /// Filter taps when upsampling (when downsampling it grows by `inputRate / outputRate`); a multiple of 8.
        public var taps: Int
        /// Kaiser window shape: larger trades a wider transition band for a deeper stop band.
        public var kaiserBeta: Double
        /// The middle of the transition band (the sinc's −6 dB point) when upsampling or at ratio 1, as a fraction of
        /// the input's Nyquist frequency. The first image of a tone at `f` lies at `inputRate − f`, above Nyquist
        /// by as much as `f` is below it, so the transition band may straddle Nyquist.
        public var cutoff: Double
        /// The same when downsampling, as a fraction of the output's Nyquist frequency: a tone just above it
        /// aliases to just below it, so the stop band must begin nearer Nyquist and the cutoff sits lower.
        public var downsamplingCutoff: Double

        public init(taps: Int, kaiserBeta: Double, cutoff: Double, downsamplingCutoff: Double? = nil) {
            self.taps = taps
            self.kaiserBeta = kaiserBeta
            self.cutoff = cutoff
            self.downsamplingCutoff = downsamplingCutoff ?? cutoff
        }

        /// 64 taps: at 44.1 → 48 kHz −0.45 dB at 20 kHz and the images of tones to 20 kHz ≥ 117 dB down; at 48 kHz
        /// flat (±0.0001 dB) to 20 kHz, images ≥ 120 dB down; at 48 → 44.1 kHz (72 taps) −2.5 dB at 20 kHz and
        /// aliases of tones from 1.05 × the output's Nyquist frequency up ≥ 117 dB down (37 dB at Nyquist itself:
        /// what lies between folds to above 0.95 × Nyquist). THD+N ≤ −130 dB at 997 Hz and ≤ −122 dB at 15 kHz,
        /// where the linear interpolation between the table's phases is the floor. At least as good as libspeexdsp
        /// quality 5 on each of these, at a fifth of its cost or less.
        public static let high = Quality(taps: 64, kaiserBeta: 12, cutoff: 0.9625, downsamplingCutoff: 0.93)
        /// 32 taps, about 0.65 × the cost of `.high` (the per-frame work besides the taps does not shrink): −0.15 dB
        /// at 16 kHz at 44.1 kHz, stop band ≥ 65 dB down.
        public static let fast = Quality(taps: 32, kaiserBeta: 6.0, cutoff: 0.82)
    }

    /// Ratios accepted (output frames per input frame): 8 kHz → 48 kHz and 192 kHz → 48 kHz. Upsampling costs the
    /// same at any ratio; downsampling lengthens the filter by `1 / ratio`.
    public static let ratioRange: ClosedRange<Double> = 0.25...8

    public let channels: Int
    public let inputRate: Int
    public let outputRate: Int
    /// Filter length in input frames (a multiple of 8).
    public let taps: Int
    /// Output frames per input frame now.
    public private(set) var ratio: Double
    /// Whether output frame 0 is input frame 0 (see `init`).
    public let dropsRampIn: Bool

    /// Phases of the kernel table: with 512, the error of interpolating linearly between them (it falls 12 dB per
    /// doubling) stays below −120 dB for tones to 15 kHz at 48 kHz.
    private static let phaseBits = 9
    /// Floats per SIMD chunk of a kernel row: rows hold chunks of 8 coefficients, each followed by its 8 slopes.
    private static let chunk = 8
    private static let fractionBits = 32
    /// Input frames staged per refill beyond the filter's history: a copy of a few hundred frames is cheaper than
    /// splitting every window between a history buffer and the caller's input.
    private static let chunkFrames = 1_024

    /// Input frames advanced per output frame, fixed point with `fractionBits` fractional bits: exact integer steps
    /// keep the position from drifting over hours (a Double sum would lose frames after about 2^52 steps, but its
    /// rounding would differ block by block and break seamless joins).
    private var step: UInt64
    /// First staged frame of the next output's window.
    private var windowStart: Int
    /// Fractional position of the next output beyond `windowStart`, in units of 2^-fractionBits frames.
    private var fraction: UInt64
    /// Frames staged per channel (some before `windowStart` may be obsolete until the next compaction).
    private var staged: Int
    /// Frames of silence `drain` still has to feed after the last input.
    private var silenceToDrain: Int
    private let capacity: Int
    /// Planar: channel `c`'s frames start at `staging + c * capacity`, so each channel's dot product is contiguous.
    private let staging: UnsafeMutablePointer<Float>
    /// Row `p` (`0 ..< 2^phaseBits`, `2 · taps` floats, 64-byte aligned) is the kernel at fraction
    /// `p / 2^phaseBits`, tap `k` weighting staged frame `windowStart + k`, interleaved by chunks of 8 with its
    /// slope (row `p + 1` minus row `p`): taps 0–7, their slopes, taps 8–15, their slopes, … One output reads one
    /// contiguous row.
    private let kernel: UnsafeMutablePointer<Float>
    /// One output's interpolated coefficients, shared by all channels when there are more than two.
    private let coefficients: UnsafeMutablePointer<Float>

    /// Allocates the filter table and buffers for converting `inputRate` to `outputRate` (Hz; the ratio of the two
    /// must lie in `ratioRange`). Traps on invalid arguments: they are programming errors, the sender validates
    /// user input first.
    ///
    /// `dropsRampIn`: output frame 0 is input frame 0 rather than the first of `latencyFrames · ratio` frames of
    /// ramp-in, at the price of holding back the input's last `latencyFrames` until `drain`. For whole files.
    public init(channels: Int, inputRate: Int, outputRate: Int, quality: Quality = .high, dropsRampIn: Bool = false) {
        precondition(channels > 0, "AdaptiveResampler needs at least one channel")
        precondition(inputRate > 0 && outputRate > 0, "AdaptiveResampler needs positive sample rates")
        let ratio = Double(outputRate) / Double(inputRate)
        precondition(Self.ratioRange.contains(ratio), "AdaptiveResampler ratio \(ratio) outside \(Self.ratioRange)")
        precondition(quality.taps >= 8 && quality.taps % 8 == 0, "AdaptiveResampler taps must be a multiple of 8")
        self.channels = channels
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.ratio = ratio
        self.dropsRampIn = dropsRampIn
        self.step = Self.fixedPointStep(ratio)
        // Downsampling narrows the pass band to the output's Nyquist frequency; the kernel widens by as much, so
        // the transition band keeps its width relative to the output rate.
        let bandwidth = min(1, ratio)
        let cutoff = ratio < 1 ? quality.downsamplingCutoff : quality.cutoff
        let taps = (Int((Double(quality.taps) / bandwidth).rounded(.up)) + 7) / 8 * 8
        self.taps = taps
        capacity = taps + Self.chunkFrames
        staging = .allocate(capacity: capacity * channels)
        staging.initialize(repeating: 0, count: capacity * channels)
        let phases = 1 << Self.phaseBits
        kernel = UnsafeMutableRawPointer.allocate(
            byteCount: phases * 2 * taps * MemoryLayout<Float>.size, alignment: 64
        ).bindMemory(to: Float.self, capacity: phases * 2 * taps)
        coefficients = .allocate(capacity: taps)
        coefficients.initialize(repeating: 0, count: taps)
        windowStart = 0
        fraction = 0
        staged = 0
        silenceToDrain = 0
        Self.designKernel(
            kernel, taps: taps, phases: phases, beta: quality.kaiserBeta, cutoff: 0.5 * cutoff * bandwidth)
        reset()
    }

    deinit {
        staging.deallocate()
        UnsafeMutableRawPointer(kernel).deallocate()
        coefficients.deallocate()
    }

    /// The filter's group delay in input frames: output describes the input this long ago (at the output rate it is
    /// `latencyFrames * ratio` frames). A caller that wants the output aligned with the input drops that many
    /// output frames at the start and feeds as many frames of silence at the end.
    public var latencyFrames: Int { taps / 2 }

    /// Changes the ratio (output frames per input frame, within `ratioRange`) from the next output frame on. The
    /// interpolation position carries over, so the signal continues without a discontinuity; change it in small
    /// steps to keep the pitch change inaudible.
    @_noLocks
    public mutating func setRatio(_ ratio: Double) {
        precondition(Self.ratioRange.contains(ratio), "AdaptiveResampler ratio outside 0.25 ... 8")
        self.ratio = ratio
        step = Self.fixedPointStep(ratio)
    }

    /// Forgets all history, as if freshly created (the ratio stays).
    @_noLocks
    public mutating func reset() {
        var index = 0
        while index < capacity * channels {
            staging[index] = 0
            index += 1
        }
        // taps − 1 frames of silence: the first output's window ends at the first input frame. Dropping the ramp-in
        // starts half a filter later, where the window is centred on the first input frame.
        staged = taps - 1
        windowStart = dropsRampIn ? latencyFrames : 0
        fraction = 0
        silenceToDrain = latencyFrames
    }

    /// After the last input: feeds `latencyFrames` frames of silence (once, over as many calls as the output room
    /// needs) so the last input frames come out. Returns the frames written; 0 once everything is out. Call
    /// `reset()` before converting another stream.
    @_noLocks
    public mutating func drain(output: UnsafeMutablePointer<Float>, outputCapacity: Int) -> Int {
        var produced = 0
        while true {
            produced += produce(into: output + produced * channels, capacity: outputCapacity - produced)
            if produced == outputCapacity || silenceToDrain == 0 { break }
            makeRoom()
            let frames = min(silenceToDrain, capacity - staged)
            var channel = 0
            while channel < channels {
                let row = staging + channel * capacity + staged
                var frame = 0
                while frame < frames {
                    row[frame] = 0
                    frame += 1
                }
                channel += 1
            }
            staged += frames
            silenceToDrain -= frames
        }
        return produced
    }

    /// Converts up to `inputFrames` interleaved frames at `input` into at most `outputCapacity` interleaved frames
    /// at `output`. Returns how many input frames were taken (all of them unless the output filled up; offer the
    /// rest again) and how many output frames were written. Input taken is staged internally, so a call with no
    /// input may still produce output when the previous one ran out of output room.
    @_noLocks
    public mutating func process(
        input: UnsafePointer<Float>, inputFrames: Int, output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> (consumed: Int, produced: Int) {
        var consumed = 0
        var produced = 0
        while true {
            produced += produce(into: output + produced * channels, capacity: outputCapacity - produced)
            if produced == outputCapacity || consumed == inputFrames { break }
            if windowStart > staged {
                // Downsampling can step past everything staged: the input frames in between are never needed.
                let skipped = min(windowStart - staged, inputFrames - consumed)
                consumed += skipped
                windowStart -= skipped
            }
            makeRoom()
            let taken = min(inputFrames - consumed, capacity - staged)
            stage(input + consumed * channels, frames: taken)
            consumed += taken
        }
        return (consumed, produced)
    }

    /// Writes every output frame whose window is staged, up to `capacity`; returns how many. The position lives in
    /// locals during the loop (no copy of `self` per frame); mono and stereo get their own loops.
    @_noLocks
    private mutating func produce(into output: UnsafeMutablePointer<Float>, capacity outputCapacity: Int) -> Int {
        let fractionMask: UInt64 = (1 << UInt64(Self.fractionBits)) - 1
        let phaseShift = UInt64(Self.fractionBits - Self.phaseBits)
        let weightMask: UInt64 = (1 << phaseShift) - 1
        let weightScale = 1 / Float(1 << phaseShift)
        let rowFloats = 2 * taps
        let lastStart = staged - taps
        var start = windowStart
        var position = fraction
        var produced = 0
        while produced < outputCapacity && start <= lastStart {
            let row = UnsafeRawPointer(kernel + Int(truncatingIfNeeded: position >> phaseShift) * rowFloats)
            let weight = SIMD8<Float>(repeating: Float(position & weightMask) * weightScale)
            let frame = output + produced * channels
            switch channels {
            case 1: frame[0] = Self.dotProduct(row, weight, UnsafeRawPointer(staging + start), taps: taps)
            case 2:
                let (left, right) = Self.dotProducts(
                    row, weight, UnsafeRawPointer(staging + start), UnsafeRawPointer(staging + capacity + start),
                    taps: taps)
                frame[0] = left
                frame[1] = right
            default: renderAnyChannels(row, weight, windowStart: start, into: frame)
            }
            produced += 1
            position += step
            start += Int(truncatingIfNeeded: position >> UInt64(Self.fractionBits))
            position &= fractionMask
        }
        windowStart = start
        fraction = position
        return produced
    }

    /// Drops the staged frames before `windowStart` (no later window needs them) by moving the rest to the front.
    /// When the window starts beyond the staged frames, the part of the gap still to come stays in `windowStart`.
    @_noLocks
    private mutating func makeRoom() {
        guard windowStart > 0 else { return }
        if windowStart >= staged {
            windowStart -= staged
            staged = 0
            return
        }
        let kept = staged - windowStart
        var channel = 0
        while channel < channels {
            let row = staging + channel * capacity
            var frame = 0
            while frame < kept {
                row[frame] = row[windowStart + frame]
                frame += 1
            }
            channel += 1
        }
        staged = kept
        windowStart = 0
    }

    /// Appends `frames` interleaved frames to the planar staging buffer.
    @_noLocks
    private mutating func stage(_ input: UnsafePointer<Float>, frames: Int) {
        var channel = 0
        while channel < channels {
            let row = staging + channel * capacity + staged
            var frame = 0
            var sample = channel
            while frame < frames {
                row[frame] = input[sample]
                frame += 1
                sample += channels
            }
            channel += 1
        }
        staged += frames
    }

    /// One channel: `taps` frames at `window` weighted by the row interpolated at `weight`. Two accumulators, so
    /// consecutive chunks do not wait for each other's additions. Pointers advance instead of offsets being
    /// multiplied, which keeps overflow checks out of the loop.
    @_noLocks
    @inline(__always)
    private static func dotProduct(
        _ row: UnsafeRawPointer, _ weight: SIMD8<Float>, _ window: UnsafeRawPointer, taps: Int
    ) -> Float {
        let chunkBytes = MemoryLayout<SIMD8<Float>>.size
        var kernelChunk = row
        var windowChunk = window
        var chunks = taps / chunk
        var even = SIMD8<Float>()
        var odd = SIMD8<Float>()
        while chunks >= 2 {
            even += windowChunk.loadUnaligned(as: SIMD8<Float>.self) * interpolated(kernelChunk, weight)
            odd += windowChunk.loadUnaligned(fromByteOffset: chunkBytes, as: SIMD8<Float>.self)
                * interpolated(kernelChunk + 2 * chunkBytes, weight)
            kernelChunk += 4 * chunkBytes
            windowChunk += 2 * chunkBytes
            chunks -= 2
        }
        if chunks == 1 {
            even += windowChunk.loadUnaligned(as: SIMD8<Float>.self) * interpolated(kernelChunk, weight)
        }
        return (even + odd).sum()
    }

    /// Two channels sharing each interpolated chunk of coefficients: the stereo case, the one that matters. Two
    /// accumulators per channel, as in `dotProduct`.
    @_noLocks
    @inline(__always)
    private static func dotProducts(
        _ row: UnsafeRawPointer, _ weight: SIMD8<Float>, _ left: UnsafeRawPointer, _ right: UnsafeRawPointer,
        taps: Int
    ) -> (Float, Float) {
        let chunkBytes = MemoryLayout<SIMD8<Float>>.size
        var kernelChunk = row
        var leftChunk = left
        var rightChunk = right
        var chunks = taps / chunk
        var leftEven = SIMD8<Float>()
        var leftOdd = SIMD8<Float>()
        var rightEven = SIMD8<Float>()
        var rightOdd = SIMD8<Float>()
        while chunks >= 2 {
            let first = interpolated(kernelChunk, weight)
            leftEven += leftChunk.loadUnaligned(as: SIMD8<Float>.self) * first
            rightEven += rightChunk.loadUnaligned(as: SIMD8<Float>.self) * first
            let second = interpolated(kernelChunk + 2 * chunkBytes, weight)
            leftOdd += leftChunk.loadUnaligned(fromByteOffset: chunkBytes, as: SIMD8<Float>.self) * second
            rightOdd += rightChunk.loadUnaligned(fromByteOffset: chunkBytes, as: SIMD8<Float>.self) * second
            kernelChunk += 4 * chunkBytes
            leftChunk += 2 * chunkBytes
            rightChunk += 2 * chunkBytes
            chunks -= 2
        }
        if chunks == 1 {
            let last = interpolated(kernelChunk, weight)
            leftEven += leftChunk.loadUnaligned(as: SIMD8<Float>.self) * last
            rightEven += rightChunk.loadUnaligned(as: SIMD8<Float>.self) * last
        }
        return ((leftEven + leftOdd).sum(), (rightEven + rightOdd).sum())
    }

    /// The 8 coefficients of the kernel chunk at `chunk` (8 values, then their 8 slopes) at `weight` between the
    /// row's phase and the next.
    @_noLocks
    @inline(__always)
    private static func interpolated(_ chunk: UnsafeRawPointer, _ weight: SIMD8<Float>) -> SIMD8<Float> {
        chunk.load(as: SIMD8<Float>.self)
            + weight * chunk.load(fromByteOffset: MemoryLayout<SIMD8<Float>>.size, as: SIMD8<Float>.self)
    }

    /// One output frame of three or more channels: the coefficients interpolated and stored once, then one dot
    /// product per channel over the window at `windowStart`.
    @_noLocks
    private func renderAnyChannels(
        _ row: UnsafeRawPointer, _ weight: SIMD8<Float>, windowStart: Int, into frame: UnsafeMutablePointer<Float>
    ) {
        let chunkBytes = MemoryLayout<SIMD8<Float>>.size
        let end = taps * MemoryLayout<Float>.size
        let stored = UnsafeMutableRawPointer(coefficients)
        var offset = 0
        while offset < end {
            let interpolated = row.load(fromByteOffset: 2 * offset, as: SIMD8<Float>.self)
                + weight * row.load(fromByteOffset: 2 * offset + chunkBytes, as: SIMD8<Float>.self)
            stored.storeBytes(of: interpolated, toByteOffset: offset, as: SIMD8<Float>.self)
            offset += chunkBytes
        }
        let taken = UnsafeRawPointer(coefficients)
        var channel = 0
        while channel < channels {
            let window = UnsafeRawPointer(staging + channel * capacity + windowStart)
            var even = SIMD8<Float>()
            var odd = SIMD8<Float>()
            offset = 0
            while offset + 2 * chunkBytes <= end {
                even += taken.load(fromByteOffset: offset, as: SIMD8<Float>.self)
                    * window.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                odd += taken.load(fromByteOffset: offset + chunkBytes, as: SIMD8<Float>.self)
                    * window.loadUnaligned(fromByteOffset: offset + chunkBytes, as: SIMD8<Float>.self)
                offset += 2 * chunkBytes
            }
            if offset < end {
                even += taken.load(fromByteOffset: offset, as: SIMD8<Float>.self)
                    * window.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            }
            frame[channel] = (even + odd).sum()
            channel += 1
        }
    }

    /// `+ 0.5` and truncation rather than `rounded()`, whose rounding-rule enum `@_noLocks` rejects in debug builds.
    @_noLocks
    private static func fixedPointStep(_ ratio: Double) -> UInt64 {
        UInt64(Double(UInt64(1) << UInt64(fractionBits)) / ratio + 0.5)
    }

    /// Fills the `phases` rows of `taps` coefficients and their slopes, interleaved by chunks of 8 (see `kernel`):
    /// a sinc with its −6 dB point at `cutoff` (cycles per input frame) under a Kaiser window spanning all taps.
    /// Each phase is normalised to a sum of 1, so a constant passes unchanged at every fractional position (no
    /// ripple at the phase rate).
    private static func designKernel(
        _ kernel: UnsafeMutablePointer<Float>, taps: Int, phases: Int, beta: Double, cutoff: Double
    ) {
        let half = Double(taps) / 2
        let windowNorm = 1 / besselI0(beta)
        func row(_ phase: Int) -> [Double] {
            let fraction = Double(phase) / Double(phases)
            var values = (0..<taps).map { tap -> Double in
                // Distance from tap `tap` to the output position (window start + taps/2 − 1 + fraction).
                let t = half - 1 - Double(tap) + fraction
                let x = 2 * cutoff * t
                let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
                let edge = t / half
                let window = edge * edge >= 1 ? 0 : besselI0(beta * (1 - edge * edge).squareRoot()) * windowNorm
                return 2 * cutoff * sinc * window
            }
            let sum = values.reduce(0, +)
            for index in values.indices { values[index] /= sum }
            return values
        }
        var current = row(0)
        for phase in 0..<phases {
            let next = row(phase + 1)
            for tap in 0..<taps {
                let position = phase * 2 * taps + (tap / chunk) * 2 * chunk + tap % chunk
                kernel[position] = Float(current[tap])
                kernel[position + chunk] = Float(next[tap] - current[tap])
            }
            current = next
        }
    }

    /// The modified Bessel function of the first kind, order 0, by its power series (converges for any x the
    /// Kaiser window uses: terms fall below 1e-17 of the sum within about 50 terms for x ≤ 20).
    private static func besselI0(_ x: Double) -> Double {
        var sum = 1.0
        var term = 1.0
        let quarterSquare = x * x / 4
        var k = 1.0
        while term > sum * 1e-17 {
            term *= quarterSquare / (k * k)
            sum += term
            k += 1
        }
        return sum
    }
}

extension AdaptiveResampler {
    /// `samples` (interleaved, `channels` per frame) at `inputRate` converted to `outputRate`, aligned with the
    /// input: `N` frames in, `N · outputRate / inputRate` frames out, rounded up. Allocates: for set-up work such as
    /// a whole file, not for a real-time thread.
    public static func convert(
        _ samples: [Float], channels: Int, inputRate: Int, outputRate: Int, quality: Quality = .high
    ) -> [Float] {
        var resampler = AdaptiveResampler(
            channels: channels, inputRate: inputRate, outputRate: outputRate, quality: quality, dropsRampIn: true)
        let frames = samples.count / channels
        // One frame of slack for the rounding of the fixed-point step.
        let capacity = Int((Double(frames) * resampler.ratio).rounded(.up)) + 2
        var output = [Float](repeating: 0, count: capacity * channels)
        var produced = 0
        samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { target in
                guard let source = input.baseAddress, let destination = target.baseAddress else { return }
                produced = resampler.process(
                    input: source, inputFrames: frames, output: destination, outputCapacity: capacity
                ).produced
                produced += resampler.drain(
                    output: destination + produced * channels, outputCapacity: capacity - produced)
            }
        }
        output.removeSubrange((produced * channels)...)
        return output
    }
}
