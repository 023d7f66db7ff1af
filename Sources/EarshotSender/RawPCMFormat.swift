/// Sample encodings a raw PCM stream may carry (little-endian, interleaved), named as in sox/ffmpeg.
public enum RawPCMFormat: String, CaseIterable, Sendable {
    case s16le
    case s32le
    case f32le

    public var bytesPerSample: Int { self == .s16le ? 2 : 4 }

    /// Decodes one little-endian sample starting at `bytes` to a Float in −1 ... 1.
    func sample(at bytes: UnsafeRawPointer) -> Float {
        switch self {
        case .s16le:
            return Float(Int16(littleEndian: bytes.loadUnaligned(as: Int16.self))) / 32_768
        case .s32le:
            return Float(Double(Int32(littleEndian: bytes.loadUnaligned(as: Int32.self))) / 2_147_483_648)
        case .f32le:
            return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
        }
    }
}
