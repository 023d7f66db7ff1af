internal import COpus

/// The libopus coding mode, fixed when an encoder is created.
public enum OpusApplication: String, CaseIterable, Sendable {
    /// `OPUS_APPLICATION_RESTRICTED_LOWDELAY`: CELT only, 2.5 ms lookahead, no FEC. Lowest latency for music.
    case restrictedLowDelay
    /// `OPUS_APPLICATION_AUDIO`: best quality for music; 6.5 ms lookahead; SILK/hybrid (and so FEC) at low bitrates.
    case audio
    /// `OPUS_APPLICATION_VOIP`: tuned for speech intelligibility; 6.5 ms lookahead; FEC available.
    case voip

    var opusValue: Int32 {
        switch self {
        case .restrictedLowDelay: return OPUS_APPLICATION_RESTRICTED_LOWDELAY
        case .audio: return OPUS_APPLICATION_AUDIO
        case .voip: return OPUS_APPLICATION_VOIP
        }
    }
}
