#if canImport(Glibc)
import Glibc  // log, cos
#endif

/// Decides, packet by packet, how to impair a stream: loss (random and bursty), delay, jitter, reordering,
/// duplication and corruption. Pure and deterministic: the same profile, seed and packet sequence give the same
/// decisions.
///
/// Every packet consumes the same number of random draws whatever the outcome, so turning one impairment up or down
/// does not reshuffle the others' decisions for a given seed. Value type; single-threaded.
public struct ImpairmentModel: Sendable {
    public let profile: ImpairmentProfile
    private var random: Xoshiro256StarStar
    private var burst: GilbertElliottLoss?

    public init(profile: ImpairmentProfile, seed: UInt64) {
        self.profile = profile
        random = Xoshiro256StarStar(seed: seed)
        burst = profile.burst.map(GilbertElliottLoss.init)
    }

    public mutating func decide() -> PacketDecision {
        let lossDraw = random.nextUnit()
        let transitionDraw = random.nextUnit()
        let burstLossDraw = random.nextUnit()
        let jitterDraw1 = random.nextUnit()
        let jitterDraw2 = random.nextUnit()
        let reorderDraw = random.nextUnit()
        let duplicateDraw = random.nextUnit()
        let corruptDraw = random.nextUnit()
        let corruptionSeed = random.next()

        // The burst channel advances on every packet, lost or not, so its state sequence depends only on the seed.
        let burstLoss = burst?.step(transition: transitionDraw, loss: burstLossDraw) ?? false
        let fate: PacketDecision.Fate
        if lossDraw < profile.lossPercent / 100 {
            fate = .drop(.random)
        } else if burstLoss {
            fate = .drop(.burst)
        } else {
            fate = .forward
        }

        var delayMilliseconds = profile.delayMilliseconds + jitter(jitterDraw1, jitterDraw2)
        let reordered = reorderDraw < profile.reorderPercent / 100
        if reordered { delayMilliseconds += profile.reorderDelayMilliseconds }
        let corrupted = corruptDraw < profile.corruptPercent / 100

        return PacketDecision(
            fate: fate,
            delayNanoseconds: Int64((max(0, delayMilliseconds) * 1_000_000).rounded()),
            reordered: reordered,
            duplicated: duplicateDraw < profile.duplicatePercent / 100,
            corruption: corrupted
                ? Corruption(seed: corruptionSeed, bitFlips: profile.corruptBits, truncate: profile.truncateCorrupted)
                : nil
        )
    }

    /// Jitter in milliseconds from two uniform draws: uniform in ±jitter, or normal with σ = jitter (Box–Muller).
    private func jitter(_ u1: Double, _ u2: Double) -> Double {
        guard profile.jitterMilliseconds > 0 else { return 0 }
        switch profile.jitterDistribution {
        case .uniform:
            return (u1 * 2 - 1) * profile.jitterMilliseconds
        case .normal:
            let radius = (-2 * log(1 - u1)).squareRoot()  // 1 - u1 is in (0, 1]: log never sees 0
            return radius * cos(2 * Double.pi * u2) * profile.jitterMilliseconds
        }
    }
}
