/// A point-in-time snapshot of the receiver's statistics, for periodic printing and for tests.
///
/// Build it off the hot path (it may hold a dictionary): from a `ReceiverCounters` copy plus the figures that live
/// elsewhere (ALSA xruns from the playback side, malformed-packet reasons from RTP validation).
public struct ReceiverStats: Equatable, Sendable {
    public var packetsReceived: Int
    public var packetsLost: Int
    public var packetsLate: Int
    public var packetsDuplicated: Int
    public var packetsReordered: Int
    /// Malformed packets per reason (e.g. "version", "truncated", "payloadType"): counted by RTP validation.
    public var packetsMalformedByReason: [String: Int]
    public var packetsMalformed: Int { packetsMalformedByReason.values.reduce(0, +) }
    public var packetsTooLarge: Int
    public var packetsOutOfRange: Int
    public var resyncs: Int
    public var framesPlayed: Int
    public var concealedSamples: Int
    public var concealmentEvents: Int
    public var fecRecoveredFrames: Int
    public var insertedSamplesForDeceleration: Int
    public var removedSamplesForAcceleration: Int
    public var underruns: Int
    /// ALSA playback xruns, counted by the playback thread.
    public var xruns: Int
    /// RFC 3550 interarrival jitter. This and the two delays are the last stream's while none plays.
    public var jitterMs: Double
    /// Current playout delay held by the jitter buffer (see `JitterBuffer.currentDelayMs`).
    public var playoutDelayMs: Double
    public var targetDelayMs: Double
    /// Decoded audio queued ahead of the speaker, after the producer's last refill: the ring plus what the device
    /// buffer held at the playback thread's last wake (the ring alone when the caller drains it). NaN before the
    /// first publication.
    public var outputQueueMs = Double.nan
    /// The drift loop (`PlayoutDriftLoop`): the sender's clock against the device's as estimated, in ppm (positive:
    /// the sender runs fast); the resampler's ratio now (output frames per input frame); the smoothed playout delay
    /// minus the target, in ms. The last stream's while none plays.
    public var driftPpm = 0.0
    public var resampleRatio = 1.0
    public var delayErrorMs = 0.0
    /// A scheduled playout (`--sync-latency`): how far from its instants it plays, in ms (positive: late; NaN
    /// without a schedule or before it is measured), and whether it has lost sync (beyond 1 ms for 2 s).
    public var syncErrorMs = Double.nan
    public var syncLost = false
    /// Times the playback ring ran short after playback started (PlaybackThread underrun events), and the frames
    /// filled with fade/silence because of it.
    public var deviceUnderruns = 0
    public var deviceUnderrunFrames = 0
    public var rtcpReportsSent = 0
    public var rtcpSenderReportsReceived = 0
    public var rtcpGoodbyesReceived = 0
    /// Times playback switched to another SSRC (after a BYE or the source timeout).
    public var sourceChanges = 0
    /// First packets of a new source, dropped until it sent two in sequence (one per stream start, more if stray
    /// datagrams from other sources arrive).
    public var packetsInSourceProbation = 0
    /// Times the playback device was stopped because no stream played (`--standby-after`), and whether it is now.
    public var standbyEntries = 0
    public var inStandby = false
    /// Where the playback device stands now.
    public var deviceState = PlaybackDeviceState.playing
    /// Times the device failed or went away and was lost; times it came back; attempts to open it that failed.
    public var deviceLosses = 0
    public var deviceReturns = 0
    public var deviceFailedOpens = 0
    /// Times the device was released while idle (`--standby close`).
    public var deviceReleases = 0
    /// Frames decoded while there was no device, taken at its rate and discarded (the gap a listener heard).
    public var framesWithoutDevice = 0

    public init(
        counters: ReceiverCounters,
        jitterMs: Double,
        playoutDelayMs: Double,
        targetDelayMs: Double,
        xruns: Int = 0,
        packetsMalformedByReason: [String: Int] = [:]
    ) {
        packetsReceived = counters.packetsReceived
        packetsLost = counters.packetsLost
        packetsLate = counters.packetsLate
        packetsDuplicated = counters.packetsDuplicated
        packetsReordered = counters.packetsReordered
        self.packetsMalformedByReason = packetsMalformedByReason
        packetsTooLarge = counters.packetsTooLarge
        packetsOutOfRange = counters.packetsOutOfRange
        resyncs = counters.resyncs
        framesPlayed = counters.framesPlayed
        concealedSamples = counters.concealedSamples
        concealmentEvents = counters.concealmentEvents
        fecRecoveredFrames = counters.fecRecoveredFrames
        insertedSamplesForDeceleration = counters.insertedSamplesForDeceleration
        removedSamplesForAcceleration = counters.removedSamplesForAcceleration
        underruns = counters.underruns
        self.xruns = xruns
        self.jitterMs = jitterMs
        self.playoutDelayMs = playoutDelayMs
        self.targetDelayMs = targetDelayMs
    }

    /// One line for periodic printing, e.g.
    /// `rx 1200 lost 3 late 1 dup 0 reord 2 bad 0 | plc 1440 smp/2 ev fec 1 stretch +240/-480 smp under 0 xrun 0
    /// resync 0 | jitter 1.2 ms delay 6.0/6.5 ms queue 20.0 ms drift +55.0 ppm ratio 0.999945 error 0.02 ms |
    /// standby 1` (delay is current/target; queue is `outputQueueMs`; standby counts the device's stops, "(now)"
    /// while stopped).
    public var description: String {
        var line = "rx \(packetsReceived) lost \(packetsLost) late \(packetsLate) dup \(packetsDuplicated)"
        line += " reord \(packetsReordered) bad \(packetsMalformed + packetsTooLarge + packetsOutOfRange)"
        line += " | plc \(concealedSamples) smp/\(concealmentEvents) ev fec \(fecRecoveredFrames)"
        line += " stretch +\(insertedSamplesForDeceleration)/-\(removedSamplesForAcceleration) smp"
        line += " under \(underruns) dev-under \(deviceUnderruns) xrun \(xruns) resync \(resyncs)"
        line += " | jitter \(Self.format(jitterMs)) ms"
        line += " delay \(Self.format(playoutDelayMs))/\(Self.format(targetDelayMs)) ms"
        line += " queue \(Self.format(outputQueueMs)) ms"
        line += " drift \(driftPpm >= 0 ? "+" : "")\(Self.format(driftPpm)) ppm"
        line += " ratio \(Self.formatRatio(resampleRatio)) error \(Self.format(delayErrorMs, decimals: 2)) ms"
        if syncErrorMs.isFinite || syncLost {
            line += " | sync error \(Self.format(syncErrorMs, decimals: 3)) ms\(syncLost ? " LOST" : "")"
        }
        line += " | standby \(standbyEntries)\(inStandby ? " (now)" : "")"
        line += " | device \(deviceState.rawValue) lost \(deviceLosses) back \(deviceReturns)"
        line += " released \(deviceReleases) unplayed \(framesWithoutDevice) frames"
        return line
    }

    /// One decimal (or `decimals`), `-` for NaN or infinity (as the stats line and `STATUS=` print figures).
    static func format(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let sign = scaled < 0 ? "-" : ""
        let fraction = String(abs(scaled) % scale)
        let padded = String(repeating: "0", count: decimals - fraction.count) + fraction
        return decimals == 0 ? "\(sign)\(abs(scaled))" : "\(sign)\(abs(scaled) / scale).\(padded)"
    }

    /// A resampling ratio to six decimals (1 ppm).
    static func formatRatio(_ ratio: Double) -> String { format(ratio, decimals: 6) }
}
