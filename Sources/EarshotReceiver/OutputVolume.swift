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
}
