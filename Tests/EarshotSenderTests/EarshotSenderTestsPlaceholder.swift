import Testing

@Suite struct EarshotSenderTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
