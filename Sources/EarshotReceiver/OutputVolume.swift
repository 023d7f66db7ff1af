#if canImport(Glibc)
    import Glibc
#endif

/// The receiver's output level as its owner sets it: a gain in dB and a mute switch, applied on top of the audio
/// (software gain ramped by the playback thread, or the card's mixer with `--mixer`). A value; any thread.
public struct OutputVolume: Sendable, Equatable {
    /// What `decibels` may be: the range of `--volume`.
    public static let decibelRange = ReceiverConfiguration.volumeRange

    public var decibels: Double
    public var isMuted: Bool

    public init(decibels: Double = 0, isMuted: Bool = false) {
        self.decibels = decibels
        self.isMuted = isMuted
    }

    /// Whether `decibels` is finite and within `decibelRange`.
    public var isValid: Bool { decibels.isFinite && Self.decibelRange.contains(decibels) }

    /// The linear factor the software gain ramps to: 10^(dB/20), or 0 when muted.
    public var linearGain: Float { isMuted ? 0 : Float(pow(10, decibels / 20)) }
}
