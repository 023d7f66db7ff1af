@testable import EarshotRealtime
import Testing

@Suite struct PlaybackStandbyTests {
    /// A request and the playback thread's answer, each across two threads: a thread that sees a new value also sees
    /// what the other wrote before it. Under ThreadSanitizer (Tests/run-thread-sanitizer.sh) a missing release or
    /// acquire is reported as a data race on the handed-over payload.
    @Test(arguments: [false, true])
    func twoThreadFlagsHandOverWhatCameBefore(answer: Bool) {
        let standby = PlaybackStandby()
        defer { standby.destroy() }
        // Odd values ask for standby (or report it), even ones withdraw: each value flips the flag.
        let result = HandOverStress.run(
            seconds: 1,
            publish: { value in
                if answer { standby.markActive(value % 2 == 1) } else { standby.request(value % 2 == 1) }
            },
            isPublished: { value in (answer ? standby.isActive : standby.isRequested) == (value % 2 == 1) })
        #expect(!result.timedOut)
        #expect(result.mismatches == 0)
        #expect(result.handOvers > 100)
        print("standby hand-over (\(answer ? "markActive" : "request")): \(result.handOvers) values")
    }
}
