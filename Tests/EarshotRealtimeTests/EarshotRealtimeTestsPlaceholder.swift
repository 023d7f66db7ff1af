import Testing

@Suite struct EarshotRealtimeTestsPlaceholder {
    @Test func builds() { #expect(Bool(true)) }
}
