/// A sender setting that cannot work, naming the command-line flag, the value given and what is valid.
public enum SenderConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `flag` was given `value`; `valid` says the accepted range or set, with units.
    case invalidValue(flag: String, value: String, valid: String)
    /// None of `--device`, `--input`, `--tone` was given.
    case noSource
    /// More than one of `--device`, `--input`, `--tone` was given (the flags, as typed).
    case multipleSources([String])
    /// A flag that only makes sense with another one (e.g. `--format` without `--input -`).
    case flagNeeds(flag: String, requirement: String)
    /// A required flag is absent; `hint` says what to give.
    case missing(flag: String, hint: String)

    public var description: String {
        switch self {
        case .invalidValue(let flag, let value, let valid):
            return "\(flag) \(value) is invalid; valid: \(valid)"
        case .noSource:
            return "no audio source: give exactly one of --device NAME (ALSA capture), --input FILE.wav, "
                + "--input - (raw PCM on stdin) or --tone HZ"
        case .multipleSources(let flags):
            return "several audio sources given (\(flags.joined(separator: ", "))): give exactly one of "
                + "--device, --input, --tone"
        case .flagNeeds(let flag, let requirement):
            return "\(flag) needs \(requirement)"
        case .missing(let flag, let hint):
            return "missing \(flag): \(hint)"
        }
    }
}
