/// Where the receiver's playback device stands, as `/status`, the log and systemd's STATUS= report it.
public enum PlaybackDeviceState: String, Sendable, Equatable, CaseIterable {
    /// Open and played (silence while no stream arrives and standby has not begun).
    case playing
    /// Stopped for want of a stream (`--standby pause`): still open.
    case standby
    /// Released for want of a stream (`--standby close`): reopened by the next stream.
    case closed
    /// Failed, gone or busy: opening is retried with backoff while the stream is still received and counted.
    case lost
}
