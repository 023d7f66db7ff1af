import CLibOpusBaseline

/// `opus_decode_float` on the fixture packets and nothing else: the denominator of the receiver overhead ratio.
final class BareOpusDecode: @unchecked Sendable {
    static let shared = BareOpusDecode()

    private let stream = EncodedStream.shared
    private let decoder: OpaquePointer
    private let pcm: UnsafeMutablePointer<Float>
    private var index = 0

    init() {
        var status: Int32 = 0
        guard let decoder = opus_decoder_create(48_000, Int32(EncodedStream.channels), &status), status == OPUS_OK
        else { fatalError("opus_decoder_create failed: \(status)") }
        self.decoder = decoder
        pcm = .allocate(capacity: 5_760 * EncodedStream.channels)
        for _ in 0..<200 { step() }
    }

    deinit {
        opus_decoder_destroy(decoder)
        pcm.deallocate()
    }

    @inline(never)
    func step() {
        let packet = stream.packet(index)
        index += 1
        let frames = opus_decode_float(
            decoder, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count), pcm,
            Int32(stream.frameSamples), 0)
        precondition(frames == Int32(stream.frameSamples), "bare decode failed: \(frames)")
    }
}
