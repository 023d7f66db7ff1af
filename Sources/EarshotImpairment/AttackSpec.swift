/// One `--attack KIND[:PARAM=VALUE,...]` argument, parsed and range-checked: the class and its parameters, class
/// defaults filled in. Parameters a class does not take are rejected, so every field applies to `kind`.
///
/// Parameters (ranges as checked by `init(parsing:)`):
/// - `interval-ms` 0.5...600000: period between injections (not `flood`); default per `AttackKind`;
///   `ssrc-spoof` and `probation-starvation` default to the stream's packet interval.
/// - `after-ms` 0...3600000: wait after the first genuine packet before the first injection (default 0).
/// - `source` genuine|other: the socket to send from (not `flood`); default per `AttackKind`.
/// - `ahead` 1...32767: sequence distance past the newest genuine packet (`far-ahead` 300, `resync-burst` 5000).
/// - `count` 1...16: packets per `resync-burst` injection (3).
/// - `offset` −2147483648...2147483647: `timestamp-outlier`'s timestamp offset, samples (45120).
/// - `payload` old|silence: `ssrc-spoof`'s payload (old).
/// - `ports` both|rtcp|rtp: where `spoofed-bye` sends (both).
/// - `strangers` 2...64: foreign SSRCs of `probation-starvation` (4).
/// - `rate` 1...1000000: `flood` packets per second (50000).
/// - `garbage` 0...100: percent of `flood` packets that are garbage rather than RTP (50).
public struct AttackSpec: Sendable, Equatable {
    public var kind: AttackKind
    /// nil: the stream's packet interval (only for classes without a default period).
    public var intervalMilliseconds: Double?
    public var afterMilliseconds: Double = 0
    public var source: AttackSource
    public var ahead: Int
    public var count = 3
    public var offset: Int32 = 45_120
    public var payload: SpoofPayload = .old
    public var ports: SpoofedByePorts = .both
    public var strangers = 4
    public var rate = 50_000
    public var garbagePercent: Double = 50

    public static let intervalRange: ClosedRange<Double> = 0.5...600_000
    public static let afterRange: ClosedRange<Double> = 0...3_600_000
    public static let aheadRange: ClosedRange<Int> = 1...32_767
    public static let countRange: ClosedRange<Int> = 1...16
    public static let strangersRange: ClosedRange<Int> = 2...64
    public static let rateRange: ClosedRange<Int> = 1...1_000_000
    public static let garbageRange: ClosedRange<Double> = 0...100

    /// The class with all its defaults.
    public init(kind: AttackKind) {
        self.kind = kind
        intervalMilliseconds = kind.defaultIntervalMilliseconds
        source = kind.defaultSource
        ahead = kind == .resyncBurst ? 5000 : 300
    }

    /// Parses `KIND[:PARAM=VALUE,...]`.
    public init(parsing text: String) throws(AttackSpecError) {
        let (name, parameterText) = Self.splitOnce(text, at: ":")
        guard let kind = AttackKind(rawValue: name) else {
            throw AttackSpecError(
                argument: text,
                problem: "unknown class '\(name)'; valid: \(AttackKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(kind: kind)
        guard let parameterText else { return }
        var seen: Set<String> = []
        for pair in parameterText.split(separator: ",", omittingEmptySubsequences: false) {
            let (key, value) = Self.splitOnce(String(pair), at: "=")
            guard kind.parameterNames.contains(key) else {
                throw AttackSpecError(
                    argument: text,
                    problem: "unknown parameter '\(key)' for \(kind); valid: \(kind.parameterNames.joined(separator: ", "))")
            }
            guard let value, !value.isEmpty else {
                throw AttackSpecError(argument: text, problem: "parameter '\(key)' needs a value (\(key)=VALUE)")
            }
            guard seen.insert(key).inserted else {
                throw AttackSpecError(argument: text, problem: "parameter '\(key)' given twice")
            }
            try set(key, value, argument: text)
        }
    }

    private mutating func set(_ key: String, _ value: String, argument: String) throws(AttackSpecError) {
        switch key {
        case "interval-ms": intervalMilliseconds = try Self.number(key, value, Self.intervalRange, argument)
        case "after-ms": afterMilliseconds = try Self.number(key, value, Self.afterRange, argument)
        case "source": source = try Self.choice(key, value, argument)
        case "ahead": ahead = try Self.integer(key, value, Self.aheadRange, argument)
        case "count": count = try Self.integer(key, value, Self.countRange, argument)
        case "offset":
            offset = Int32(try Self.integer(key, value, Int(Int32.min)...Int(Int32.max), argument))
        case "payload": payload = try Self.choice(key, value, argument)
        case "ports": ports = try Self.choice(key, value, argument)
        case "strangers": strangers = try Self.integer(key, value, Self.strangersRange, argument)
        case "rate": rate = try Self.integer(key, value, Self.rateRange, argument)
        case "garbage": garbagePercent = try Self.number(key, value, Self.garbageRange, argument)
        default: preconditionFailure("parameter '\(key)' listed for \(kind) but not handled")
        }
    }

    private static func splitOnce(_ text: String, at separator: Character) -> (String, String?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    private static func number(_ key: String, _ value: String, _ range: ClosedRange<Double>, _ argument: String)
        throws(AttackSpecError) -> Double
    {
        guard let number = Double(value), number.isFinite, range.contains(number) else {
            throw AttackSpecError(
                argument: argument, problem: "\(key)=\(value) is out of range; valid: \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    private static func integer(_ key: String, _ value: String, _ range: ClosedRange<Int>, _ argument: String)
        throws(AttackSpecError) -> Int
    {
        guard let number = Int(value), range.contains(number) else {
            throw AttackSpecError(
                argument: argument,
                problem: "\(key)=\(value) is out of range; valid: integers \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    private static func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, _ value: String, _ argument: String
    ) throws(AttackSpecError) -> Choice where Choice.RawValue == String {
        guard let choice = Choice(rawValue: value) else {
            throw AttackSpecError(
                argument: argument,
                problem: "\(key)=\(value) is invalid; valid: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}

/// A malformed `--attack` argument: the argument and what is wrong, with the accepted values.
public struct AttackSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var argument: String
    public var problem: String

    public var description: String { "--attack '\(argument)': \(problem)" }
}
