internal import COpus

/// A 48 kHz Opus encoder for one stream: one frame of interleaved Float PCM in, one Opus packet out.
///
/// Invariants: the configuration is fixed at creation; each `encode` reads exactly `configuration.samplesPerFrame`
/// floats. Noncopyable and `mutating`, so one thread owns it at a time (it may be moved to another thread);
/// `encode` allocates nothing and takes no locks, so the capture thread may call it.
public struct OpusEncoder: ~Copyable, @unchecked Sendable {
    /// Opus runs at 48 kHz here, end to end; other rates go through a resampler first.
    public static let sampleRate = 48_000
    /// An output buffer this large holds any packet (libopus's recommendation; 60 ms at 510 kbps is 3 832 bytes).
    public static let maximumPacketBytes = 4_000

    public let configuration: Configuration
    /// Samples per channel the encoder delays its input by (120 for low delay, 312 for audio/voip here).
    public let lookahead: Int
    private let state: OpaquePointer
    private let frameSize: Int32

    /// Creates and configures the encoder. Allocates; call before the real-time thread starts.
    public init(_ configuration: Configuration) throws(OpusError) {
        try configuration.validate()
        var status: Int32 = OPUS_OK
        let created = opus_encoder_create(
            Int32(Self.sampleRate), Int32(configuration.channels), configuration.application.opusValue, &status)
        guard let state = created, status == OPUS_OK else {
            if let created { opus_encoder_destroy(created) }
            throw .library(OpusErrorCode(rawValue: status), operation: "opus_encoder_create")
        }
        var lookahead: Int32 = 0
        do {
            try Self.check(
                earshot_opus_encoder_set_bitrate(state, Int32(configuration.bitrate)), "OPUS_SET_BITRATE")
            try Self.check(
                earshot_opus_encoder_set_complexity(state, Int32(configuration.complexity)), "OPUS_SET_COMPLEXITY")
            try Self.check(
                earshot_opus_encoder_set_inband_fec(state, configuration.inBandFEC ? 1 : 0), "OPUS_SET_INBAND_FEC")
            try Self.check(
                earshot_opus_encoder_set_packet_loss_perc(state, Int32(configuration.expectedPacketLossPercent)),
                "OPUS_SET_PACKET_LOSS_PERC")
            try Self.check(earshot_opus_encoder_set_dtx(state, configuration.dtx ? 1 : 0), "OPUS_SET_DTX")
            try Self.check(earshot_opus_encoder_get_lookahead(state, &lookahead), "OPUS_GET_LOOKAHEAD")
        } catch {
            opus_encoder_destroy(state)
            throw error
        }
        self.configuration = configuration
        self.lookahead = Int(lookahead)
        self.state = state
        self.frameSize = Int32(configuration.frameDuration.samplesPerChannel)
    }

    deinit { opus_encoder_destroy(state) }

    /// Samples per channel from the first input sample to the first output sample it affects: frame + lookahead.
    public var algorithmicDelay: Int { configuration.frameDuration.samplesPerChannel + lookahead }

    /// Encodes one frame of `configuration.samplesPerFrame` interleaved floats (nominal range −1 ... 1) from `pcm`.
    ///
    /// Returns the packet length in bytes written to the start of `packet`. With DTX on, a result of 1 or 2 bytes
    /// means "silence, no need to send". Allocation-free; callable from the real-time thread.
    @_noLocks @_noAllocation
    public mutating func encode(
        _ pcm: UnsafePointer<Float>, into packet: UnsafeMutableRawBufferPointer
    ) throws(OpusError) -> Int {
        guard let output = packet.baseAddress, packet.count > 0 else {
            throw .library(LibOpus.errorCode(OPUS_BUFFER_TOO_SMALL), operation: "opus_encode_float")
        }
        let bytes = LibOpus.encodeFloat(
            state, pcm, frameSize,
            output.assumingMemoryBound(to: UInt8.self), Int32(clamping: packet.count))
        guard bytes >= 0 else { throw .library(LibOpus.errorCode(bytes), operation: "opus_encode_float") }
        return Int(bytes)
    }

    /// True when the last `encode` was in DTX (the signal was judged silent).
    public mutating func isInDTX() -> Bool {
        var inDTX: Int32 = 0
        return earshot_opus_encoder_get_in_dtx(state, &inDTX) == OPUS_OK && inDTX != 0
    }

    private static func check(_ status: Int32, _ operation: StaticString) throws(OpusError) {
        guard status == OPUS_OK else { throw .library(OpusErrorCode(rawValue: status), operation: operation) }
    }
}
