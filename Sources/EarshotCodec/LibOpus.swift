internal import COpus

/// The libopus entry points called from real-time threads, behind the one boundary the `@_noAllocation` checker
/// cannot see through.
///
/// Why this is sound: libopus's encode/decode/packet parsing take scratch memory from the stack (VAR_ARRAYS or
/// alloca), never from malloc, and take no locks; only `*_create` allocates, and that happens at set-up. Keeping
/// the exemption to these few functions lets `@_noLocks @_noAllocation` check everything else on the Swift side.
enum LibOpus {
    @_semantics("no_performance_analysis")
    static func encodeFloat(
        _ state: OpaquePointer, _ pcm: UnsafePointer<Float>, _ frameSize: Int32,
        _ data: UnsafeMutablePointer<UInt8>, _ maxBytes: Int32
    ) -> Int32 {
        opus_encode_float(state, pcm, frameSize, data, maxBytes)
    }

    /// `data == nil` asks for concealment; `decodeFEC == 1` asks for the previous frame from `data`'s LBRR.
    @_semantics("no_performance_analysis")
    static func decodeFloat(
        _ state: OpaquePointer, _ data: UnsafePointer<UInt8>?, _ length: Int32,
        _ pcm: UnsafeMutablePointer<Float>, _ frameSize: Int32, _ decodeFEC: Int32
    ) -> Int32 {
        opus_decode_float(state, data, length, pcm, frameSize, decodeFEC)
    }

    @_semantics("no_performance_analysis")
    static func validatedPacketSampleCount(_ data: UnsafePointer<UInt8>, _ length: Int32) -> Int32 {
        earshot_opus_packet_validated_sample_count(data, length)
    }

    /// Wraps a negative libopus status. Exempt only because debug builds compile files separately and the checker
    /// cannot see into `OpusErrorCode.init`, which stores one `Int32`.
    @_semantics("no_performance_analysis")
    static func errorCode(_ status: Int32) -> OpusErrorCode { OpusErrorCode(rawValue: status) }
}
