import EarshotImpairment
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ImpairmentModelTests {
    private func decisions(_ profile: ImpairmentProfile, seed: UInt64 = 42, count: Int) -> [PacketDecision] {
        var model = ImpairmentModel(profile: profile, seed: seed)
        return (0..<count).map { _ in model.decide() }
    }

    @Test func sameSeedGivesSameDecisions() {
        var profile = ImpairmentProfile()
        profile.lossPercent = 10
        profile.burst = GilbertElliottParameters(enterBadPercent: 2, leaveBadPercent: 30)
        profile.jitterMilliseconds = 3
        profile.jitterDistribution = .normal
        profile.delayMilliseconds = 5
        profile.reorderPercent = 5
        profile.duplicatePercent = 5
        profile.corruptPercent = 5
        let first = decisions(profile, seed: 7, count: 5000)
        #expect(first == decisions(profile, seed: 7, count: 5000))
        #expect(first != decisions(profile, seed: 8, count: 5000))
    }

    @Test func otherImpairmentsDoNotShiftLossDecisions() {
        var lossOnly = ImpairmentProfile()
        lossOnly.lossPercent = 20
        var everything = lossOnly
        everything.corruptPercent = 50
        everything.duplicatePercent = 50
        everything.jitterMilliseconds = 10
        let a = decisions(lossOnly, count: 5000).map(\.isDropped)
        let b = decisions(everything, count: 5000).map(\.isDropped)
        #expect(a == b)
    }

    @Test(arguments: [1.0, 10.0, 50.0])
    func randomLossRate(percent: Double) {
        var profile = ImpairmentProfile()
        profile.lossPercent = percent
        let count = 100_000
        let dropped = decisions(profile, count: count).filter { $0.fate == .drop(.random) }.count
        let p = percent / 100
        let sigma = (p * (1 - p) / Double(count)).squareRoot()
        #expect(abs(Double(dropped) / Double(count) - p) < 5 * sigma)
    }

    @Test func noImpairmentForwardsEverythingUntouched() {
        let all = decisions(ImpairmentProfile(), count: 10_000)
        #expect(all.allSatisfy {
            $0.fate == .forward && $0.delayNanoseconds == 0 && !$0.reordered && !$0.duplicated && $0.corruption == nil
        })
    }

    @Test func gilbertElliottLossRateAndBurstLength() {
        var profile = ImpairmentProfile()
        let parameters = GilbertElliottParameters(enterBadPercent: 5, leaveBadPercent: 50)
        profile.burst = parameters
        let all = decisions(profile, count: 200_000)
        let lost = all.map { $0.fate == .drop(.burst) }
        let rate = Double(lost.filter { $0 }.count) / Double(all.count)
        #expect(abs(parameters.expectedLossFraction - 5.0 / 55.0) < 1e-12)
        #expect(abs(rate - parameters.expectedLossFraction) < 0.01)

        var bursts = 0
        var previous = false
        for loss in lost {
            if loss && !previous { bursts += 1 }
            previous = loss
        }
        // Bad-state runs last 1/r = 2 packets on average; with h = 100 % every bad packet is lost.
        let meanBurst = Double(lost.filter { $0 }.count) / Double(bursts)
        #expect(abs(meanBurst - 2.0) < 0.1)
    }

    @Test func gilbertElliottPartialLossInBadState() {
        var profile = ImpairmentProfile()
        profile.burst = GilbertElliottParameters(enterBadPercent: 10, leaveBadPercent: 10, badStateLossPercent: 40)
        let all = decisions(profile, count: 200_000)
        let rate = Double(all.filter(\.isDropped).count) / Double(all.count)
        #expect(abs(rate - 0.2) < 0.015)
    }

    @Test func uniformJitterStaysInBoundsWithRightMean() {
        var profile = ImpairmentProfile()
        profile.delayMilliseconds = 20
        profile.jitterMilliseconds = 5
        let delays = decisions(profile, count: 50_000).map { Double($0.delayNanoseconds) / 1e6 }
        #expect(delays.min()! >= 15 && delays.max()! <= 25)
        #expect(delays.min()! < 15.1 && delays.max()! > 24.9)
        let mean = delays.reduce(0, +) / Double(delays.count)
        #expect(abs(mean - 20) < 0.1)
        // Uniform on ±5: standard deviation 5/√3.
        #expect(abs(standardDeviation(delays) - 5 / 3.0.squareRoot()) < 0.05)
    }

    @Test func normalJitterHasGivenStandardDeviation() {
        var profile = ImpairmentProfile()
        profile.delayMilliseconds = 50
        profile.jitterMilliseconds = 4
        profile.jitterDistribution = .normal
        let delays = decisions(profile, count: 50_000).map { Double($0.delayNanoseconds) / 1e6 }
        let mean = delays.reduce(0, +) / Double(delays.count)
        #expect(abs(mean - 50) < 0.1)
        #expect(abs(standardDeviation(delays) - 4) < 0.1)
        // About 4.6 % of a normal lies beyond 2σ.
        let tails = Double(delays.filter { abs($0 - 50) > 8 }.count) / Double(delays.count)
        #expect(abs(tails - 0.0455) < 0.005)
    }

    @Test func delayIsNeverNegative() {
        var profile = ImpairmentProfile()
        profile.delayMilliseconds = 1
        profile.jitterMilliseconds = 10
        profile.jitterDistribution = .normal
        let all = decisions(profile, count: 20_000)
        #expect(all.allSatisfy { $0.delayNanoseconds >= 0 })
        #expect(all.contains { $0.delayNanoseconds == 0 })
    }

    @Test func reorderDuplicateAndCorruptRates() {
        var profile = ImpairmentProfile()
        profile.delayMilliseconds = 2
        profile.reorderPercent = 10
        profile.reorderDelayMilliseconds = 15
        profile.duplicatePercent = 5
        profile.corruptPercent = 20
        let count = 100_000
        let all = decisions(profile, count: count)
        func near(_ observed: Int, _ percent: Double) -> Bool {
            let p = percent / 100
            return abs(Double(observed) / Double(count) - p) < 5 * (p * (1 - p) / Double(count)).squareRoot()
        }
        #expect(near(all.filter(\.reordered).count, 10))
        #expect(near(all.filter(\.duplicated).count, 5))
        #expect(near(all.filter { $0.corruption != nil }.count, 20))
        #expect(all.filter(\.reordered).allSatisfy { $0.delayNanoseconds == 17_000_000 })
        #expect(all.filter { !$0.reordered }.allSatisfy { $0.delayNanoseconds == 2_000_000 })
    }

    @Test func profileValidationNamesFlagAndRange() {
        var profile = ImpairmentProfile()
        profile.lossPercent = 101
        #expect(throws: ImpairmentProfileError.outOfRange(parameter: "--loss", value: 101, valid: 0...100)) {
            try profile.validate()
        }
        profile.lossPercent = .nan
        #expect(throws: ImpairmentProfileError.self) { try profile.validate() }
        profile = ImpairmentProfile()
        profile.jitterMilliseconds = -1
        #expect {
            try profile.validate()
        } throws: { error in
            "\(error)".contains("--jitter") && "\(error)".contains("0.0...10000.0")
        }
        profile = ImpairmentProfile()
        profile.burst = GilbertElliottParameters(enterBadPercent: 5, leaveBadPercent: 150)
        #expect(throws: ImpairmentProfileError.self) { try profile.validate() }
        #expect(throws: Never.self) { try ImpairmentProfile().validate() }
    }
}

func standardDeviation(_ values: [Double]) -> Double {
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
}
