import EarshotSecurity
import EarshotALSA
import EarshotCodec
import EarshotNet

/// Why the receiver pipeline could not start; each case keeps the underlying typed error and says what to do.
public enum ReceiverPipelineError: Error, CustomStringConvertible {
    case configuration(ReceiverConfigurationError)
    /// Opening, binding or joining a socket failed; `role` is `RTP` or `RTCP`.
    case socket(role: String, SocketError)
    /// The ALSA device could not be opened or started.
    case device(ALSAError)
    /// The device runs at another rate than the stream's; playing it anyway would play at the wrong speed.
    /// The device granted a rate the producer cannot convert to (`supported` says what it can).
    case deviceRate(device: String, granted: Int, supported: String)
    case codec(OpusError)
    /// A thread could not be created (`pthread_create` returned `code`).
    case thread(code: Int32)
    /// The `--mixer` control could not be opened, found or set to the starting volume.
    case mixer(MixerError)
    /// libsrtp refused the key's session.
    case security(SRTPError)

    /// A device that is not there or not free now but may be later (missing, busy, its server unreachable), as
    /// opposed to one that cannot play the stream as asked (parameters, rate, permission).
    public var isDeviceUnavailable: Bool {
        guard case .device(let error) = self else { return false }
        switch error {
        case .deviceNotFound, .deviceBusy, .callFailed: return true
        case .permissionDenied, .unsupportedParameter: return false
        }
    }

    public var description: String {
        switch self {
        case .configuration(let error): return error.description
        case .socket(let role, let error): return "\(role) socket: \(error)"
        case .device(let error): return "\(error)"
        case .deviceRate(let device, let granted, let supported):
            return """
                device \(device) runs at \(granted) Hz, and earshot-recv plays at \(supported): choose a rate it \
                takes with --device-rate (see `aplay -D \(device) --dump-hw-params /dev/zero`), or convert with \
                ALSA's plug plugin (e.g. --device plughw:0, or `plug:\(device)`)
                """
        case .codec(let error): return "Opus decoder: \(error)"
        case .thread(let code): return "cannot create the producer thread (pthread_create error \(code))"
        case .mixer(let error): return "--mixer: \(error)"
        case .security(let error): return "--key-file: \(error)"
        }
    }
}
