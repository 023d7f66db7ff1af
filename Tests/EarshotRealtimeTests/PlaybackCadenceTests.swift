import EarshotALSA
@testable import EarshotRealtime
import Foundation
import Testing

@Suite struct PlaybackCadenceTests {
    static let period = 5_000_000

    @Test func noRefillInstantBeforeTheFirstTake() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        #expect(cadence.refillInstant(after: 1_000_000_000) == nil)
    }

    @Test func refillIsHalfwayToTheNextTake() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        let take = 1_000_000_000
        cadence.recordTake(atNanoseconds: take)
        // Just after the take: halfway to the next one.
        #expect(cadence.refillInstant(after: take + 100_000) == take + 2_500_000)
        // At or past halfway (the producer has just refilled): halfway to the take after next.
        #expect(cadence.refillInstant(after: take + 2_500_000) == take + 7_500_000)
        #expect(cadence.refillInstant(after: take + 4_000_000) == take + 7_500_000)
        // Takes that did not come (a stalled device): the phase of the last one is kept, never a time in the past.
        #expect(cadence.refillInstant(after: take + 23_000_000) == take + 27_500_000)
        // The next take re-phases the refills.
        cadence.recordTake(atNanoseconds: take + 6_000_000)
        #expect(cadence.refillInstant(after: take + 6_100_000) == take + 8_500_000)
    }

    /// The playback thread stamps its takes (on ALSA's unpaced `null` PCM, so many take place at once).
    @Test func playbackThreadStampsItsTakes() throws {
        let device = try PCMDevice(
            name: "null", stream: .playback,
            configuration: PCMConfiguration(channels: 2, periodFrames: 240, bufferFrames: 960))
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        let before = PlaybackCadence.nowNanoseconds()
        let playback = PlaybackThread(
            device: device, ring: ring, options: .init(scheduling: .normal, pacing: .deviceWakeups, cadence: cadence))
        try playback.start()
        var waited = 0
        while playback.counters.periods < 10 && waited < 5_000 {
            usleep(1_000)
            waited += 1
        }
        playback.stop()
        let after = PlaybackCadence.nowNanoseconds()
        let refill = try #require(cadence.refillInstant(after: before))
        #expect(refill > before && refill <= after + Self.period, "a take was stamped between start and stop")
    }
}
