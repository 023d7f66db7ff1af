/// Why a `SpeexResampler` could not be created, with what to do.
public enum SpeexResamplerError: Error, Equatable, CustomStringConvertible {
    /// A setting outside what the wrapper accepts, rejected before any call into libspeexdsp.
    case invalidSetting(name: StaticString, value: String, allowed: StaticString)
    /// libspeexdsp returned `status` (a `RESAMPLER_ERR_*` code) from `operation`.
    case library(status: Int32, operation: StaticString)

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }

    public var description: String {
        switch self {
        case .invalidSetting(let name, let value, let allowed):
            return "resampler setting \(name) = \(value) is invalid: allowed \(allowed)"
        case .library(let status, let operation):
            return "\(operation) failed with libspeexdsp error \(status) (\(LibSpeexDSP.message(status))): "
                + "check that libspeexdsp1 is installed and memory is available"
        }
    }
}
