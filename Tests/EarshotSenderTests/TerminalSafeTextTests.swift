@testable import EarshotSender
import Testing

/// CNAMEs come from anyone who can send a datagram: what reaches a terminal or a log line must be inert.
@Suite struct TerminalSafeTextTests {
    private func sanitized(_ text: String, limit: Int = TerminalSafeText.defaultLimit) -> String {
        TerminalSafeText.sanitized(Array(text.utf8), limit: limit)
    }

    /// Nothing a terminal acts on survives: no C0/C1 control, DEL, or separator reaches the output raw.
    private func isInert(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            !(scalar.value < 0x21 || (0x7F...0x9F).contains(scalar.value))
                && scalar.properties.generalCategory != .format
                && scalar.properties.generalCategory != .lineSeparator
                && scalar.properties.generalCategory != .paragraphSeparator
                && scalar.properties.generalCategory != .spaceSeparator
        }
    }

    @Test func escapeSequencesAndNewlinesAreEscapedNotPassed() {
        let hostile = "\u{1b}[2J\u{1b}[31mroot@victim\nearshot-send: done: packets=0\r\u{7}"
        let result = sanitized(hostile, limit: 200)
        #expect(result == "\\x1b[2J\\x1b[31mroot@victim\\x0aearshot-send:\\x20done:\\x20packets=0\\x0d\\x07")
        #expect(isInert(result))
        #expect(!result.contains("\n") && !result.contains("\u{1b}") && !result.contains(" "))
    }

    @Test func ordinaryCNAMEsAreUnchanged() {
        for cname in ["earshot-recv@livingroom", "user@192.168.1.20", "alice@[fe80::1]", "jörg@küche", "音@家"] {
            #expect(sanitized(cname) == cname)
        }
    }

    @Test func invisibleAndAmbiguousCharactersAreEscaped() {
        // C1 CSI, bidi override, zero-width joiner, a combining mark, no-break space, backslash, DEL.
        #expect(sanitized("a\u{9b}2Jb") == "a\\x9b2Jb")
        #expect(sanitized("evil\u{202e}txt.exe") == "evil\\u{202e}txt.exe")
        #expect(sanitized("a\u{200d}b\u{301}c\u{a0}d") == "a\\u{200d}b\\u{301}c\\xa0d")
        #expect(sanitized("back\\slash\u{7f}") == "back\\\\slash\\x7f")
    }

    @Test func invalidUTF8BecomesAReplacementCharacter() {
        let result = TerminalSafeText.sanitized([0x61, 0xFF, 0xC3, 0x62] as [UInt8])
        #expect(result == "a\u{FFFD}\u{FFFD}b")
        #expect(isInert(result))
    }

    @Test func lengthIsCappedEscapesIncluded() {
        #expect(sanitized(String(repeating: "a", count: 255)) == String(repeating: "a", count: 64) + "…")
        #expect(sanitized(String(repeating: "a", count: 64)) == String(repeating: "a", count: 64))
        // 4 characters per escaped ESC: 16 fit in 64, and an escape is never cut in half.
        let escapes = sanitized(String(repeating: "\u{1b}", count: 100))
        #expect(escapes == String(repeating: "\\x1b", count: 16) + "…")
        #expect(sanitized("abc\u{1b}", limit: 5) == "abc…")
    }
}
