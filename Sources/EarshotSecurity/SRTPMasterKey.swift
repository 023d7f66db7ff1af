/// An SRTP master key with its salt, in the order SDES carries them (key, then salt), for one `SRTPSuite`.
///
/// Written and read as standard base64 (RFC 4648, with padding): the text after `inline:` in an `a=crypto` line,
/// and what `ffmpeg -srtp_out_params` takes. The bytes are kept in a fixed array; `description` never shows them.
public struct SRTPMasterKey: Equatable, Sendable, CustomStringConvertible {
    public let suite: SRTPSuite
    /// Key then salt, `suite.masterKeyBytes` long.
    public let bytes: [UInt8]

    /// Where a key may come from instead of a file: the base64 text, as in a key file.
    public static let environmentVariable = "EARSHOT_SRTP_KEY"

    /// Why a text is not a key for the suite.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notBase64
        case wrongLength(bytes: Int, expected: Int, suite: SRTPSuite)

        public var description: String {
            switch self {
            case .notBase64:
                "is not base64 (expected one line such as `earshot-send --generate-key` writes)"
            case .wrongLength(let bytes, let expected, let suite):
                "holds \(bytes) bytes, but \(suite.rawValue) needs \(expected) (key + salt)"
            }
        }
    }

    public init(suite: SRTPSuite, bytes: [UInt8]) throws(ParseError) {
        guard bytes.count == suite.masterKeyBytes else {
            throw .wrongLength(bytes: bytes.count, expected: suite.masterKeyBytes, suite: suite)
        }
        self.suite = suite
        self.bytes = bytes
    }

    /// Parses base64 text (surrounding whitespace and one trailing newline ignored).
    public init(suite: SRTPSuite, base64 text: String) throws(ParseError) {
        guard let decoded = Base64.decode(text.trimmingWhitespace) else { throw .notBase64 }
        try self.init(suite: suite, bytes: decoded)
    }

    /// A fresh key from the system's cryptographic random source (getrandom(2)).
    public static func generate(suite: SRTPSuite) -> SRTPMasterKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<suite.masterKeyBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try! SRTPMasterKey(suite: suite, bytes: bytes)
    }

    /// The base64 text (what a key file holds, and SDP's `inline:` value).
    public var base64: String { Base64.encode(bytes) }

    /// The key itself in hexadecimal, as GStreamer's `srtp-key=(buffer)` caps field takes it.
    public var hex: String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    public var description: String { "SRTPMasterKey(\(suite.rawValue), \(bytes.count) bytes)" }
}

/// Standard base64 with padding (RFC 4648 §4).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { word |= UInt32(byte) << (16 - 8 * UInt32(offset)) }
            for position in 0..<4 {
                if position <= chunk.count {
                    output.append(alphabet[Int((word >> (18 - 6 * UInt32(position))) & 63)])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// nil unless `text` is whole 4-character groups of the alphabet, padded only at its end.
    static func decode(_ text: Substring) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard !characters.isEmpty, characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        var index = 0
        while index < characters.count {
            var word: UInt32 = 0
            var padding = 0
            for position in 0..<4 {
                let character = characters[index + position]
                let value: UInt32
                if character == UInt8(ascii: "=") {
                    guard index + 4 == characters.count, position >= 2 else { return nil }
                    padding += 1
                    value = 0
                } else {
                    guard padding == 0, let found = alphabet.firstIndex(of: character) else { return nil }
                    value = UInt32(found)
                }
                word = word << 6 | value
            }
            output.append(UInt8(word >> 16))
            if padding < 2 { output.append(UInt8((word >> 8) & 0xFF)) }
            if padding < 1 { output.append(UInt8(word & 0xFF)) }
            index += 4
        }
        return output
    }
}

extension String {
    fileprivate var trimmingWhitespace: Substring {
        var result = Substring(self)
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}
