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

    @Test func refillComesJustBeforeTheNextTake() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        #expect(cadence.refillLead == 300_000)
        let take = 1_000_000_000
        cadence.recordTake(atNanoseconds: take, deviceHeldFrames: 720)
        // Just after the take: the lead before the next one.
        #expect(cadence.refillInstant(after: take + 100_000) == take + 4_700_000)
        #expect(cadence.refillInstant(after: take + 4_000_000) == take + 4_700_000)
        // At or past it (the producer has just refilled): before the take after next.
        #expect(cadence.refillInstant(after: take + 4_700_000) == take + 9_700_000)
        // Takes that did not come (a stalled device): the phase of the last one is kept, never a time in the past.
        #expect(cadence.refillInstant(after: take + 23_000_000) == take + 24_700_000)
        // The next take re-phases the refills.
        cadence.recordTake(atNanoseconds: take + 6_000_000, deviceHeldFrames: 720)
        #expect(cadence.refillInstant(after: take + 6_100_000) == take + 10_700_000)
    }

    /// The lead is at most half the time between two takes: a 0.5 ms period refills a quarter millisecond before its
    /// takes, and two 5 ms periods per take still refill 0.3 ms before.
    @Test(arguments: [(500_000, 250_000), (10_000_000, 9_700_000)])
    func leadIsAtMostHalfATakeInterval(interval: Int, refillAfterTake: Int) {
        let cadence = PlaybackCadence(periodNanoseconds: interval)
        defer { cadence.destroy() }
        let take = 1_000_000_000
        cadence.recordTake(atNanoseconds: take, deviceHeldFrames: 720)
        #expect(cadence.refillInstant(after: take + 1) == take + refillAfterTake)
    }

    /// After a refill, the next one comes before the first take still to come: a take that came a little late and
    /// was already served by the refill does not get a second one a moment later.
    @Test func theNextRefillFollowsTheFirstTakeNotYetSeen() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        let take = 1_000_000_000
        cadence.recordTake(atNanoseconds: take, deviceHeldFrames: 720)
        #expect(cadence.nextRefillInstant(afterRefillAt: take + 4_700_000) == take + 9_700_000)
        // A refill that woke after the take it was for (which the playback thread held back for it) still leaves the
        // next take its own refill.
        #expect(cadence.nextRefillInstant(afterRefillAt: take + 5_200_000) == take + 9_700_000)
        // The next take comes 0.8 ms late, and the producer wakes at 9.7 ms, on the old phase, and refills for the
        // take after it (due at 10.8 ms).
        cadence.recordTake(atNanoseconds: take + 5_800_000, deviceHeldFrames: 720)
        #expect(cadence.refillInstant(after: take + 9_700_000) == take + 10_500_000, "the naive rule: again in 0.8 ms")
        #expect(cadence.nextRefillInstant(afterRefillAt: take + 9_700_000) == take + 15_500_000)
    }

    /// The producer tops the ring up against what the device held at the last wake, whether it took or not; a wake
    /// that took nothing keeps the refills' phase.
    @Test func deviceHeldFramesFollowEveryWake() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        #expect(cadence.deviceHeldFrames == 0)
        let take = 1_000_000_000
        cadence.recordTake(atNanoseconds: take, deviceHeldFrames: 720)
        #expect(cadence.deviceHeldFrames == 720)
        cadence.recordHeld(deviceHeldFrames: 480)
        #expect(cadence.deviceHeldFrames == 480)
        #expect(cadence.refillInstant(after: take + 100_000) == take + 4_700_000)
    }

    /// The playback thread stamps takes and levels while the producer reads them on another thread: a producer that
    /// sees a stamp or a level also sees what the playback thread wrote before it (in the receiver, the ring's read
    /// index). Even values go through `recordTake` and the refill instant, odd ones through `recordHeld` and
    /// `deviceHeldFrames`. Under ThreadSanitizer (Tests/run-thread-sanitizer.sh) a missing release or acquire in
    /// either is reported as a data race on the handed-over payload.
    @Test func twoThreadStampsHandOverWhatCameBefore() {
        let cadence = PlaybackCadence(periodNanoseconds: Self.period)
        defer { cadence.destroy() }
        let result = HandOverStress.run(
            seconds: 2,
            publish: { value in
                if value % 2 == 0 {
                    cadence.recordTake(atNanoseconds: value, deviceHeldFrames: value)
                } else {
                    cadence.recordHeld(deviceHeldFrames: value)
                }
            },
            isPublished: { value in
                value % 2 == 0
                    ? cadence.refillInstant(after: 0) == value + Self.period - cadence.refillLead
                    : cadence.deviceHeldFrames == value
            })
        #expect(!result.timedOut)
        #expect(result.mismatches == 0)
        #expect(result.handOvers > 100)
        print("cadence hand-over: \(result.handOvers) values, \(result.mismatches) mismatches")
    }

    /// The playback thread writes what the ring holds in whole periods, and conceals only when the device would be
    /// left with less than a period (5 ms periods, a 3-period device buffer).
    @Test(arguments: [
        // room, ring frames, has played, expected periods
        (720, 0, false, 3),  // before the first audio: fill the device (with silence)
        (240, 480, true, 1),  // the usual take: one period of room, the ring has it
        (480, 480, true, 2),  // a server that took two periods at once, the ring has both
        (480, 300, true, 1),  // ... the ring has one whole period: write it, the device keeps 480
        (480, 100, true, 0),  // ... none whole, the device still holds 240: wait for the producer
        (720, 100, true, 1),  // the device is empty: conceal one period (100 frames and a fade)
        (720, 240, true, 1),  // after an xrun: write the period there is, the device then holds one
        (600, 0, true, 1),  // 120 held: below a period, so conceal
        (100, 0, true, 0),  // no whole period of room
    ] as [(Int, Int, Bool, Int)])
    func periodsToWrite(room: Int, ringFrames: Int, hasPlayed: Bool, expected: Int) {
        #expect(
            PlaybackLoop.periodsToWrite(
                room: room, ringFrames: ringFrames, bufferFrames: 720, periodFrames: 240, hasPlayed: hasPlayed)
                == expected)
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
