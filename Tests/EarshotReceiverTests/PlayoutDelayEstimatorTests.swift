@testable import EarshotReceiver
import Foundation
import Testing

@Suite struct PlayoutDelayEstimatorTests {
    @Test func fixedModeHoldsTheConfiguredLatency() {
        var estimator = PlayoutDelayEstimator(configuration: .init(mode: .fixed(milliseconds: 15)))
        #expect(estimator.targetDelayMs == 15)
        for index in 0..<100 {
            estimator.recordArrival(timestamp: Int64(index) * 480, arrivalNanos: UInt64(index) * 10_000_000
                + UInt64(index % 7) * 3_000_000)
        }
        #expect(estimator.targetDelayMs == 15)
    }

    @Test func relativeDelayIsMeasuredAgainstTheFastestPacket() {
        var estimator = PlayoutDelayEstimator()
        estimator.recordArrival(timestamp: 0, arrivalNanos: 5_000_000)
        estimator.recordArrival(timestamp: 480, arrivalNanos: 15_000_000)  // same transit
        #expect(abs(estimator.lastRelativeDelayMs) < 1e-9)
        estimator.recordArrival(timestamp: 960, arrivalNanos: 32_000_000)  // 7 ms later than the line
        #expect(abs(estimator.lastRelativeDelayMs - 7) < 1e-6)
        estimator.recordArrival(timestamp: 1440, arrivalNanos: 33_000_000)  // 2 ms faster: the new reference
        #expect(abs(estimator.lastRelativeDelayMs) < 1e-9)
        // Frame at 1920 would earliest arrive at 43 ms: played at 50 ms it has waited 7 ms.
        #expect(abs(estimator.playoutDelayMs(timestamp: 1920, nowNanos: 50_000_000)! - 7) < 1e-6)
    }

    @Test func automaticTargetIsClampedToItsBounds() {
        var estimator = PlayoutDelayEstimator(
            configuration: .init(mode: .automatic(minimumMs: 4, maximumMs: 30), initialTargetMs: 0)
        )
        #expect(estimator.targetDelayMs == 4)
        estimator.recordArrival(timestamp: 0, arrivalNanos: 0)
        estimator.recordArrival(timestamp: 480, arrivalNanos: 210_000_000)  // 200 ms late
        #expect(estimator.targetDelayMs == 30)
    }

    /// The same arrivals with and without the receiver's allowance for waiting: the automatic target is lower by
    /// it, down to the minimum; a fixed latency is what the user asked for and stays.
    @Test func lateAllowanceLowersTheAutomaticTargetOnly() {
        func target(_ mode: PlayoutDelayEstimator.Mode, allowanceMs: Double, lateMs: Int64) -> Double {
            var estimator = PlayoutDelayEstimator(
                configuration: .init(mode: mode, initialTargetMs: 0, lateAllowanceMs: allowanceMs))
            for index in 0..<200 {
                let late: Int64 = index % 50 == 25 ? lateMs * 1_000_000 : 0
                estimator.recordArrival(
                    timestamp: Int64(index) * 240, arrivalNanos: UInt64(Int64(index) * 5_000_000 + late))
            }
            return estimator.targetDelayMs
        }
        let automatic = PlayoutDelayEstimator.Mode.automatic(minimumMs: 2, maximumMs: 500)
        let withoutAllowance = target(automatic, allowanceMs: 0, lateMs: 15)
        #expect(withoutAllowance >= 15, "a 15 ms late packet raises the target to cover it")
        #expect(target(automatic, allowanceMs: 10, lateMs: 15) == withoutAllowance - 10)
        #expect(target(automatic, allowanceMs: 10, lateMs: 5) == 2, "never below the minimum")
        #expect(target(.fixed(milliseconds: 7), allowanceMs: 10, lateMs: 15) == 7)
    }

    @Test func interarrivalJitterFollowsRFC3550() {
        var estimator = PlayoutDelayEstimator()
        // Alternating ±2 ms around the line: |D| = 4 ms each step, J converges to 4 ms.
        for index in 0..<500 {
            let wobble: Int64 = index % 2 == 0 ? 2_000_000 : -2_000_000
            estimator.recordArrival(
                timestamp: Int64(index) * 480, arrivalNanos: UInt64(100_000_000 + Int64(index) * 10_000_000 + wobble)
            )
        }
        #expect(abs(estimator.jitterMs - 4) < 0.01)
    }

    @Test func exponentialDecayMatchesLibm() {
        for x in [0.0, 1e-6, 0.0025, 0.01, 0.3, 1, 3.7, 20, 100] {
            let ours = PlayoutDelayEstimator.exponentialDecay(x)
            #expect(abs(ours - Foundation.exp(-x)) <= 1e-7 * Foundation.exp(-x) + 1e-300)
        }
    }
}
