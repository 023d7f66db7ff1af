#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A RIFF/WAVE file held in memory as interleaved `Float` samples in [-1, 1].
///
/// Reads PCM 8/16/24/32-bit integer and 32/64-bit float data, plain or `WAVE_FORMAT_EXTENSIBLE`. Not for real-time
/// threads: reading and writing allocate.
public struct WAVFile: Sendable, Equatable {
    /// How samples are stored when the file is written.
    public enum SampleEncoding: Sendable, Equatable {
        case int16
        case int24
        case int32
        case float32

        var bitsPerSample: Int {
            switch self {
            case .int16: return 16
            case .int24: return 24
            case .int32: return 32
            case .float32: return 32
            }
        }

        var formatTag: UInt16 { self == .float32 ? 3 : 1 }
    }

    public var sampleRate: Int
    public var channels: Int
    /// Interleaved frames: `samples.count == frameCount * channels`.
    public var samples: [Float]
    /// How the file stored its samples (kept so a read file can be written back the same way).
    public var encoding: SampleEncoding

    public var frameCount: Int { channels > 0 ? samples.count / channels : 0 }
    public var duration: Double { sampleRate > 0 ? Double(frameCount) / Double(sampleRate) : 0 }

    public init(sampleRate: Int, channels: Int, samples: [Float], encoding: SampleEncoding = .float32) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
        self.encoding = encoding
    }

    /// Reads and decodes the file at `path`.
    public static func read(path: String) throws(WAVError) -> WAVFile {
        // Plain POSIX I/O, not Foundation: Foundation would link ICU and the internationalisation runtime into every
        // process that uses this module (about 9 MB of peak RSS in earshot-recv).
        guard let bytes = readWholeFile(path) else { throw .unreadable(path: path) }
        return try decode(bytes, path: path)
    }

    /// Decodes a complete WAV file image; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(WAVError) -> WAVFile {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw .notWAV(path: path)
        }
        var format: (tag: UInt16, channels: Int, rate: Int, bits: Int, blockAlign: Int)?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let declared = Int(readLE32(bytes, offset + 4))
            let body = offset + 8
            // Streams written by pipes (parec, ffmpeg to stdout) leave the data size at 0 or 0xFFFFFFFF.
            let size = (id == "data" && (declared == 0 || body + declared > bytes.count)) ? bytes.count - body : declared
            guard body + size <= bytes.count else { throw .truncated(path: path, chunk: id) }
            if id == "fmt " {
                guard size >= 16 else { throw .truncated(path: path, chunk: id) }
                var tag = UInt16(readLE16(bytes, body))
                if tag == 0xFFFE, size >= 26 { tag = UInt16(readLE16(bytes, body + 24)) }
                format = (
                    tag, Int(readLE16(bytes, body + 2)), Int(readLE32(bytes, body + 4)), Int(readLE16(bytes, body + 14)),
                    Int(readLE16(bytes, body + 12))
                )
            } else if id == "data" {
                guard let format else { throw .missingFormat(path: path) }
                return try decodeSamples(bytes[body..<body + size], format: format, path: path)
            }
            offset = body + size + (size & 1)
        }
        throw .missingData(path: path)
    }

    private static func decodeSamples(
        _ data: ArraySlice<UInt8>,
        format: (tag: UInt16, channels: Int, rate: Int, bits: Int, blockAlign: Int),
        path: String
    ) throws(WAVError) -> WAVFile {
        guard format.channels > 0, format.rate > 0 else {
            throw .unsupported(path: path, detail: "\(format.channels) channels at \(format.rate) Hz")
        }
        let bytesPerSample = format.bits / 8
        let encoding: SampleEncoding
        let convert: (Int) -> Float
        let base = data.startIndex
        switch (format.tag, format.bits) {
        case (1, 8):
            encoding = .int16
            convert = { (Float(data[base + $0]) - 128) / 128 }
        case (1, 16):
            encoding = .int16
            convert = { Float(Int16(bitPattern: UInt16(readLE16(data, base + $0)))) / 32768 }
        case (1, 24):
            encoding = .int24
            convert = {
                let raw = Int32(data[base + $0]) | Int32(data[base + $0 + 1]) << 8 | Int32(data[base + $0 + 2]) << 16
                return Float((raw << 8) >> 8) / 8_388_608
            }
        case (1, 32):
            encoding = .int32
            convert = { Float(Int32(bitPattern: readLE32(data, base + $0))) / 2_147_483_648 }
        case (3, 32):
            encoding = .float32
            convert = { Float(bitPattern: readLE32(data, base + $0)) }
        case (3, 64):
            encoding = .float32
            convert = { Float(Double(bitPattern: UInt64(readLE32(data, base + $0)) | UInt64(readLE32(data, base + $0 + 4)) << 32)) }
        default:
            throw .unsupported(path: path, detail: "format tag \(format.tag) with \(format.bits) bits per sample")
        }
        let count = data.count / bytesPerSample / format.channels * format.channels
        var samples = [Float](repeating: 0, count: count)
        for i in 0..<count { samples[i] = convert(i * bytesPerSample) }
        return WAVFile(sampleRate: format.rate, channels: format.channels, samples: samples, encoding: encoding)
    }

    /// The complete file image in `encoding` (samples are clipped to [-1, 1] for integer encodings).
    public func encoded(as encoding: SampleEncoding? = nil) -> [UInt8] {
        let encoding = encoding ?? self.encoding
        let bytesPerSample = encoding.bitsPerSample / 8
        let dataSize = samples.count * bytesPerSample
        var out: [UInt8] = []
        out.reserveCapacity(44 + dataSize)
        out += Array("RIFF".utf8)
        appendLE32(&out, UInt32(36 + dataSize))
        out += Array("WAVEfmt ".utf8)
        appendLE32(&out, 16)
        appendLE16(&out, encoding.formatTag)
        appendLE16(&out, UInt16(channels))
        appendLE32(&out, UInt32(sampleRate))
        appendLE32(&out, UInt32(sampleRate * channels * bytesPerSample))
        appendLE16(&out, UInt16(channels * bytesPerSample))
        appendLE16(&out, UInt16(encoding.bitsPerSample))
        out += Array("data".utf8)
        appendLE32(&out, UInt32(dataSize))
        for sample in samples {
            let clipped = max(-1, min(1, sample))
            switch encoding {
            case .int16:
                appendLE16(&out, UInt16(bitPattern: Int16(clamping: Int((clipped * 32767).rounded()))))
            case .int24:
                let value = Int32(clamping: Int((clipped * 8_388_607).rounded()))
                out += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF)]
            case .int32:
                appendLE32(&out, UInt32(bitPattern: Int32(clamping: Int((Double(clipped) * 2_147_483_647).rounded()))))
            case .float32:
                appendLE32(&out, sample.bitPattern)
            }
        }
        return out
    }

    /// Writes the file to `path`, replacing any file there.
    public func write(path: String, as encoding: SampleEncoding? = nil) throws(WAVError) {
        let bytes = encoded(as: encoding)
        guard writeWholeFile(path, bytes) else { throw .unwritable(path: path) }
    }
}

/// The whole file at `path` (regular files and pipes alike: read until end of file), or nil on any error.
private func readWholeFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var status = stat()
    let expected = fstat(descriptor, &status) == 0 && status.st_size > 0 ? Int(status.st_size) : 0
    var bytes = [UInt8](repeating: 0, count: max(expected, 65_536))
    var filled = 0
    while true {
        if filled == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
        let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
        if got < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if got == 0 { break }
        filled += got
    }
    bytes.removeSubrange(filled...)
    return bytes
}

/// Creates or truncates `path` (mode 0644 before umask) and writes `bytes`; false on any error.
private func writeWholeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return false }
    var written = 0
    while written < bytes.count {
        let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
        if result < 0 {
            if errno == EINTR { continue }
            close(descriptor)
            return false
        }
        written += result
    }
    return close(descriptor) == 0
}

/// Why a WAV file could not be read or written.
public enum WAVError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case unwritable(path: String)
    case notWAV(path: String)
    case truncated(path: String, chunk: String)
    case missingFormat(path: String)
    case missingData(path: String)
    case unsupported(path: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot be read; check that it exists and is readable"
        case .unwritable(let path): return "\(path): cannot be written; check the directory exists and is writable"
        case .notWAV(let path): return "\(path): not a RIFF/WAVE file"
        case .truncated(let path, let chunk): return "\(path): the '\(chunk)' chunk is cut short"
        case .missingFormat(let path): return "\(path): no 'fmt ' chunk before the audio data"
        case .missingData(let path): return "\(path): no 'data' chunk"
        case .unsupported(let path, let detail):
            return "\(path): unsupported WAV encoding (\(detail)); use 16/24/32-bit PCM or 32-bit float"
        }
    }
}

private func readLE16<C: Collection>(_ bytes: C, _ offset: C.Index) -> UInt32 where C.Element == UInt8, C.Index == Int {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
}

private func readLE32<C: Collection>(_ bytes: C, _ offset: C.Index) -> UInt32 where C.Element == UInt8, C.Index == Int {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
        | UInt32(bytes[offset + 3]) << 24
}

private func appendLE16(_ out: inout [UInt8], _ value: UInt16) {
    out += [UInt8(value & 0xFF), UInt8(value >> 8)]
}

private func appendLE32(_ out: inout [UInt8], _ value: UInt32) {
    out += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
}
