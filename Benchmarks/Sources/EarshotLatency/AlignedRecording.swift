import EarshotDSP

/// One recording of the rig's 4-channel `wide` sink: channels 0-1 are the reference as played into `ref` (and as
/// captured by the system under test from `ref_in`), channels 2-3 the system's output into `out`, sample-aligned
/// because one server renders them into one sink.
public struct AlignedRecording: Sendable {
    public static let channels = 4
    public let referenceSine: [Float]
    public let referenceBursts: [Float]
    public let outputSine: [Float]
    public let outputBursts: [Float]

    public init(interleaved: [Float]) {
        referenceSine = SignalAnalysis.channel(0, of: interleaved, channels: Self.channels)
        referenceBursts = SignalAnalysis.channel(1, of: interleaved, channels: Self.channels)
        outputSine = SignalAnalysis.channel(2, of: interleaved, channels: Self.channels)
        outputBursts = SignalAnalysis.channel(3, of: interleaved, channels: Self.channels)
    }

    public var frameCount: Int { referenceSine.count }
}
