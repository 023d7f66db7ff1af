/// A network condition, applied with `earshot-impair` between sender and receiver (nil arguments: direct).
public struct NetworkImpairment: Sendable {
    public var name: String
    public var proxyArguments: [String]?

    public static let clean = NetworkImpairment(name: "clean", proxyArguments: nil)
    /// 2 % random loss, uniform ±3 ms jitter.
    public static let lossAndJitter = NetworkImpairment(
        name: "2% loss + 3 ms jitter", proxyArguments: ["--loss", "2", "--jitter", "3", "--seed", "7"])
    /// Gilbert–Elliott: enter bad 1.32 %, leave 25 % (mean burst 4 packets), all lost while bad: 5 % mean loss.
    public static let burstyLoss = NetworkImpairment(
        name: "5% bursty loss", proxyArguments: ["--burst", "1.32,25", "--seed", "7"])

    public static let all = [clean, lossAndJitter, burstyLoss]
}
