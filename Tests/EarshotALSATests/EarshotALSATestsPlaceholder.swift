import Testing

@Suite struct EarshotALSATestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
