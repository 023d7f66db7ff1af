import Testing

@Suite struct EarshotReceiverTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
