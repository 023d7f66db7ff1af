/// The RTP payload format for Opus (RFC 7587) as Earshot uses it.
///
/// RFC 7587 fixes the RTP clock at 48 kHz whatever the coded bandwidth or the capture rate, puts exactly one Opus
/// packet in each RTP packet, and uses a dynamic payload type. Value type; any thread.
public struct OpusRTPProfile: Equatable, Sendable {
    /// RTP timestamp clock rate, always 48 000 Hz (RFC 7587 section 4.1).
    public static let clockRate: UInt32 = 48_000
    /// Channel count announced in `a=rtpmap` is always 2 (RFC 7587 section 7), even for mono streams.
    public static let rtpmapChannels = 2
    /// Earshot's default dynamic payload type.
    public static let defaultPayloadType: UInt8 = 96
    /// Allowed dynamic payload types (RFC 3551 section 6).
    public static let dynamicPayloadTypes: ClosedRange<UInt8> = 96...127

    /// The payload type this stream uses.
    public var payloadType: UInt8

    /// - Precondition: `payloadType` is a dynamic payload type (96...127).
    public init(payloadType: UInt8 = Self.defaultPayloadType) {
        precondition(Self.dynamicPayloadTypes.contains(payloadType), "Opus needs a dynamic payload type 96...127")
        self.payloadType = payloadType
    }

    /// RTP timestamp increment for a frame of `samplesPerChannel` at 48 kHz (e.g. 240 for 5 ms, 960 for 20 ms).
    public static func timestampIncrement(samplesPerChannel: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: samplesPerChannel)
    }

    /// RTP timestamp of the packet whose first sample is sample number `sampleCount` since the stream started at
    /// the random offset `initialTimestamp`. Wraps modulo 2^32 as RFC 3550 requires.
    public static func timestamp(initialTimestamp: UInt32, sampleCount: UInt64) -> UInt32 {
        initialTimestamp &+ UInt32(truncatingIfNeeded: sampleCount)
    }

    /// The marker rule of RFC 7587 section 4.2: set M on the first packet sent after a period of silence or DTX in
    /// which no packets were sent (and Earshot also sets it on the very first packet of a stream); clear otherwise.
    public static func marker(afterSilence: Bool) -> Bool { afterSilence }

    /// Why `payload` is not one well-formed Opus packet (RFC 6716 section 3.4, requirements R1–R7), or `nil` if it
    /// is. Does not decode. Allocation-free and non-throwing for the real-time path; any thread.
    public static func payloadRejection(_ payload: UnsafeRawBufferPointer) -> RTPRejection? {
        if payload.isEmpty { return .emptyPayload }
        return OpusPacketFraming.isWellFormed(payload) ? nil : .malformedOpusPayload
    }

    /// Throwing form of ``payloadRejection(_:)`` for code off the real-time path.
    public static func validatePayload(_ payload: UnsafeRawBufferPointer) throws(RTPRejection) {
        if let rejection = payloadRejection(payload) { throw rejection }
    }
}
