internal import CSpeexDSP

/// libspeexdsp's resampler with `AdaptiveResampler`'s streaming shape: interleaved Float in, the caller's buffer
/// out, a ratio that may be nudged between calls (clock-drift correction on top of a fixed rate conversion).
///
/// Measured against `AdaptiveResampler` and libsoxr in `Benchmarks/BENCHMARKS.md` (resampler quality): at quality 5
/// it is the better of the two on every measure there, with 0.2 ms more latency and about three times the cost.
///
/// Ratio: `init` sets the exact ratio of the two rates. `setRatio` accepts `adjustmentRange` around it and applies it
/// as a fraction of integers: output frames over a prime number of input frames, so the ratio in effect moves in
/// steps of `ratioStep` (about 15 ppm). Two limits of libspeexdsp 1.2.1 set that shape. On a new fraction it
/// rescales its phase to the new denominator in 32 bits: past 2³² for the old times the new denominator that
/// overflows, the call fails half way and the next `process` reads outside its filter (so denominators stay below
/// 2¹⁶). And the rescaling truncates to the reduced new denominator: a fraction that reduces far (1/1 on returning to
/// 48 → 48 kHz exactly) would move the signal back by up to a whole frame, a click. A prime numerator and a
/// denominator that is not a multiple of it never reduce, so a ratio change moves the phase by at most
/// 1/denominator of a frame (about 2·10⁻⁵).
///
/// Invariant: all memory is allocated in `init` (the filter is sized there for the longest one the adjustment range
/// needs) and freed in `deinit`; `process`, `setRatio` and `reset` allocate nothing and take no locks.
/// Thread: one thread at a time (typically the producer); not shared.
public struct SpeexResampler: ~Copyable, @unchecked Sendable {
    /// libspeexdsp's quality level: the filter length and table density grow with it, and so does the cost.
    public struct Quality: Sendable, Equatable {
        public let level: Int32

        /// Levels 0 (cheapest) ... 10 (best).
        public init(level: Int) throws(SpeexResamplerError) {
            guard (0...10).contains(level) else {
                throw .invalidSetting(name: "quality", value: "\(level)", allowed: "0 ... 10")
            }
            self.level = Int32(level)
        }

        private init(checked level: Int32) { self.level = level }

        /// Level 5: 80 taps; −0.85 dB at 20 kHz from 44.1 kHz, THD+N about −112 dB.
        public static let standard = Quality(checked: 5)
        /// Level 10: 256 taps, THD+N below −129 dB, about four times the cost of `standard`.
        public static let best = Quality(checked: 10)
    }

    /// Output frames per input frame accepted by `init` (0.51: 94 → 48 kHz; 8: 6 → 48 kHz). Below 0.51 an
    /// adjustment could halve libspeexdsp's table density and change the filter's size after `init`.
    public static var ratioRange: ClosedRange<Double> { 0.51...8 }
    /// How far `setRatio` may move the ratio, relative to the ratio of `init` (±1 %, five times the ±2000 ppm a
    /// drift loop needs).
    public static var adjustmentRange: ClosedRange<Double> { 0.99...1.01 }

    public let channels: Int
    public let inputRate: Int
    public let outputRate: Int
    /// The smallest ratio change `setRatio` can make, relative to the ratio.
    public let ratioStep: Double

    private let state: OpaquePointer
    /// The fraction in effect: `ratio = denominator / numerator` (output frames per input frame). At `init` the
    /// nominal ratio in lowest terms; from the first `setRatio` on, `prime` over the nearest denominator.
    private var numerator: UInt32
    private var denominator: UInt32
    /// The input side of every fraction `setRatio` sets.
    private let prime: UInt32
    private let nominalRatio: Double
    /// `filterFrames` of silence and room for its output: `reset` pushes it through (see there).
    private let silence: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchFrames: Int
    private let filterFrames: Int

    /// Allocates the resampler for `inputRate → outputRate` (Hz, their ratio within `ratioRange`).
    public init(channels: Int, inputRate: Int, outputRate: Int, quality: Quality = .standard)
        throws(SpeexResamplerError)
    {
        guard (1...8).contains(channels) else {
            throw .invalidSetting(name: "channels", value: "\(channels)", allowed: "1 ... 8")
        }
        guard (1...768_000).contains(inputRate), (1...768_000).contains(outputRate),
            Self.ratioRange.contains(Double(outputRate) / Double(inputRate))
        else {
            throw .invalidSetting(
                name: "outputRate / inputRate", value: "\(outputRate) / \(inputRate)",
                allowed: "0.51 ... 8, rates 1 ... 768000 Hz")
        }
        let nominalRatio = Double(outputRate) / Double(inputRate)
        // The largest prime whose denominators over the whole adjustment range stay below 2^16 (and itself too).
        let prime = Self.largestPrime(
            atMost: min(65_521, Int(Double(UInt16.max - 1) / (nominalRatio * Self.adjustmentRange.upperBound))))
        // The rates' ratio exactly where its lowest terms fit in 16 bits (they do for every common rate pair),
        // otherwise the nearest fraction over the prime.
        let divisor = Self.greatestCommonDivisor(inputRate, outputRate)
        var numerator = UInt32(inputRate / divisor)
        var nominalDenominator = UInt32(outputRate / divisor)
        if numerator > UInt32(UInt16.max) || nominalDenominator > UInt32(UInt16.max) {
            numerator = UInt32(prime)
            nominalDenominator = UInt32(Double(prime) * nominalRatio + 0.5)
            if nominalDenominator % numerator == 0 { nominalDenominator += 1 }
        }
        var status: Int32 = 0
        guard
            let state = speex_resampler_init_frac(
                UInt32(channels), numerator, nominalDenominator, UInt32(inputRate), UInt32(outputRate), quality.level,
                &status),
            status == Int32(RESAMPLER_ERR_SUCCESS)
        else { throw .library(status: status, operation: "speex_resampler_init_frac") }
        // The longest filter of the range is at its lowest ratio (downsampling lengthens it in proportion): size
        // the filter and its memory for it once, then go back. libspeexdsp only ever grows them.
        let lowest = UInt32((Double(prime) * nominalRatio * Self.adjustmentRange.lowerBound).rounded(.down))
        var filterFrames = 0
        for (input, output) in [(UInt32(prime), lowest), (numerator, nominalDenominator)] {
            let set = speex_resampler_set_rate_frac(state, input, output, UInt32(inputRate), UInt32(outputRate))
            guard set == Int32(RESAMPLER_ERR_SUCCESS) else {
                speex_resampler_destroy(state)
                throw .library(status: set, operation: "speex_resampler_set_rate_frac")
            }
            // `reset` pushes the longest filter's length of silence through.
            filterFrames = max(filterFrames, Int(speex_resampler_get_input_latency(state)) * 2 + 8)
        }
        let scratchFrames = Int(Double(filterFrames) * Double(outputRate) / Double(inputRate) * 1.02) + 16
        self.state = state
        self.channels = channels
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.numerator = numerator
        denominator = nominalDenominator
        self.prime = UInt32(prime)
        self.nominalRatio = nominalRatio
        ratioStep = 1 / (Double(prime) * nominalRatio)
        self.filterFrames = filterFrames
        self.scratchFrames = scratchFrames
        silence = .allocate(capacity: filterFrames * channels)
        silence.initialize(repeating: 0, count: filterFrames * channels)
        scratch = .allocate(capacity: scratchFrames * channels)
        scratch.initialize(repeating: 0, count: scratchFrames * channels)
    }

    deinit {
        speex_resampler_destroy(state)
        silence.deallocate()
        scratch.deallocate()
    }

    /// Output frames per input frame in effect: the rates' ratio until the first `setRatio`, then the last one set,
    /// rounded to the nearest step.
    public var ratio: Double { Double(denominator) / Double(numerator) }

    /// The filter's delay in input frames: output describes the input this long ago.
    public var latencyFrames: Int { Int(LibSpeexDSP.inputLatency(state)) }

    /// Sets the ratio (output frames per input frame) from the next output frame on, rounded to the nearest step;
    /// `ratio` must lie within `adjustmentRange` times the ratio of `init` (the caller's control loop clamps it).
    /// The phase carries over, so the signal continues without a discontinuity. Setting the ratio in effect again
    /// costs nothing; a new step recomputes libspeexdsp's filter table (tens of µs).
    @_noLocks
    public mutating func setRatio(_ ratio: Double) {
        let relative = ratio / nominalRatio
        precondition(
            relative >= Self.adjustmentRange.lowerBound && relative <= Self.adjustmentRange.upperBound,
            "SpeexResampler.setRatio outside ±1 % of the initial ratio")
        var wanted = UInt32(Double(prime) * ratio + 0.5)
        // A multiple of the prime would reduce (to 1/1 at ratio 1); the next step up stays irreducible.
        if wanted % prime == 0 { wanted += 1 }
        guard wanted != denominator || numerator != prime else { return }
        numerator = prime
        denominator = wanted
        let status = LibSpeexDSP.setRateFraction(
            state, prime, wanted, UInt32(truncatingIfNeeded: inputRate), UInt32(truncatingIfNeeded: outputRate))
        precondition(status == 0, "speex_resampler_set_rate_frac failed inside its sized range")
    }

    /// Forgets all history, as if freshly created (the ratio stays).
    ///
    /// libspeexdsp 1.2.1's `reset_mem` clears only the first channel's filter memory fully, so a filter's length of
    /// silence is pushed through first: that shifts every channel's memory to zeros.
    @_noLocks
    public mutating func reset() {
        var inputFrames = UInt32(truncatingIfNeeded: filterFrames)
        var outputFrames = UInt32(truncatingIfNeeded: scratchFrames)
        _ = LibSpeexDSP.processInterleaved(state, silence, &inputFrames, scratch, &outputFrames)
        LibSpeexDSP.resetMemory(state)
    }

    /// Converts up to `inputFrames` interleaved frames at `input` into at most `outputCapacity` interleaved frames
    /// at `output`. Returns how many input frames were taken (all of them unless the output filled up; offer the
    /// rest again) and how many output frames were written.
    @_noLocks
    public mutating func process(
        input: UnsafePointer<Float>, inputFrames: Int, output: UnsafeMutablePointer<Float>, outputCapacity: Int
    ) -> (consumed: Int, produced: Int) {
        var consumed = UInt32(truncatingIfNeeded: inputFrames)
        var produced = UInt32(truncatingIfNeeded: outputCapacity)
        _ = LibSpeexDSP.processInterleaved(state, input, &consumed, output, &produced)
        return (Int(consumed), Int(produced))
    }

    private static func largestPrime(atMost limit: Int) -> Int {
        var candidate = limit
        while candidate > 2 {
            var divisor = 2
            while divisor * divisor <= candidate && candidate % divisor != 0 { divisor += 1 }
            if divisor * divisor > candidate { return candidate }
            candidate -= 1
        }
        return 2
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
