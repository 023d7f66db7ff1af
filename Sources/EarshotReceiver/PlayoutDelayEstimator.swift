/// Estimates how much playout delay the network needs, in the spirit of WebRTC NetEq's delay manager.
///
/// Per arrival it computes the *relative delay*: how much later this packet arrived than the fastest packet in a
/// sliding window (`windowSeconds`) would predict from its RTP timestamp (48 kHz). The target delay is a high
/// quantile (`quantile`, 0.97 by default) of relative delay in an exponentially forgetting histogram, plus a margin,
/// clamped to `[minimumMs, maximumMs]`. A peak detector raises the target immediately when a single packet arrives
/// later than the current target (a quantile alone would need several late packets), holds it for
/// `peakHoldSeconds` and then lets it decay with the same time constant as the histogram (`decaySeconds`), so the
/// target rises at once and falls over several seconds.
///
/// It also measures the *current* playout delay of a frame: how long after the fastest possible arrival of that
/// frame it is being played. The jitter buffer steers this toward the target.
///
/// Clock drift tilts the arrival line: from a sender slower than the receiver's clock, every packet arrives a little
/// later than the one before would predict, and the fastest packet of the window, up to `windowSeconds` old, would
/// stand for a line that far in the past (2 ms at −1000 ppm): relative delays would read that much high and playout
/// that much early. So the fastest packet is projected to now along the arrival line's slope (a least-squares line of
/// transit times over `slopeWindowSeconds`), where that slope makes old packets late; a fast sender's newest packets
/// are its fastest anyway.
///
/// Invariant: all storage (histogram, window ring) is allocated in `init` and never grows; `recordArrival` and the
/// queries allocate nothing. Not thread-safe: only the producer thread calls it.
public struct PlayoutDelayEstimator: ~Copyable {
    /// Fixed playout delay (`--latency MS`) or automatic adaptation within bounds (`--latency auto`).
    public enum Mode: Equatable, Sendable {
        case fixed(milliseconds: Double)
        case automatic(minimumMs: Double, maximumMs: Double)
    }

    public struct Configuration: Sendable {
        public var mode: Mode
        /// Fraction of packets the target delay should cover (NetEq uses 0.95–0.97).
        public var quantile: Double
        /// Added to the quantile: covers measurement granularity and scheduling noise on the receiver.
        public var marginMs: Double
        /// Time constant of the histogram's forgetting and of the peak's decay.
        public var decaySeconds: Double
        /// How long a peak keeps the target up before it starts to decay.
        public var peakHoldSeconds: Double
        /// How far back the "fastest packet" reference reaches; long enough to see a fast packet, short enough to
        /// follow clock drift between sender and receiver.
        public var windowSeconds: Double
        /// Upper bound on packets remembered in the window (2 s of 2.5 ms frames is 800).
        public var windowCapacity: Int
        /// Time constant of the arrival line's fit (the transit times' slope against arrival time: clock drift).
        public var slopeWindowSeconds: Double
        /// Histogram resolution.
        public var bucketMs: Double
        /// Target before any jitter has been measured; enters as a peak, so it decays like one.
        public var initialTargetMs: Double
        /// How much later than its turn a frame may still arrive and play, because the receiver waits for a missing
        /// frame while its output queue has room to spare (see `PlayoutController.concealFloorFrames`): the target
        /// covers the quantile and margin less this, never below the minimum. 0 for a caller that conceals at once.
        public var lateAllowanceMs: Double
        /// A scheduled playout (`--sync-latency`): the delay is measured from each frame's capture instant
        /// (`captureTimeline`), not from its fastest possible arrival, and there is none until a timeline is set.
        public var measuresFromCapture = false

        public init(
            mode: Mode = .automatic(minimumMs: 2, maximumMs: 500),
            quantile: Double = 0.97,
            marginMs: Double = 1,
            decaySeconds: Double = 2,
            peakHoldSeconds: Double = 2,
            windowSeconds: Double = 2,
            windowCapacity: Int = 1024,
            slopeWindowSeconds: Double = 10,
            bucketMs: Double = 1,
            initialTargetMs: Double = 20,
            lateAllowanceMs: Double = 0
        ) {
            self.mode = mode
            self.quantile = quantile
            self.marginMs = marginMs
            self.decaySeconds = decaySeconds
            self.peakHoldSeconds = peakHoldSeconds
            self.windowSeconds = windowSeconds
            self.windowCapacity = windowCapacity
            self.slopeWindowSeconds = slopeWindowSeconds
            self.bucketMs = bucketMs
            self.initialTargetMs = initialTargetMs
            self.lateAllowanceMs = lateAllowanceMs
        }
    }

    private struct WindowEntry {
        var transitNanos: Int64
        var arrivalNanos: UInt64
    }

    public let configuration: Configuration
    private let minimumMs: Double
    private let maximumMs: Double
    private let histogram: UnsafeMutablePointer<Double>
    private let bucketCount: Int
    private var histogramTotal: Double = 0
    /// Monotonic deque (increasing transit) over the window: its front is the fastest packet.
    private let window: UnsafeMutablePointer<WindowEntry>
    private let windowMask: Int
    private var windowHead = 0
    private var windowCount = 0

    private var hasReference = false
    private var referenceArrivalNanos: UInt64 = 0
    private var referenceTimestamp: Int64 = 0
    private var lastArrivalNanos: UInt64 = 0
    private var lastTransitNanos: Int64 = 0
    private var interarrivalJitterNanos: Double = 0
    private var peakMs: Double = 0
    private var peakHoldUntilNanos: UInt64 = 0
    private var quantileMs: Double = 0
    /// Transit (ms) against arrival time: its slope is the sender's clock against the receiver's.
    private var arrivalLine: ForgettingLineFit
    /// The slope the fastest packet is projected along: the arrival line's, where it makes packets later (0 before
    /// the line spans a second), at most the ±2000 ppm a drift can be. Nanoseconds per nanosecond.
    private var projectionSlope = 0.0
    /// The fastest packet's transit projected to `lastArrivalNanos`.
    private var projectedFastestNanos: Int64 = 0

    /// Capture instants of the stream's media timestamps, with `measuresFromCapture`; forgotten by `reset`.
    public var captureTimeline: CaptureTimeline?

    /// The delay the jitter buffer should hold, in ms.
    public private(set) var targetDelayMs: Double
    /// The most recent packet's relative delay, in ms.
    public private(set) var lastRelativeDelayMs: Double = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        switch configuration.mode {
        case .fixed(let milliseconds):
            minimumMs = max(0, milliseconds)
            maximumMs = max(0, milliseconds)
        case .automatic(let minimum, let maximum):
            minimumMs = max(0, minimum)
            maximumMs = max(max(0, minimum), maximum)
        }
        let bucketMs = configuration.bucketMs > 0 ? configuration.bucketMs : 1
        bucketCount = Int((maximumMs / bucketMs).rounded(.up)) + 2
        histogram = .allocate(capacity: bucketCount)
        histogram.initialize(repeating: 0, count: bucketCount)
        var capacity = 1
        while capacity < max(2, configuration.windowCapacity) { capacity <<= 1 }
        window = .allocate(capacity: capacity)
        window.initialize(repeating: WindowEntry(transitNanos: 0, arrivalNanos: 0), count: capacity)
        windowMask = capacity - 1
        targetDelayMs = 0
        arrivalLine = ForgettingLineFit(windowSeconds: max(1, configuration.slopeWindowSeconds), minimumSpanSeconds: 1)
        targetDelayMs = clamped(configuration.initialTargetMs)
    }

    deinit {
        histogram.deallocate()
        window.deallocate()
    }

    /// Forgets everything (sender restart): the next arrival becomes the new reference.
    @_noAllocation
    public mutating func reset() {
        for index in 0..<bucketCount { histogram[index] = 0 }
        histogramTotal = 0
        windowHead = 0
        windowCount = 0
        hasReference = false
        interarrivalJitterNanos = 0
        peakMs = 0
        peakHoldUntilNanos = 0
        quantileMs = 0
        lastRelativeDelayMs = 0
        arrivalLine.reset()
        projectionSlope = 0
        targetDelayMs = clamped(configuration.initialTargetMs)
        captureTimeline = nil
    }

    /// RFC 3550 interarrival jitter (A.8), in ms: the number RTCP reports and WebRTC calls `jitter`.
    public var jitterMs: Double { interarrivalJitterNanos / 1e6 }

    /// Records one packet's arrival. Call it for every packet that is stored or arrives late (late packets are the
    /// ones the target must grow to cover); not for duplicates.
    @_noAllocation
    public mutating func recordArrival(timestamp: Int64, arrivalNanos: UInt64) {
        if !hasReference {
            hasReference = true
            referenceArrivalNanos = arrivalNanos
            referenceTimestamp = timestamp
            lastArrivalNanos = arrivalNanos
            lastTransitNanos = 0
            peakMs = configuration.initialTargetMs
            peakHoldUntilNanos = arrivalNanos &+ Self.nanos(seconds: configuration.peakHoldSeconds)
        }
        let transit = transitNanos(timestamp: timestamp, arrivalNanos: arrivalNanos)

        let difference = transit - lastTransitNanos
        interarrivalJitterNanos += (Double(difference.magnitude) - interarrivalJitterNanos) / 16
        lastTransitNanos = transit

        // Forgetting by elapsed arrival time, not per packet, so the decay speed does not depend on frame size.
        let elapsedNanos = arrivalNanos >= lastArrivalNanos ? arrivalNanos - lastArrivalNanos : 0
        lastArrivalNanos = max(lastArrivalNanos, arrivalNanos)

        if arrivalNanos == lastArrivalNanos {
            arrivalLine.add(
                nanos: Int64(bitPattern: arrivalNanos &- referenceArrivalNanos), value: Double(transit) * 1e-6)
            projectionSlope = min(Self.maximumProjectionSlope, max(0, (arrivalLine.slopePerSecond ?? 0) * 1e-3))
        }
        pushIntoWindow(transit: transit, arrivalNanos: arrivalNanos)
        projectedFastestNanos = projectedFastest(toArrival: lastArrivalNanos)
        let relativeMs = Double(transit - projectedFastestNanos) / 1e6
        lastRelativeDelayMs = relativeMs

        let forget = configuration.decaySeconds > 0
            ? Self.exponentialDecay(Double(elapsedNanos) / 1e9 / configuration.decaySeconds) : 0
        addToHistogram(relativeMs: relativeMs, forget: forget)

        if relativeMs > peakMs {
            peakMs = relativeMs
            peakHoldUntilNanos = arrivalNanos &+ Self.nanos(seconds: configuration.peakHoldSeconds)
        } else if arrivalNanos > peakHoldUntilNanos {
            peakMs *= forget
        }
        targetDelayMs = clamped(max(quantileMs, peakMs) + configuration.marginMs - configuration.lateAllowanceMs)
    }

    /// How long after its fastest possible arrival a frame with `timestamp` is played if played at `nowNanos`, in
    /// ms; nil before the first arrival. With `measuresFromCapture`: how long after its capture, nil without a
    /// `captureTimeline`.
    @_noAllocation
    public func playoutDelayMs(timestamp: Int64, nowNanos: UInt64) -> Double? {
        if configuration.measuresFromCapture {
            // Since its capture instead (see `measuresFromCapture`).
            guard let capture = captureTimeline else { return nil }
            let sinceAnchorNanos = Double(timestamp - capture.timestamp) * capture.nanosecondsPerSample
            return (Double(Int64(bitPattern: nowNanos) - capture.nanoseconds) - sinceAnchorNanos) / 1e6
        }
        guard hasReference, windowCount > 0 else { return nil }
        let sinceLastArrival = Double(Int64(bitPattern: nowNanos &- lastArrivalNanos))
        let fastestTransit = projectedFastestNanos + Int64(projectionSlope * sinceLastArrival)
        let now = Int64(bitPattern: nowNanos &- referenceArrivalNanos)
        let earliestArrival = fastestTransit + Self.nanos(samples: timestamp - referenceTimestamp)
        return Double(now - earliestArrival) / 1e6
    }

    // MARK: - Internals

    /// Arrival minus media time, relative to the first packet. Only differences matter.
    private func transitNanos(timestamp: Int64, arrivalNanos: UInt64) -> Int64 {
        Int64(bitPattern: arrivalNanos &- referenceArrivalNanos) - Self.nanos(samples: timestamp - referenceTimestamp)
    }

    /// 1e9 / 48000 = 62500 / 3: exact, and overflows only after ~97 years of samples.
    private static func nanos(samples: Int64) -> Int64 { samples * 62_500 / 3 }

    private static func nanos(seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    /// The most a clock drift tilts the arrival line: 2000 ppm.
    static let maximumProjectionSlope = 0.002

    /// The lowest transit of the window's packets projected to `arrival` along `projectionSlope`. The deque holds
    /// every packet no later one undercuts, and a packet undercut by a later one stays undercut when both are
    /// projected along a slope that makes older packets later: the lowest projection is among them.
    private func projectedFastest(toArrival arrival: UInt64) -> Int64 {
        var fastest = Int64.max
        var offset = 0
        while offset < windowCount {
            let entry = window[(windowHead + offset) & windowMask]
            let age = Double(Int64(bitPattern: arrival &- entry.arrivalNanos))
            let projected = entry.transitNanos + Int64(projectionSlope * age)
            if projected < fastest { fastest = projected }
            offset += 1
            // Without a tilt the front is the lowest.
            if projectionSlope == 0 { break }
        }
        return fastest
    }

    /// Pushes one transit time into the window (a monotonic deque: its front is the fastest packet).
    private mutating func pushIntoWindow(transit: Int64, arrivalNanos: UInt64) {
        let windowNanos = Self.nanos(seconds: configuration.windowSeconds)
        while windowCount > 0, arrivalNanos &- window[windowHead].arrivalNanos > windowNanos,
            window[windowHead].arrivalNanos <= arrivalNanos
        {
            windowHead = (windowHead + 1) & windowMask
            windowCount -= 1
        }
        while windowCount > 0, window[(windowHead + windowCount - 1) & windowMask].transitNanos >= transit {
            windowCount -= 1
        }
        if windowCount == windowMask + 1 {
            // Full of strictly increasing transits: the oldest (the minimum) goes first, as time would evict it.
            windowHead = (windowHead + 1) & windowMask
            windowCount -= 1
        }
        window[(windowHead + windowCount) & windowMask] = WindowEntry(transitNanos: transit, arrivalNanos: arrivalNanos)
        windowCount += 1
    }

    private mutating func addToHistogram(relativeMs: Double, forget: Double) {
        // A local copy of the pointer: Swift 6.3.1 under `-sanitize=thread` emits broken IR ("Invalid bitcast") for
        // a compound assignment (`+=`, `*=`) through a stored pointer's subscript in a mutating method of a
        // `~Copyable` struct; through a local `let` it compiles.
        let histogram = self.histogram
        let bucketMs = configuration.bucketMs > 0 ? configuration.bucketMs : 1
        let bucket = min(bucketCount - 1, max(0, Int(relativeMs / bucketMs)))
        for index in 0..<bucketCount { histogram[index] *= forget }
        histogram[bucket] += 1
        histogramTotal = histogramTotal * forget + 1

        let wanted = configuration.quantile * histogramTotal
        var accumulated = 0.0
        var index = 0
        while index < bucketCount - 1 {
            accumulated += histogram[index]
            if accumulated >= wanted { break }
            index += 1
        }
        // Upper edge of the bucket: covering the quantile, not undershooting it.
        quantileMs = Double(index + 1) * bucketMs
    }

    /// e^-x without libm (the compile-time allocation check cannot see into C): Taylor series on x / 2^k, then k
    /// squarings. Relative error below 1e-7 for the x this sees.
    @_noAllocation
    static func exponentialDecay(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        guard x < 700 else { return 0 }
        var reduced = x
        var squarings = 0
        while reduced > 0.01 {
            reduced *= 0.5
            squarings += 1
        }
        let r = reduced
        var result = 1 / (1 + r + r * r / 2 + r * r * r / 6 + r * r * r * r / 24)
        while squarings > 0 {
            result *= result
            squarings -= 1
        }
        return result
    }

    private func clamped(_ milliseconds: Double) -> Double {
        min(maximumMs, max(minimumMs, milliseconds))
    }
}
