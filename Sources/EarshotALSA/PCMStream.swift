import CALSA

/// Direction of a PCM: playback writes frames to the device, capture reads frames from it.
public enum PCMStream: Sendable {
    case playback
    case capture

    var alsaValue: snd_pcm_stream_t {
        switch self {
        case .playback: return SND_PCM_STREAM_PLAYBACK
        case .capture: return SND_PCM_STREAM_CAPTURE
        }
    }
}
