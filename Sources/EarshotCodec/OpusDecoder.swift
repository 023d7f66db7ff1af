internal import COpus

/// A 48 kHz Opus decoder for one stream: packets in, interleaved Float PCM out, with loss concealment and FEC.
///
/// Invariants: `channels` is fixed at creation. Noncopyable and `mutating`: one thread owns it (normally the thread
/// that feeds the playback ring). Every decode call allocates nothing and takes no locks.
public struct OpusDecoder: ~Copyable, @unchecked Sendable {
    /// Output rate; Opus decodes any packet to 48 kHz regardless of the bandwidth it was coded with.
    public static let sampleRate = 48_000
    /// The longest packet Opus allows is 120 ms: a buffer of this many frames can hold any decode.
    public static var maximumFramesPerPacket: Int { 5_760 }
    /// Concealment and FEC work in multiples of 2.5 ms.
    public static var concealmentGranule: Int { 120 }

    public let channels: Int
    private let state: OpaquePointer

    /// Creates the decoder. Allocates; call before the real-time thread starts.
    public init(channels: Int) throws(OpusError) {
        guard channels == 1 || channels == 2 else {
            throw .invalidSetting(name: "channels", value: channels, allowed: "1 or 2")
        }
        var status: Int32 = OPUS_OK
        let created = opus_decoder_create(Int32(Self.sampleRate), Int32(channels), &status)
        guard let state = created, status == OPUS_OK else {
            if let created { opus_decoder_destroy(created) }
            throw .library(OpusErrorCode(rawValue: status), operation: "opus_decoder_create")
        }
        self.channels = channels
        self.state = state
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes one packet into `pcm`, which has room for `capacityFrames` frames of `channels` interleaved floats.
    ///
    /// Returns frames written (the packet's duration). Throws `.invalidPacket` for garbage and `.bufferTooSmall`
    /// when the packet is longer than `capacityFrames`; the decoder stays usable after either.
    @_noLocks @_noAllocation
    public mutating func decode(
        _ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutablePointer<Float>, capacityFrames: Int
    ) throws(OpusError) -> Int {
        // An empty packet would silently mean "lost" to libopus; loss is the caller's explicit `conceal` call.
        guard let input = packet.baseAddress, packet.count > 0, packet.count <= Int(Int32.max) else {
            throw .library(LibOpus.errorCode(OPUS_INVALID_PACKET), operation: "opus_decode_float")
        }
        guard capacityFrames > 0 else {
            throw .invalidSetting(name: "capacityFrames", value: capacityFrames, allowed: "1 ... 5760")
        }
        let frames = LibOpus.decodeFloat(
            state, input.assumingMemoryBound(to: UInt8.self), Int32(packet.count), pcm,
            Int32(clamping: capacityFrames), 0)
        guard frames >= 0 else { throw .library(LibOpus.errorCode(frames), operation: "opus_decode_float") }
        return Int(frames)
    }

    /// Packet loss concealment: synthesises `frames` frames continuing the last decoded audio and fading out
    /// over consecutive losses. `frames` must be a multiple of 120 (2.5 ms), at most 5760; normally one packet's
    /// duration. Returns frames written.
    @_noLocks @_noAllocation
    public mutating func conceal(into pcm: UnsafeMutablePointer<Float>, frames: Int) throws(OpusError) -> Int {
        try Self.checkConcealmentLength(frames)
        let written = LibOpus.decodeFloat(state, nil, 0, pcm, Int32(frames), 0)
        guard written >= 0 else { throw .library(LibOpus.errorCode(written), operation: "opus_decode_float(PLC)") }
        return Int(written)
    }

    /// Rebuilds the lost frame *before* `packet` from the low-bitrate copy (LBRR) the encoder embedded in `packet`.
    ///
    /// `frames` is the lost frame's duration (multiple of 120). Call it, then `decode(packet)` itself as usual.
    /// If `packet` carries no LBRR (FEC off, CELT-only mode, zero expected loss), libopus falls back to
    /// concealment, so the call is always safe. Returns frames written.
    @_noLocks @_noAllocation
    public mutating func decodeFEC(
        fromNextPacket packet: UnsafeRawBufferPointer, into pcm: UnsafeMutablePointer<Float>, frames: Int
    ) throws(OpusError) -> Int {
        try Self.checkConcealmentLength(frames)
        guard let input = packet.baseAddress, packet.count > 0, packet.count <= Int(Int32.max) else {
            throw .library(LibOpus.errorCode(OPUS_INVALID_PACKET), operation: "opus_decode_float(FEC)")
        }
        let written = LibOpus.decodeFloat(
            state, input.assumingMemoryBound(to: UInt8.self), Int32(packet.count), pcm, Int32(frames), 1)
        guard written >= 0 else { throw .library(LibOpus.errorCode(written), operation: "opus_decode_float(FEC)") }
        return Int(written)
    }

    /// Clears the decoder's history (e.g. after a stream restart with a new SSRC), so no old audio leaks into PLC.
    public mutating func reset() {
        _ = earshot_opus_decoder_reset(state)
    }

    /// Frames per channel at 48 kHz the packet decodes to (`opus_packet_get_nb_samples`), after checking its
    /// framing (`opus_packet_parse`: TOC, frame count, frame lengths within the packet, 2.5 ... 120 ms).
    /// Throws `.invalidPacket` when the framing is malformed; the payload itself is only checked by `decode`.
    /// Pure, allocation-free, callable from any thread.
    @_noLocks @_noAllocation
    public static func frameCount(of packet: UnsafeRawBufferPointer) throws(OpusError) -> Int {
        guard let input = packet.baseAddress, packet.count > 0, packet.count <= Int(Int32.max) else {
            throw .library(LibOpus.errorCode(OPUS_INVALID_PACKET), operation: "opus_packet_parse")
        }
        let samples = LibOpus.validatedPacketSampleCount(input.assumingMemoryBound(to: UInt8.self), Int32(packet.count))
        guard samples > 0 else { throw .library(LibOpus.errorCode(samples), operation: "opus_packet_parse") }
        return Int(samples)
    }

    /// Non-throwing form of `frameCount(of:)` for the receive path: nil when the framing is malformed. A `throw`
    /// calls the runtime's `swift_willThrow` hook, which a test harness may have set to something that allocates.
    @_noLocks @_noAllocation
    public static func validatedFrameCount(of packet: UnsafeRawBufferPointer) -> Int? {
        guard let input = packet.baseAddress, packet.count > 0, packet.count <= Int(Int32.max) else { return nil }
        let samples = LibOpus.validatedPacketSampleCount(input.assumingMemoryBound(to: UInt8.self), Int32(packet.count))
        return samples > 0 ? Int(samples) : nil
    }

    private static func checkConcealmentLength(_ frames: Int) throws(OpusError) {
        guard frames > 0, frames <= maximumFramesPerPacket, frames % concealmentGranule == 0 else {
            throw .invalidSetting(name: "frames", value: frames, allowed: "a multiple of 120 (2.5 ms), 120 ... 5760")
        }
    }
}
