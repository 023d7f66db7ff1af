/// A 64-bit NTP timestamp (RFC 3550 section 4): seconds since 1900-01-01 UTC and a binary fraction of a second.
///
/// Value type; any thread. Conversions take the wallclock as Unix seconds + nanoseconds so that this module needs
/// no clock of its own; the caller reads `clock_gettime(CLOCK_REALTIME)`.
public struct NTPTimestamp: Equatable, Hashable, Sendable {
    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
    public static let unixEpochOffset: UInt64 = 2_208_988_800

    public var seconds: UInt32
    public var fraction: UInt32

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    /// The whole 64 bits, seconds in the high word.
    public init(rawValue: UInt64) {
        self.init(seconds: UInt32(rawValue >> 32), fraction: UInt32(truncatingIfNeeded: rawValue))
    }

    public var rawValue: UInt64 { UInt64(seconds) << 32 | UInt64(fraction) }

    /// From Unix time; `nanoseconds` in 0..<1_000_000_000. Seconds wrap in 2036 (NTP era 1), as on the wire.
    public init(unixSeconds: Int64, nanoseconds: Int64) {
        let ntpSeconds = UInt64(bitPattern: unixSeconds &+ Int64(Self.unixEpochOffset))
        let fraction = (UInt64(nanoseconds) << 32) / 1_000_000_000
        self.init(seconds: UInt32(truncatingIfNeeded: ntpSeconds), fraction: UInt32(truncatingIfNeeded: fraction))
    }

    /// Back to Unix seconds + nanoseconds (era 0, i.e. before 2036 when the seconds wrap).
    public var unixTime: (seconds: Int64, nanoseconds: Int64) {
        let nanoseconds = (UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32
        return (Int64(seconds) - Int64(Self.unixEpochOffset), Int64(nanoseconds))
    }

    /// The middle 32 bits (low 16 of seconds, high 16 of fraction), in 1/65536 s: the LSR field of a report block
    /// and the unit of DLSR.
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    /// A duration in seconds expressed in the 1/65536 s unit of DLSR, rounded and saturated.
    public static func compactDuration(seconds: Double) -> UInt32 {
        let units = (seconds * 65_536).rounded()
        return units <= 0 ? 0 : units >= Double(UInt32.max) ? UInt32.max : UInt32(units)
    }

    /// Round-trip time per RFC 3550 section 6.4.1: `arrival − LSR − DLSR`, in seconds, where `arrival` is when the
    /// report block arrived back at the sender. `nil` if the block carries no SR echo (LSR 0) or the result is
    /// negative (clocks or fields inconsistent).
    public static func roundTripTime(
        arrival: NTPTimestamp, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) -> Double? {
        guard lastSenderReport != 0 else { return nil }
        let units = Int64(Int32(bitPattern: arrival.middle32 &- lastSenderReport &- delaySinceLastSenderReport))
        guard units >= 0 else { return nil }
        return Double(units) / 65_536
    }
}
