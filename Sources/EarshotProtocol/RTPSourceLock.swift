/// Earshot's sender-change policy: play exactly one SSRC at a time, never mix.
///
/// The receiver locks onto the first source that sends two packets in sequence (RFC 3550 A.1's MIN_SEQUENTIAL, so
/// one stray or forged datagram cannot take the receiver over). Packets from any other SSRC are rejected as
/// ``RTPRejection/foreignSource`` until the locked source either sends an RTCP BYE or has been silent for
/// ``silenceTimeout`` (default 2 s); then the next source to send takes over. Times are caller-supplied monotonic
/// nanoseconds, so the policy is deterministic in tests. Value type, allocation-free; owned by the producer thread.
public struct RTPSourceLock: Sendable {
    /// Default silence after which another sender may take over.
    public static let defaultSilenceTimeoutNanoseconds: UInt64 = 2_000_000_000

    /// What the caller should do with a packet.
    public enum Decision: Equatable, Sendable {
        /// Packet from the locked source.
        case accept
        /// First packet of a newly locked source (the previous one, if any, left): reset per-source state.
        case acceptNewSource(previous: UInt32?)
        /// Packet from another source while the locked one is active: drop and count.
        case reject(RTPRejection)
        /// First packet of a source that may take over: dropped (and counted by the caller) until the next packet
        /// of the same source follows in sequence.
        case probation
    }

    /// Packets in sequence a new source must send before it is locked.
    public static let minimumSequential = 2

    public let silenceTimeoutNanoseconds: UInt64
    /// The SSRC currently played, if any.
    public private(set) var lockedSource: UInt32?
    private var lastPacketNanoseconds: UInt64 = 0
    private var candidate: UInt32?
    private var candidateSequence: UInt16 = 0

    public init(silenceTimeoutNanoseconds: UInt64 = RTPSourceLock.defaultSilenceTimeoutNanoseconds) {
        self.silenceTimeoutNanoseconds = silenceTimeoutNanoseconds
    }

    /// Decides about a valid RTP packet from `ssrc` with `sequenceNumber`, arriving at `nowNanoseconds` (monotonic).
    public mutating func admit(ssrc: UInt32, sequenceNumber: UInt16, nowNanoseconds: UInt64) -> Decision {
        if let locked = lockedSource {
            if locked == ssrc {
                lastPacketNanoseconds = nowNanoseconds
                return .accept
            }
            guard nowNanoseconds &- lastPacketNanoseconds >= silenceTimeoutNanoseconds else {
                return .reject(.foreignSource)
            }
        }
        guard candidate == ssrc && sequenceNumber == candidateSequence &+ 1 else {
            candidate = ssrc
            candidateSequence = sequenceNumber
            return .probation
        }
        candidate = nil
        let previous = lockedSource
        lockedSource = ssrc
        lastPacketNanoseconds = nowNanoseconds
        return .acceptNewSource(previous: previous)
    }

    /// An RTCP BYE naming `ssrc` arrived: if it is the locked source, unlock so the next sender may take over at once.
    public mutating func goodbye(ssrc: UInt32) {
        if lockedSource == ssrc { lockedSource = nil }
    }
}
