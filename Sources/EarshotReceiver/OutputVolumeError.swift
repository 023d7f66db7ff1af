import EarshotALSA

/// Why `ReceiverPipeline.setOutputVolume(_:)` did not do all it was asked; each case says whether the level took
/// effect.
public enum OutputVolumeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dB value is not finite or outside `OutputVolume.decibelRange`: nothing changed.
    case outOfRange(decibels: Double)
    /// The card's mixer control (`--mixer`) refused the level: nothing changed.
    case mixer(MixerError)
    /// The level took effect but could not be written to `--state-file`: it will not survive a restart.
    case notSaved(OutputVolumeStateFileError)

    public var description: String {
        switch self {
        case .outOfRange(let decibels):
            let range = OutputVolume.decibelRange
            return "volume \(decibels) dB is out of range: valid is \(range.lowerBound) ... \(range.upperBound) dB"
        case .mixer(let error):
            return "volume not changed: \(error)"
        case .notSaved(let error):
            return "volume changed, but not saved, so a restart will not keep it: \(error)"
        }
    }
}
