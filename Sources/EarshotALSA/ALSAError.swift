import CALSA

/// A failed ALSA call, carrying ALSA's negative error code, the device it concerned, and what to do about it.
///
/// ALSA returns `-errno` (or one of its own negative codes); `code` keeps that value unchanged so callers can compare
/// against `-EPIPE`, `-ENOENT`, … and `alsaMessage` is `snd_strerror(code)`.
public enum ALSAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The PCM name does not resolve to a device (`-ENOENT`, `-ENODEV`, or an unknown name in the configuration).
    case deviceNotFound(device: String, code: Int32)
    /// Another process holds the device exclusively (`-EBUSY`).
    case deviceBusy(device: String, code: Int32)
    /// The process may not open the device (`-EACCES`, `-EPERM`).
    case permissionDenied(device: String, code: Int32)
    /// The device rejected a hardware or software parameter (rate, channels, format, period, buffer).
    case unsupportedParameter(device: String, parameter: String, code: Int32)
    /// Any other failing call; `operation` names the ALSA function.
    case callFailed(device: String, operation: String, code: Int32)

    /// ALSA's negative error code, as returned by the failing call.
    public var code: Int32 {
        switch self {
        case .deviceNotFound(_, let code), .deviceBusy(_, let code), .permissionDenied(_, let code),
            .unsupportedParameter(_, _, let code), .callFailed(_, _, let code):
            return code
        }
    }

    /// The PCM name the failing call concerned.
    public var device: String {
        switch self {
        case .deviceNotFound(let device, _), .deviceBusy(let device, _), .permissionDenied(let device, _),
            .unsupportedParameter(let device, _, _), .callFailed(let device, _, _):
            return device
        }
    }

    /// ALSA's own text for `code` (`snd_strerror`).
    public var alsaMessage: String { Self.message(for: code) }

    /// ALSA's own text for a negative error code (`snd_strerror`).
    public static func message(for code: Int32) -> String { String(cString: snd_strerror(code)) }

    /// What the user can do about it.
    public var hint: String {
        switch self {
        case .deviceNotFound(let device, _):
            return "device \(device) not found; list devices with `aplay -L` (capture: `arecord -L`)"
        case .deviceBusy(let device, _):
            return "device \(device) is busy; stop the other program using it, or use a shared device such as `default`"
        case .permissionDenied(let device, _):
            return "no permission to open \(device); add the user to the `audio` group"
        case .unsupportedParameter(let device, let parameter, _):
            return "device \(device) does not support the requested \(parameter); try other values or a `plug:` device"
        case .callFailed(let device, let operation, _):
            return "\(operation) failed on \(device); check it with `aplay -D \(device) --dump-hw-params /dev/zero`"
        }
    }

    public var description: String {
        "ALSA error \(code) (\(alsaMessage)) on device \(device): \(hint)"
    }

    /// Classifies a negative code from opening `device`; other operations use `callFailed`.
    static func opening(_ device: String, code: Int32) -> ALSAError {
        switch -code {
        case ENOENT, ENODEV, ENXIO: return .deviceNotFound(device: device, code: code)
        case EBUSY: return .deviceBusy(device: device, code: code)
        case EACCES, EPERM: return .permissionDenied(device: device, code: code)
        default: return .callFailed(device: device, operation: "snd_pcm_open", code: code)
        }
    }
}

/// alsa-lib's own diagnostics, which it prints to stderr beside the error codes it returns.
public enum ALSALibraryMessages {
    /// Silences them (`quiet`) or restores them. Process-wide and not thread-safe: call only while no other thread
    /// uses ALSA (e.g. while a lost device is retried, so that each attempt does not print the same line).
    public static func setQuiet(_ quiet: Bool) { earshot_alsa_set_library_messages_quiet(quiet ? 1 : 0) }
}
