/// What the proxy knows about the genuine RTP stream it forwards, for building hostile packets that look like it:
/// the SSRC, payload type, sequence number and timestamp of the newest packet, recent payloads, and the frame size.
///
/// Fed every genuine RTP packet as it arrives (after restamping, before network impairment). "Newest" is by
/// sequence order within one SSRC (a packet more than `maximumMisorder` behind restarts the stream there, as a
/// sender restart does); a new SSRC restarts it too. The frame size is the timestamp step between consecutive
/// sequence numbers in the timestamps as the sender wrote them (before restamping), kept within 2.5...120 ms
/// of the 48 kHz Opus clock; until two consecutive packets are seen it is 20 ms. Value type; single-threaded.
public struct GenuineStreamState: Sendable {
    public static let defaultFrameSamples: UInt32 = 960
    public static let frameSampleRange: ClosedRange<UInt32> = 120...5760
    /// Payloads kept for `payload(packetsAgo:)`.
    public static let historyCapacity = 256
    static let maximumMisorder = 100

    /// Header of the newest genuine packet (its `payloadRange` refers to that packet); nil before the first.
    public private(set) var newest: RTPFixedHeader?
    /// Genuine RTP packets observed.
    public private(set) var packetCount = 0
    /// Timestamp step per packet, in samples.
    public private(set) var frameSamples = Self.defaultFrameSamples

    private var history: [[UInt8]] = []
    private var historyNext = 0
    private var previousArrival: (ssrc: UInt32, sequence: UInt16, originalTimestamp: UInt32)?

    public init() { history.reserveCapacity(Self.historyCapacity) }

    public var frameDurationNanoseconds: Int64 {
        Int64((Double(frameSamples) / TimestampRestamper.samplesPerMillisecond * 1_000_000).rounded())
    }

    /// Records one genuine packet: `header` as forwarded, `originalTimestamp` as the sender wrote it.
    public mutating func observe(header: RTPFixedHeader, originalTimestamp: UInt32, payload: some Collection<UInt8>) {
        packetCount += 1
        if let previous = previousArrival, previous.ssrc == header.ssrc,
            header.sequenceNumber == previous.sequence &+ 1
        {
            let step = originalTimestamp &- previous.originalTimestamp
            if Self.frameSampleRange.contains(step) { frameSamples = step }
        }
        previousArrival = (header.ssrc, header.sequenceNumber, originalTimestamp)

        if let newest, newest.ssrc == header.ssrc {
            let ahead = Int16(bitPattern: header.sequenceNumber &- newest.sequenceNumber)
            if ahead > 0 || ahead < -Int16(Self.maximumMisorder) { self.newest = header }
        } else {
            newest = header
        }

        let copy = Array(payload)
        if history.count < Self.historyCapacity {
            history.append(copy)
        } else {
            history[historyNext] = copy
        }
        historyNext = (historyNext + 1) % Self.historyCapacity
    }

    /// How many payloads are remembered (at most `historyCapacity`).
    public var rememberedPayloads: Int { history.count }

    /// The payload of the packet that arrived `packetsAgo` packets before the latest one (0: the latest),
    /// or of the oldest remembered if fewer are remembered; nil before the first packet.
    public func payload(packetsAgo: Int) -> [UInt8]? {
        guard !history.isEmpty else { return nil }
        let back = min(max(packetsAgo, 0), history.count - 1)
        let latestIndex = (historyNext - 1 + Self.historyCapacity) % Self.historyCapacity
        let index = history.count < Self.historyCapacity
            ? history.count - 1 - back : (latestIndex - back + Self.historyCapacity) % Self.historyCapacity
        return history[index]
    }
}
