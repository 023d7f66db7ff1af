import Testing

@testable import EarshotProtocol

@Suite struct InterarrivalJitterTests {
    @Test func constantTransitHasZeroJitter() {
        var jitter = InterarrivalJitter()
        for index in 0..<100 {
            let timestamp = UInt32(index * 240) &+ 0xFFFF_0000
            jitter.update(arrival: timestamp &+ 5_000, timestamp: timestamp)
        }
        #expect(jitter.jitter == 0)
    }

    @Test func alternatingDelayConvergesToItsAmplitude() {
        // Transit alternates ±D around a constant: |D(i-1,i)| = 2D each packet, so J converges to 2D (A.8).
        var jitter = InterarrivalJitter()
        for index in 0..<2000 {
            let timestamp = UInt32(index * 240)
            let delay: UInt32 = index % 2 == 0 ? 1000 : 1000 + 96
            jitter.update(arrival: timestamp + delay, timestamp: timestamp)
        }
        #expect((94...96).contains(jitter.jitter))
    }

    @Test func matchesTheFloatingPointFormula() {
        var jitter = InterarrivalJitter()
        var reference = 0.0
        var previousTransit: Double?
        var seed: UInt32 = 12345
        for index in 0..<500 {
            seed = seed &* 1_103_515_245 &+ 12345
            let delay = Double(seed >> 20)  // 0..4095 units of jitter
            let timestamp = UInt32(index * 480)
            jitter.update(arrival: timestamp &+ UInt32(delay), timestamp: timestamp)
            if let previousTransit { reference += (abs(delay - previousTransit) - reference) / 16 }
            previousTransit = delay
        }
        #expect(abs(Double(jitter.jitter) - reference) <= 2, "integer \(jitter.jitter) vs float \(reference)")
        #expect(reference > 100)
    }
}
