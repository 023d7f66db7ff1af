/// Parameters of the Gilbert–Elliott two-state loss channel, in percent per packet.
///
/// Stationary share of packets in the bad state: p / (p + r); mean burst length in the bad state: 1 / r.
/// Expected loss rate (no loss in the good state): p / (p + r) × badStateLossPercent / 100.
public struct GilbertElliottParameters: Sendable, Equatable {
    /// p: chance per packet to go from good to bad.
    public var enterBadPercent: Double
    /// r: chance per packet to go from bad back to good.
    public var leaveBadPercent: Double
    /// h: chance a packet in the bad state is lost (100 = the classic Gilbert model).
    public var badStateLossPercent: Double

    public init(enterBadPercent: Double, leaveBadPercent: Double, badStateLossPercent: Double = 100) {
        self.enterBadPercent = enterBadPercent
        self.leaveBadPercent = leaveBadPercent
        self.badStateLossPercent = badStateLossPercent
    }

    /// The long-run loss fraction (0...1) this channel produces.
    public var expectedLossFraction: Double {
        let p = enterBadPercent / 100
        let r = leaveBadPercent / 100
        guard p + r > 0 else { return 0 }
        return p / (p + r) * badStateLossPercent / 100
    }
}

/// The channel's state machine. Starts in the good state.
public struct GilbertElliottLoss: Sendable, Equatable {
    public let parameters: GilbertElliottParameters
    public private(set) var isBad = false

    public init(_ parameters: GilbertElliottParameters) { self.parameters = parameters }

    /// Advances one packet and says whether it is lost. `transition` and `loss` are uniform draws in [0, 1),
    /// passed in so the caller controls the random stream.
    public mutating func step(transition: Double, loss: Double) -> Bool {
        if isBad {
            if transition < parameters.leaveBadPercent / 100 { isBad = false }
        } else {
            if transition < parameters.enterBadPercent / 100 { isBad = true }
        }
        return isBad && loss < parameters.badStateLossPercent / 100
    }
}
