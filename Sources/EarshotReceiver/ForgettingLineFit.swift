/// A least-squares line through samples `(t, y)` whose weights fall by `e^(−age / windowSeconds)`: the slope of a
/// noisy signal over about the last `windowSeconds`, updated in O(1) per sample with no storage.
///
/// The sums are kept relative to the last sample (its time and value are the origin), so that hours of samples and a
/// value that has drifted by seconds lose no precision. Before the samples span `minimumSpanSeconds` the slope is nil.
///
/// Invariant: no allocation, no locks (only arithmetic on its fields). Thread: one at a time.
struct ForgettingLineFit {
    let windowSeconds: Double
    let minimumSpanSeconds: Double

    private var weightSum = 0.0
    private var timeSum = 0.0
    private var timeSquaredSum = 0.0
    private var valueSum = 0.0
    private var timeValueSum = 0.0
    private var lastNanos: Int64 = 0
    private var lastValue = 0.0
    private var firstNanos: Int64 = 0
    private var hasSamples = false

    init(windowSeconds: Double, minimumSpanSeconds: Double) {
        self.windowSeconds = windowSeconds
        self.minimumSpanSeconds = minimumSpanSeconds
    }

    /// Forgets every sample.
    @_noAllocation
    mutating func reset() {
        weightSum = 0
        timeSum = 0
        timeSquaredSum = 0
        valueSum = 0
        timeValueSum = 0
        hasSamples = false
    }

    /// Adds `value` at `nanos` (not earlier than the previous sample's).
    @_noAllocation
    mutating func add(nanos: Int64, value: Double) {
        if !hasSamples {
            hasSamples = true
            firstNanos = nanos
            lastNanos = nanos
            lastValue = value
        }
        // Move the origin to this sample (t' = t − dt, y' = y − dy), then forget by the time elapsed.
        let dt = Double(nanos - lastNanos) * 1e-9
        let dy = value - lastValue
        timeSquaredSum += -2 * dt * timeSum + dt * dt * weightSum
        timeValueSum += -dt * valueSum - dy * timeSum + dt * dy * weightSum
        timeSum -= dt * weightSum
        valueSum -= dy * weightSum
        let forget = PlayoutDelayEstimator.exponentialDecay(dt / windowSeconds)
        weightSum = weightSum * forget + 1
        timeSum *= forget
        timeSquaredSum *= forget
        valueSum *= forget
        timeValueSum *= forget
        lastNanos = nanos
        lastValue = value
    }

    /// The weighted least-squares slope in value units per second; nil until the samples span `minimumSpanSeconds`.
    var slopePerSecond: Double? {
        @_noAllocation get { slope }
    }

    /// The line's value at the last sample's time (the samples' noise averaged out); nil while `slopePerSecond` is.
    var valueNow: Double? {
        @_noAllocation get {
            guard let slope else { return nil }
            // The origin is the last sample: the line's value there is its intercept, relative to the last value.
            return lastValue + (valueSum - slope * timeSum) / weightSum
        }
    }

    /// Seconds from the first sample to the last (0 without samples).
    var spanSeconds: Double {
        @_noAllocation get { hasSamples ? Double(lastNanos - firstNanos) * 1e-9 : 0 }
    }

    /// The line's value at `nanos` (not earlier than the last sample's); while it has no slope yet, the samples'
    /// weighted mean. Nil without samples.
    @_noAllocation
    func value(atNanos nanos: Int64) -> Double? {
        guard hasSamples else { return nil }
        guard let slope, let valueNow else { return lastValue + valueSum / weightSum }
        return valueNow + slope * Double(nanos - lastNanos) * 1e-9
    }

    private var slope: Double? {
        guard hasSamples, Double(lastNanos - firstNanos) * 1e-9 >= minimumSpanSeconds else { return nil }
        let spread = weightSum * timeSquaredSum - timeSum * timeSum
        guard spread > 1e-12 else { return nil }
        return (weightSum * timeValueSum - timeSum * valueSum) / spread
    }
}
