/// Earshot's sender policy: play exactly one source at a time, never mix, and let no stranger take it over.
///
/// A source is an SSRC *and* the transport address it sends from (RFC 3550 §8.2). The receiver locks onto the first
/// source that sends two packets in sequence (RFC 3550 A.1's MIN_SEQUENTIAL). While locked, packets from any other
/// SSRC are ``RTPRejection/foreignSource``, and the locked SSRC from another address is a
/// ``RTPRejection/sourceCollision`` (a spoof or a loop): both are dropped. The lock ends when the locked source says
/// BYE or has been silent for `silenceTimeoutNanoseconds`; then the next source to send two in sequence takes over.
///
/// Probation keeps one candidate per sending address in a small table (`candidateCapacity`, least recently heard
/// evicted), so strangers interleaving their packets cannot keep a genuine sender from completing its probation.
///
/// Times are caller-supplied monotonic nanoseconds (deterministic in tests). Storage is allocated in `init`;
/// `admit` allocates nothing. Owned by the producer thread.
public struct RTPSourceLock<Address: Equatable & Sendable>: Sendable {
    /// Default silence after which another sender may take over.
    public static var defaultSilenceTimeoutNanoseconds: UInt64 { 2_000_000_000 }
    /// Packets in sequence a new source must send before it is locked.
    public static var minimumSequential: Int { 2 }

    /// What the caller should do with a packet.
    public enum Decision: Equatable, Sendable {
        /// Packet from the locked source.
        case accept
        /// First packet of a newly locked source (the previous one, if any, left): reset per-source state.
        case acceptNewSource(previous: UInt32?)
        /// Dropped: another source while the locked one is active, or the locked SSRC from another address.
        case reject(RTPRejection)
        /// A packet of a source that may take over: dropped (and counted by the caller) until the next packet of the
        /// same source follows in sequence.
        case probation
    }

    private struct Candidate: Sendable {
        var address: Address
        var ssrc: UInt32
        var sequence: UInt16
        var heardNanoseconds: UInt64
    }

    public let silenceTimeoutNanoseconds: UInt64
    /// Candidate slots, 1 ... 8.
    public let candidateCapacity: Int
    /// The SSRC currently played, if any, and where it sends from.
    public private(set) var lockedSource: UInt32?
    public private(set) var lockedAddress: Address?
    private var lastPacketNanoseconds: UInt64 = 0
    /// Inline (no reference counting on the packet path); the first `candidateCapacity` entries are used.
    private var candidates = InlineArray<8, Candidate?>(repeating: nil)

    public init(
        silenceTimeoutNanoseconds: UInt64 = RTPSourceLock.defaultSilenceTimeoutNanoseconds, candidateCapacity: Int = 8
    ) {
        self.silenceTimeoutNanoseconds = silenceTimeoutNanoseconds
        self.candidateCapacity = min(8, max(1, candidateCapacity))
    }

    /// Decides about a valid RTP packet from `ssrc` with `sequenceNumber`, sent from `address`, arriving at
    /// `nowNanoseconds` (monotonic).
    public mutating func admit(
        ssrc: UInt32, sequenceNumber: UInt16, from address: Address, nowNanoseconds: UInt64
    ) -> Decision {
        if let locked = lockedSource {
            let active = nowNanoseconds &- lastPacketNanoseconds < silenceTimeoutNanoseconds
            if locked == ssrc && address == lockedAddress {
                lastPacketNanoseconds = nowNanoseconds
                return .accept
            }
            if active { return .reject(locked == ssrc ? .sourceCollision : .foreignSource) }
        }
        var slot = 0
        var oldest = UInt64.max
        for index in 0..<candidateCapacity {
            guard let candidate = candidates[index] else {
                if oldest > 0 { (slot, oldest) = (index, 0) }
                continue
            }
            if candidate.address == address {
                slot = index
                break
            }
            if candidate.heardNanoseconds < oldest { (slot, oldest) = (index, candidate.heardNanoseconds) }
        }
        if let candidate = candidates[slot], candidate.address == address, candidate.ssrc == ssrc,
            sequenceNumber == candidate.sequence &+ 1
        {
            for index in 0..<candidateCapacity { candidates[index] = nil }
            let previous = lockedSource
            lockedSource = ssrc
            lockedAddress = address
            lastPacketNanoseconds = nowNanoseconds
            return .acceptNewSource(previous: previous)
        }
        candidates[slot] = Candidate(
            address: address, ssrc: ssrc, sequence: sequenceNumber, heardNanoseconds: nowNanoseconds)
        return .probation
    }

    /// An RTCP BYE naming `ssrc` arrived (the caller checked it came from the locked source's host): if it is the
    /// locked source, unlock so the next sender may take over at once.
    public mutating func goodbye(ssrc: UInt32) {
        if lockedSource == ssrc {
            lockedSource = nil
            lockedAddress = nil
        }
    }
}
