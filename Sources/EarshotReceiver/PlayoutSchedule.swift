/// A scheduled playout (`--sync-latency`): every frame is heard `syncLatencyMs` after the sender captured it, on
/// whichever box plays it, so that boxes fed one stream sound as one.
public struct PlayoutSchedule: Sendable, Equatable {
    /// Where the receiver learns the sender's clock from (`--clock`).
    public enum ClockSource: String, Sendable, CaseIterable {
        /// The sender's and the receiver's CLOCK_REALTIME agree (chrony, PTP): the SRs' NTP times are read through
        /// the receiver's own REALTIME − MONOTONIC offset.
        case system
        /// The receiver measures its offset and rate to the sender's clock itself (RTCP APP `ESYN` exchanges,
        /// `SenderClockEstimator`).
        case sender
    }

    /// `--sync-latency`: capture to sound, ms (all boxes of a group use one).
    public var syncLatencyMs: Double
    /// `--output-offset`: how much later than the device reports this box's sound is heard (DAC, amplifier,
    /// speaker distance), ms; the box plays that much earlier.
    public var outputOffsetMs: Double
    /// `--clock`.
    public var clock: ClockSource
    /// Test only (hidden flags): the receiver's view of CLOCK_REALTIME is this far ahead ...
    public var systemClockOffsetMs: Double
    /// ... and runs this many ppm fast, as a box whose clock is not synchronised would.
    public var systemClockSkewPpm: Double

    public static let syncLatencyRange: ClosedRange<Double> = 10...2000
    public static let outputOffsetRange: ClosedRange<Double> = -500...500
    /// A box whose schedule error stays beyond this for `lostAfterSeconds` has lost sync (said once in the log, and
    /// in stats and /metrics as `syncLost`).
    public static let lostErrorMs = 1.0
    public static let lostAfterSeconds = 2.0

    public init(
        syncLatencyMs: Double, outputOffsetMs: Double = 0, clock: ClockSource = .system,
        systemClockOffsetMs: Double = 0, systemClockSkewPpm: Double = 0
    ) {
        self.syncLatencyMs = syncLatencyMs
        self.outputOffsetMs = outputOffsetMs
        self.clock = clock
        self.systemClockOffsetMs = systemClockOffsetMs
        self.systemClockSkewPpm = systemClockSkewPpm
    }

    public static func clockSource(parsing text: String) throws(ReceiverConfigurationError) -> ClockSource {
        guard let clock = ClockSource(rawValue: text.lowercased()) else {
            throw .malformed(flag: "--clock", value: text, expected: "system or sender")
        }
        return clock
    }
}
