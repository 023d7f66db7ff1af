/// A sample-rate conversion to measure: nominal rates times a clock-drift factor, as the producer would ask for it.
///
/// The output frame rate the signal is judged at is `effectiveOutputRate` (`outputRate · drift`): a receiver at
/// +1000 ppm plays 48 048 frames for every 48 000 the sender captured, so a 997 Hz tone must come out at 997 Hz of
/// that rate.
public struct Conversion: Sendable {
    public var name: String
    public var inputRate: Int
    public var outputRate: Int
    /// Drift in parts per million (output frames per input frame = `outputRate / inputRate · (1 + ppm / 10⁶)`).
    public var driftPPM: Int

    public init(name: String, inputRate: Int, outputRate: Int, driftPPM: Int = 0) {
        self.name = name
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.driftPPM = driftPPM
    }

    /// Output frames per input frame.
    public var ratio: Double { Double(outputRate) / Double(inputRate) * drift }
    public var drift: Double { 1 + Double(driftPPM) / 1e6 }
    public var effectiveOutputRate: Double { Double(inputRate) * ratio }
    public var isDownsampling: Bool { ratio < 1 }

    /// The ratio as an exact fraction of input frames per output frame (what libspeexdsp takes), reduced.
    public var inputPerOutputFraction: (numerator: UInt32, denominator: UInt32) {
        let numerator = inputRate * 1_000_000
        let denominator = outputRate * (1_000_000 + driftPPM)
        let divisor = greatestCommonDivisor(numerator, denominator)
        return (UInt32(numerator / divisor), UInt32(denominator / divisor))
    }

    /// The conversions the receiver and sender need: the sender's 44.1 kHz files, the receiver's clock drift both
    /// ways at the ±1000 ppm the drift loop must serve, and a receiver with a 44.1 kHz-only device.
    public static let all: [Conversion] = [
        Conversion(name: "44.1 → 48 kHz", inputRate: 44_100, outputRate: 48_000),
        Conversion(name: "48 → 48 kHz +1000 ppm", inputRate: 48_000, outputRate: 48_000, driftPPM: 1_000),
        Conversion(name: "48 → 48 kHz −1000 ppm", inputRate: 48_000, outputRate: 48_000, driftPPM: -1_000),
        Conversion(name: "48 → 44.1 kHz", inputRate: 48_000, outputRate: 44_100),
    ]
}

private func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}
