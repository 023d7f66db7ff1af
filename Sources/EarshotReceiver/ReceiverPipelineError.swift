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
    case codec(OpusError)
    /// A thread could not be created (`pthread_create` returned `code`).
    case thread(code: Int32)
    /// The `--mixer` control could not be opened, found or set to the starting volume.
    case mixer(MixerError)

    public var description: String {
        switch self {
        case .configuration(let error): return error.description
        case .socket(let role, let error): return "\(role) socket: \(error)"
        case .device(let error): return "\(error)"
        case .codec(let error): return "Opus decoder: \(error)"
        case .thread(let code): return "cannot create the producer thread (pthread_create error \(code))"
        case .mixer(let error): return "--mixer: \(error)"
        }
    }
}
