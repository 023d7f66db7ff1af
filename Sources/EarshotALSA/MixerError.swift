import CALSA

/// A failed call on a card's mixer control (`MixerControl`), naming the control device, the control, ALSA's negative
/// error code where there is one, and how to list what is there.
public enum MixerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The control device could not be opened or its controls loaded (`operation` names the ALSA function).
    case cannotOpen(device: String, operation: String, code: Int32)
    /// The device has no simple control of that name; `available` lists those it has.
    case controlNotFound(control: String, device: String, available: [String])
    /// The control exists but has no playback volume (e.g. a capture or switch-only control).
    case noPlaybackVolume(control: String, device: String)
    /// Setting or reading the control failed (`operation` names the ALSA function).
    case callFailed(control: String, device: String, operation: String, code: Int32)

    /// The control device (e.g. `hw:0`, `default`).
    public var device: String {
        switch self {
        case .cannotOpen(let device, _, _), .controlNotFound(_, let device, _), .noPlaybackVolume(_, let device),
            .callFailed(_, let device, _, _):
            return device
        }
    }

    /// How to see what the device offers.
    public var listHint: String { "list them with `amixer -D \(device) scontrols`" }

    public var description: String {
        switch self {
        case .cannotOpen(let device, let operation, let code):
            return "ALSA mixer device \(device): \(operation) failed with error \(code) (\(Self.message(code))); "
                + "give the card's control device with --mixer-device (e.g. hw:0; cards: `aplay -l`)"
        case .controlNotFound(let control, let device, let available):
            let names = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
            return "ALSA mixer device \(device) has no control '\(control)' (it has \(names)); \(listHint)"
        case .noPlaybackVolume(let control, let device):
            return "ALSA mixer control '\(control)' on \(device) has no playback volume; choose another, \(listHint)"
        case .callFailed(let control, let device, let operation, let code):
            return "ALSA mixer control '\(control)' on \(device): \(operation) failed with error \(code) "
                + "(\(Self.message(code))); check it with `amixer -D \(device) sget '\(control)'`"
        }
    }

    private static func message(_ code: Int32) -> String { String(cString: snd_strerror(code)) }
}
