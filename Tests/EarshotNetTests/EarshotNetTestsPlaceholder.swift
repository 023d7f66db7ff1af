import Testing

@Suite struct EarshotNetTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
