/// The receiver's hot-path counters: plain integers, owned and written only by the producer thread.
///
/// Why plain integers and not atomics: every counter is written on the producer thread alone, once per packet or
/// frame, where an atomic read-modify-write would cost for nothing. Another thread sees them only through a
/// snapshot: the producer copies this struct (trivial, no allocation) into `ReceiverStats` or publishes it through
/// `ReceiverCountersMailbox`, whichever the wiring needs. Names follow WebRTC's `RTCInboundRtpStreamStats` where the
/// meaning is the same.
public struct ReceiverCounters: Equatable, Sendable {
    /// Every packet handed to the jitter buffer, including duplicates, late and rejected ones.
    public var packetsReceived = 0
    /// Sequence numbers whose playout passed without the packet and which have not arrived since (late arrivals
    /// count as received, as in RTCP's cumulative loss).
    public var packetsLost = 0
    /// Packets that arrived after their playout time had passed: dropped (WebRTC: `packetsDiscarded`).
    public var packetsLate = 0
    public var packetsDuplicated = 0
    /// Packets that arrived after a packet with a higher sequence number (and were not late or duplicates).
    public var packetsReordered = 0
    /// Packets larger than the jitter buffer's slot: dropped.
    public var packetsTooLarge = 0
    /// Packets far outside the sequence window: dropped unless the next one confirms a new stream.
    public var packetsOutOfRange = 0
    /// Flushes that restarted playout (sender restart, long pause, overflow).
    public var resyncs = 0
    /// Frames handed to the decoder to play normally.
    public var framesPlayed = 0
    /// Samples (per channel) produced by packet-loss concealment for missing frames, as in WebRTC.
    public var concealedSamples = 0
    /// Runs of consecutive concealed frames, as in WebRTC.
    public var concealmentEvents = 0
    /// Missing frames rebuilt from the next packet's in-band FEC.
    public var fecRecoveredFrames = 0
    /// Samples inserted to grow the playout delay (WebRTC: `insertedSamplesForDeceleration`).
    public var insertedSamplesForDeceleration = 0
    /// Samples dropped to shrink the playout delay (WebRTC: `removedSamplesForAcceleration`).
    public var removedSamplesForAcceleration = 0
    /// Times the buffer ran dry long enough to stop and rebuffer.
    public var underruns = 0

    public init() {}
}
