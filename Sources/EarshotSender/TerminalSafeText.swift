/// Text from the network (an RTCP SDES CNAME) made safe to write to a terminal or a log line.
///
/// Contract of `sanitized`: the result holds only printable, non-space characters: ASCII `!` ... `~` and non-ASCII
/// letters, numbers, punctuation and symbols. Everything else is escaped in place: control characters (so no
/// `ESC [2J`, `\r` or newline reaches a terminal or splits a log line), spaces and other separators (so no fake
/// `key=value` fields), format characters (bidi overrides, zero-width), combining marks (they stack onto what
/// precedes), private-use, unassigned and invalid UTF-8 (already U+FFFD) as `\xHH` below U+0100 and `\u{H…}` above;
/// a backslash becomes `\\`, so every escape is unambiguous. At most `limit` characters (an escape counts its full
/// length), then `…` when cut. Pure; any thread.
enum TerminalSafeText {
    /// Room for any real CNAME (`user@host` or an address) while bounding what a stranger can put on one line.
    static let defaultLimit = 64

    static func sanitized(_ bytes: some Collection<UInt8>, limit: Int = defaultLimit) -> String {
        var result = ""
        var length = 0
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            let piece = isShown(scalar) ? String(scalar) : escaped(scalar)
            guard length + piece.unicodeScalars.count <= limit else {
                result += "…"
                break
            }
            result += piece
            length += piece.unicodeScalars.count
        }
        return result
    }

    private static func isShown(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value >= 0x21 && scalar.value <= 0x7E && scalar != "\\" }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation,
            .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        if scalar == "\\" { return "\\\\" }
        let hex = String(scalar.value, radix: 16)
        return scalar.value < 0x100
            ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{" + hex + "}"
    }
}
