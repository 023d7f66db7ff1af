import Testing

@Suite struct EarshotImpairmentTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
