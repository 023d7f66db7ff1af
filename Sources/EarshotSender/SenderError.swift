import EarshotALSA
import EarshotCodec
import EarshotNet
import EarshotSecurity

/// Why the sender could not start or had to stop; each case says what to do.
public enum SenderError: Error, CustomStringConvertible {
    case configuration(SenderConfigurationError)
    /// The capture device could not be opened or started.
    case captureDevice(name: String, ALSAError)
    /// The capture device runs at a rate other than 48 kHz even through ALSA's plug layer.
    case captureRate(name: String, rate: Int)
    case socket(SocketError)
    case encoder(OpusError)
    case source(AudioSourceError)
    /// `--sdp` could not be written.
    case sdpFile(path: String, errno: Int32)
    /// The send thread could not be created (`pthread_create` error).
    case thread(code: Int32)
    case stopped(SenderFailure)
    /// libsrtp refused the key's session.
    case security(SRTPError)

    public var description: String {
        switch self {
        case .configuration(let error): return error.description
        case .captureDevice(let name, let error):
            if case .deviceNotFound = error { return "cannot use capture device '\(name)' (--device): \(error)" }
            return "cannot use capture device '\(name)' (--device): \(error). List capture devices with `arecord -L`."
        case .captureRate(let name, let rate):
            return "capture device '\(name)' runs at \(rate) Hz, not 48000 Hz; use a `plug:` device or pick another "
                + "from `arecord -L`"
        case .socket(let error): return "network: \(error)"
        case .security(let error): return "--key-file: \(error)"
        case .encoder(let error): return "encoder: \(error)"
        case .source(let error): return error.description
        case .sdpFile(let path, let errno):
            return "cannot write --sdp \(path): errno \(errno); check the directory exists and is writable"
        case .thread(let code): return "cannot start the send thread: pthread_create error \(code)"
        case .stopped(let failure): return failure.description
        }
    }
}
