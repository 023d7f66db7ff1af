/// How the proxy makes a well-behaved sender look like a live-capturing one, before any network impairment:
/// wall-clock RTP timestamps (`TimestampRestamper`) and bursty sending (`BurstGrouper`).
///
/// The parameter names in `ImpairmentProfileError` are the `earshot-impair` flags that set them.
public struct SenderImitationProfile: Sendable, Equatable {
    public static let restampJitterRange: ClosedRange<Double> = 0...20
    public static let burstSizeRange: ClosedRange<Int> = 1...16

    /// Half-width X of the uniform per-packet timestamp offset, ms; 0 leaves timestamps alone.
    public var restampJitterMilliseconds: Double = 0
    /// RTP packets released together; 1 forwards each at once.
    public var burstSize: Int = 1

    public init() {}

    public var restamps: Bool { restampJitterMilliseconds > 0 }
    public var groupsBursts: Bool { burstSize > 1 }

    /// Throws for the first parameter outside its valid range, naming its flag and the range.
    public func validate() throws(ImpairmentProfileError) {
        guard restampJitterMilliseconds.isFinite, Self.restampJitterRange.contains(restampJitterMilliseconds) else {
            throw .outOfRange(
                parameter: "--restamp-jitter-ms", value: restampJitterMilliseconds, valid: Self.restampJitterRange)
        }
        guard Self.burstSizeRange.contains(burstSize) else {
            throw .integerOutOfRange(parameter: "--burst-send", value: burstSize, valid: Self.burstSizeRange)
        }
    }
}
