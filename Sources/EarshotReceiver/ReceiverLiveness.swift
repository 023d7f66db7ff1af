/// Whether the service manager's watchdog may be fed: only while the receiver's threads show progress since it was
/// last fed (`ReceiverThreadProgress`), so that a process whose audio threads are stuck is restarted, not kept alive
/// by a main loop that still runs.
///
/// The producer must always have turned. The playback thread must have turned while the device is open (`.playing`,
/// `.standby`); while it is `.lost` or `.closed` there is no playback thread, and the producer's progress alone
/// counts. A value, owned by the one control thread that feeds the watchdog.
public struct ReceiverLiveness: Sendable {
    /// A thread whose loop has not turned.
    public enum Thread: String, Sendable, Equatable {
        case playback, producer
    }

    public enum Verdict: Sendable, Equatable {
        case alive
        case stalled(Thread)
    }

    private var lastFed: ReceiverThreadProgress

    /// `baseline`: the progress when the service reported ready (the first feed needs progress beyond it).
    public init(baseline: ReceiverThreadProgress) {
        lastFed = baseline
    }

    /// Whether both threads (the producer alone without an open device) have turned since the last `recordFed`.
    public func verdict(_ progress: ReceiverThreadProgress, deviceState: PlaybackDeviceState) -> Verdict {
        if progress.producerWakes == lastFed.producerWakes { return .stalled(.producer) }
        let deviceOpen = deviceState == .playing || deviceState == .standby
        if deviceOpen, let turns = progress.playbackTurns, turns == lastFed.playbackTurns { return .stalled(.playback) }
        return .alive
    }

    /// The watchdog was fed at `progress`.
    public mutating func recordFed(_ progress: ReceiverThreadProgress) {
        lastFed = progress
    }
}
