/// What to do to a packet stream. Percentages are 0...100, times are milliseconds.
///
/// The parameter names in `ImpairmentProfileError` are the `earshot-impair` flags that set them.
public struct ImpairmentProfile: Sendable, Equatable {
    /// Independent random loss.
    public var lossPercent: Double = 0
    /// Bursty loss on top of `lossPercent`; nil disables it.
    public var burst: GilbertElliottParameters? = nil
    /// Fixed one-way delay added to every packet.
    public var delayMilliseconds: Double = 0
    /// Jitter amplitude: half-width for `.uniform`, standard deviation for `.normal`. Total delay is clamped at 0.
    public var jitterMilliseconds: Double = 0
    public var jitterDistribution: JitterDistribution = .uniform
    /// Chance a packet is held back by `reorderDelayMilliseconds` extra, so later packets overtake it.
    public var reorderPercent: Double = 0
    public var reorderDelayMilliseconds: Double = 10
    /// Chance a packet is sent twice (same bytes, same delay).
    public var duplicatePercent: Double = 0
    /// Chance a packet gets `corruptBits` random bit flips (and, with `truncateCorrupted`, a random shorter length).
    public var corruptPercent: Double = 0
    public var corruptBits: Int = 1
    public var truncateCorrupted: Bool = false

    public init() {}

    /// Throws for the first parameter outside its valid range, naming it and the range.
    public func validate() throws(ImpairmentProfileError) {
        try Self.check("--loss", lossPercent, 0...100)
        if let burst {
            try Self.check("--burst p", burst.enterBadPercent, 0...100)
            try Self.check("--burst r", burst.leaveBadPercent, 0...100)
            try Self.check("--burst loss-in-bad", burst.badStateLossPercent, 0...100)
        }
        try Self.check("--delay", delayMilliseconds, 0...60_000)
        try Self.check("--jitter", jitterMilliseconds, 0...10_000)
        try Self.check("--reorder", reorderPercent, 0...100)
        try Self.check("--reorder-delay", reorderDelayMilliseconds, 0...10_000)
        try Self.check("--duplicate", duplicatePercent, 0...100)
        try Self.check("--corrupt", corruptPercent, 0...100)
        try Self.check("--corrupt-bits", Double(corruptBits), 1...64)
    }

    private static func check(_ name: String, _ value: Double, _ range: ClosedRange<Double>)
        throws(ImpairmentProfileError)
    {
        guard value.isFinite, range.contains(value) else {
            throw .outOfRange(parameter: name, value: value, valid: range)
        }
    }
}

public enum JitterDistribution: String, Sendable, Equatable, CaseIterable {
    case uniform
    case normal
}

/// A parameter outside its valid range.
public enum ImpairmentProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    case outOfRange(parameter: String, value: Double, valid: ClosedRange<Double>)
    case integerOutOfRange(parameter: String, value: Int, valid: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .outOfRange(let parameter, let value, let valid):
            "\(parameter) \(value) is out of range; valid: \(valid.lowerBound)...\(valid.upperBound)"
        case .integerOutOfRange(let parameter, let value, let valid):
            "\(parameter) \(value) is out of range; valid: integers \(valid.lowerBound)...\(valid.upperBound)"
        }
    }
}
