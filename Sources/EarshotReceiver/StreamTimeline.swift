/// The locked stream's media timeline: extends 16-bit sequence numbers and 32-bit timestamps, judges every packet's
/// plausibility against its sequence number, its timestamp and its arrival time, and gives the jitter buffer a media
/// timestamp that follows the sequence numbers.
///
/// Continuity follows sequence numbers: a packet whose timestamp step from the highest packet differs from its
/// sequence step times its frame size by at most `continuityToleranceMs` is in line, and its media timestamp is the
/// highest one's plus whole frames (capture-clock jitter of live senders is not a gap). A larger forward step (DTX, a
/// paused source) is a real gap and keeps its length. The tolerance is GStreamer's audio sink's `alignment-threshold`
/// (40 ms), the peer most senders are tried against.
///
/// Plausibility: a packet's *arrival delay* is its transit (arrival minus media time) above the fastest transit seen
/// (a baseline that follows the fastest packets and relaxes upward by `baselineRelaxationPerSecondMs` for clock
/// drift). A packet within `nearPackets` ahead of the highest and in line is the sender going on and is accepted
/// (only a delay beyond `maxLatencyMs` drops it). Anything else, a sequence jump or a timestamp gap, must agree with
/// its arrival: a delay between −tolerance and `maxLatencyMs`. Packets that fail are dropped and counted by reason,
/// never fed to the estimator. A new line (sender restart, path change) is taken only after `reanchorRun`
/// consecutive rejected packets that agree with each other in sequence, timestamp and transit (`.reanchored`): no
/// single packet, nor a short burst, can flush, resync or move the target.
///
/// Invariants: no storage; `judge` allocates nothing. Producer thread only.
public struct StreamTimeline: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var continuityToleranceMs: Double
        /// Arrival delays beyond this are not played: the receiver's `--max-latency` (or its fixed latency).
        public var maxLatencyMs: Double
        /// Consecutive, mutually consistent rejected packets that establish a new line.
        public var reanchorRun: Int
        /// In-line packets this close ahead of the highest are the sender going on, whatever their arrival.
        public var nearPackets: Int64
        /// Packets further behind the highest than this are too old to place (RFC 3550's MAX_MISORDER).
        public var maxMisorder: Int64
        /// How fast the arrival baseline may rise: covers ±2000 ppm of clock drift and slow path changes.
        public var baselineRelaxationPerSecondMs: Double

        public init(
            continuityToleranceMs: Double = 40, maxLatencyMs: Double = 200, reanchorRun: Int = 5,
            nearPackets: Int64 = 16, maxMisorder: Int64 = 100, baselineRelaxationPerSecondMs: Double = 2
        ) {
            self.continuityToleranceMs = continuityToleranceMs
            self.maxLatencyMs = maxLatencyMs
            self.reanchorRun = reanchorRun
            self.nearPackets = nearPackets
            self.maxMisorder = maxMisorder
            self.baselineRelaxationPerSecondMs = baselineRelaxationPerSecondMs
        }
    }

    /// Why a packet of the locked source was not placed on the timeline. Stat names are stable.
    public enum Rejection: CaseIterable, Sendable, Hashable {
        /// A sequence jump whose timestamp or arrival does not agree with it.
        case sequenceImplausible
        /// A timestamp that disagrees with its sequence number by more than the tolerance, and not as a gap its
        /// arrival confirms.
        case timestampImplausible
        /// Its arrival implies a delay beyond the maximum latency.
        case arrivalBeyondMaxLatency
        /// Further behind the highest packet than `maxMisorder`.
        case tooOld

        public var statName: String {
            switch self {
            case .sequenceImplausible: "rtp_implausible_sequence"
            case .timestampImplausible: "rtp_implausible_timestamp"
            case .arrivalBeyondMaxLatency: "rtp_beyond_max_latency"
            case .tooOld: "rtp_too_old"
            }
        }

        /// Index in `allCases`, for counters kept in a fixed array.
        public var counterIndex: Int {
            switch self {
            case .sequenceImplausible: 0
            case .timestampImplausible: 1
            case .arrivalBeyondMaxLatency: 2
            case .tooOld: 3
            }
        }
    }

    public enum Verdict: Equatable, Sendable {
        /// Place it: extended sequence number and media timestamp (48 kHz samples). `reanchored`: a new line starts
        /// here; what was buffered belongs to the old one (flush it and re-anchor the estimator).
        case accept(sequence: Int64, mediaTimestamp: Int64, reanchored: Bool)
        case reject(Rejection)
    }

    public let configuration: Configuration
    private let toleranceSamples: Int64
    private let toleranceNanos: Int64
    private let maxLatencyNanos: Int64

    private var started = false
    private var highestSequence: Int64 = 0
    private var highestTimestamp: Int64 = 0
    private var highestMediaTimestamp: Int64 = 0
    private var highestFrameSamples: Int64 = 0
    /// Arrival and timestamp origin: transits are relative to the first packet.
    private var originArrivalNanos: UInt64 = 0
    private var baselineTransitNanos: Int64 = 0
    private var lastAcceptedArrivalNanos: UInt64 = 0

    private var runLength = 0
    private var runSequence: UInt16 = 0
    private var runTimestamp: UInt32 = 0
    private var runTransitNanos: Int64 = 0
    private var runFrameSamples = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        toleranceSamples = Int64(configuration.continuityToleranceMs * 48)
        toleranceNanos = Int64(configuration.continuityToleranceMs * 1e6)
        maxLatencyNanos = Int64(configuration.maxLatencyMs * 1e6)
    }

    /// Forgets the stream (a new source): the next packet starts a line.
    public mutating func reset() {
        started = false
        runLength = 0
    }

    /// Judges one packet of the locked source. `frameSamples` is its duration from the Opus TOC (48 kHz);
    /// `arrivalNanos` a monotonic receive time.
    public mutating func judge(
        sequence: UInt16, timestamp: UInt32, frameSamples: Int, arrivalNanos: UInt64
    ) -> Verdict {
        guard started else {
            start(sequence: sequence, timestamp: timestamp, arrivalNanos: arrivalNanos)
            highestFrameSamples = Int64(frameSamples)
            return .accept(sequence: highestSequence, mediaTimestamp: highestMediaTimestamp, reanchored: false)
        }
        let frame = Int64(frameSamples)
        let sequenceStep = Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highestSequence)))
        let timestampStep = Int64(Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: highestTimestamp)))
        let extendedTimestamp = highestTimestamp + timestampStep
        let transit = transitNanos(timestamp: extendedTimestamp, arrivalNanos: arrivalNanos)
        let delay = transit - baselineTransitNanos
        // Media time from the highest packet: its own duration, then this packet's for every step after it.
        let expectedStep = sequenceStep > 0 ? highestFrameSamples + (sequenceStep - 1) * frame : sequenceStep * frame
        let lineError = timestampStep - expectedStep
        let inLine = abs(lineError) <= toleranceSamples

        let arrivalAgrees = delay >= -toleranceNanos && delay <= maxLatencyNanos
        let rejection: Rejection?
        if sequenceStep <= 0 {
            rejection = -sequenceStep > configuration.maxMisorder ? .tooOld
                : !inLine ? .timestampImplausible
                : delay > maxLatencyNanos ? .arrivalBeyondMaxLatency : nil
        } else if inLine && sequenceStep <= configuration.nearPackets {
            rejection = delay > maxLatencyNanos ? .arrivalBeyondMaxLatency : nil
        } else if inLine {
            rejection = arrivalAgrees ? nil : .sequenceImplausible
        } else if lineError > 0 {
            // The timestamp moved further than the sequence: a gap (DTX, pause) if the arrival agrees.
            rejection = arrivalAgrees ? nil : .timestampImplausible
        } else {
            rejection = .timestampImplausible
        }
        if let rejection {
            return considerReanchor(
                rejection, sequence: sequence, timestamp: timestamp, frameSamples: frameSamples, transit: transit,
                arrivalNanos: arrivalNanos, sequenceStep: sequenceStep, timestampStep: timestampStep)
        }
        runLength = 0
        guard sequenceStep > 0 else {
            // Reordered or duplicate: placed on the line, the highest stays.
            return .accept(
                sequence: highestSequence + sequenceStep, mediaTimestamp: highestMediaTimestamp + expectedStep,
                reanchored: false)
        }
        highestSequence += sequenceStep
        highestMediaTimestamp += inLine ? expectedStep : timestampStep
        highestTimestamp = extendedTimestamp
        highestFrameSamples = frame
        follow(transit: transit, arrivalNanos: arrivalNanos)
        return .accept(sequence: highestSequence, mediaTimestamp: highestMediaTimestamp, reanchored: false)
    }

    // MARK: - Internals

    private mutating func start(sequence: UInt16, timestamp: UInt32, arrivalNanos: UInt64) {
        started = true
        runLength = 0
        // Offsets keep early reordering and the first wraps positive.
        highestSequence = Int64(sequence) + (1 << 16)
        highestTimestamp = Int64(timestamp) + (1 << 32)
        highestMediaTimestamp = highestTimestamp
        originArrivalNanos = arrivalNanos
        baselineTransitNanos = transitNanos(timestamp: highestTimestamp, arrivalNanos: arrivalNanos)
        lastAcceptedArrivalNanos = arrivalNanos
    }

    /// Arrival minus media time in ns, relative to the origin arrival (only differences matter).
    private func transitNanos(timestamp: Int64, arrivalNanos: UInt64) -> Int64 {
        Int64(bitPattern: arrivalNanos &- originArrivalNanos) - timestamp * 62_500 / 3
    }

    /// The baseline follows the fastest transit at once and rises at most at the relaxation rate.
    private mutating func follow(transit: Int64, arrivalNanos: UInt64) {
        if transit < baselineTransitNanos {
            baselineTransitNanos = transit
        } else {
            let elapsed = Double(Int64(bitPattern: arrivalNanos &- lastAcceptedArrivalNanos))
            let allowance = Int64(max(0, elapsed) * configuration.baselineRelaxationPerSecondMs / 1000)
            baselineTransitNanos += min(transit - baselineTransitNanos, allowance)
        }
        lastAcceptedArrivalNanos = arrivalNanos
    }

    /// Counts a rejected packet into the run of consistent rejected packets; a long enough run starts a new line.
    private mutating func considerReanchor(
        _ rejection: Rejection, sequence: UInt16, timestamp: UInt32, frameSamples: Int, transit: Int64,
        arrivalNanos: UInt64, sequenceStep: Int64, timestampStep: Int64
    ) -> Verdict {
        let continuesRun = runLength > 0 && sequence == runSequence &+ 1
            && abs(Int64(Int32(bitPattern: timestamp &- runTimestamp)) - Int64(runFrameSamples)) <= toleranceSamples
            && abs(transit - runTransitNanos) <= toleranceNanos
        runLength = continuesRun ? runLength + 1 : 1
        runSequence = sequence
        runTimestamp = timestamp
        runTransitNanos = transit
        runFrameSamples = frameSamples
        guard runLength >= configuration.reanchorRun else { return .reject(rejection) }
        // A new line: the sequence continues from the extension (a jump of up to half the 16-bit range either way),
        // the media time from the old line plus a frame (what was buffered is flushed), the baseline from here.
        highestSequence += sequenceStep
        highestTimestamp += timestampStep
        highestMediaTimestamp += highestFrameSamples
        highestFrameSamples = Int64(frameSamples)
        baselineTransitNanos = transit
        lastAcceptedArrivalNanos = arrivalNanos
        runLength = 0
        return .accept(sequence: highestSequence, mediaTimestamp: highestMediaTimestamp, reanchored: true)
    }
}
