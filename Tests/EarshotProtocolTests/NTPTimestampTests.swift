import Testing

@testable import EarshotProtocol

@Suite struct NTPTimestampTests {
    @Test func unixRoundTripAndEpoch() {
        let zero = NTPTimestamp(unixSeconds: 0, nanoseconds: 0)
        #expect(zero.seconds == 2_208_988_800 && zero.fraction == 0)
        let half = NTPTimestamp(unixSeconds: 1_700_000_000, nanoseconds: 500_000_000)
        #expect(half.fraction == 0x8000_0000)
        let back = NTPTimestamp(unixSeconds: 1_700_000_123, nanoseconds: 123_456_789).unixTime
        #expect(back.seconds == 1_700_000_123 && abs(back.nanoseconds - 123_456_789) <= 1)
    }

    @Test func middle32AndRoundTripTimePerSection641() {
        // RFC 3550 6.4.1 example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
        // DLSR = 0x0005:4000 (5.250 s) → RTT = 0x0006:2000 = 6.125 s.
        let arrival = NTPTimestamp(seconds: 0x0000_B710, fraction: 0x8000_0000)
        #expect(arrival.middle32 == 0xB710_8000)
        let rtt = NTPTimestamp.roundTripTime(
            arrival: arrival, lastSenderReport: 0xB705_2000, delaySinceLastSenderReport: 0x0005_4000)
        #expect(rtt == 6.125)
        #expect(NTPTimestamp.roundTripTime(arrival: arrival, lastSenderReport: 0, delaySinceLastSenderReport: 0) == nil)
        #expect(NTPTimestamp.compactDuration(seconds: 5.25) == 0x0005_4000)
        #expect(NTPTimestamp.compactDuration(seconds: -1) == 0)
    }
}
