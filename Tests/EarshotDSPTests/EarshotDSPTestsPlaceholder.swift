import Testing

@Suite struct EarshotDSPTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
