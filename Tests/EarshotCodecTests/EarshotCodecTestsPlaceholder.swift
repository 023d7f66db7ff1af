import Testing

@Suite struct EarshotCodecTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
