import CALSA

/// Sample formats the wrapper negotiates, in order of preference. The API is always `Float`; the integer formats are
/// converted in buffers preallocated at open.
public enum PCMSampleFormat: Sendable, CaseIterable {
    /// 32-bit IEEE float, little endian: no conversion.
    case float32LittleEndian
    /// 32-bit signed integer, little endian.
    case signed32LittleEndian
    /// 16-bit signed integer, little endian.
    case signed16LittleEndian

    public var bytesPerSample: Int {
        switch self {
        case .float32LittleEndian, .signed32LittleEndian: return 4
        case .signed16LittleEndian: return 2
        }
    }

    var alsaValue: snd_pcm_format_t {
        switch self {
        case .float32LittleEndian: return SND_PCM_FORMAT_FLOAT_LE
        case .signed32LittleEndian: return SND_PCM_FORMAT_S32_LE
        case .signed16LittleEndian: return SND_PCM_FORMAT_S16_LE
        }
    }
}
