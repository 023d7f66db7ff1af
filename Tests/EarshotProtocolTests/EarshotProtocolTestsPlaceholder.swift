import Testing

@Suite struct EarshotProtocolTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
