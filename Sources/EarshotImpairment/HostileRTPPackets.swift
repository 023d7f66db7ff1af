/// Builds the hostile RTP packets of the stream-derived attack classes from what the proxy knows of the genuine
/// stream. Pure: the same state and parameters give the same bytes.
///
/// Every packet carries the newest genuine packet's payload type, marker 0, version 2 and no padding, extension or
/// CSRCs. A timestamp "consistent" with a sequence number n packets past the newest genuine one is the newest
/// timestamp plus n frames. Each builder returns nil (or nothing) before the first genuine packet.
public enum HostileRTPPackets {
    /// How far back `ssrc-spoof` takes its `old` payload: 200 packets (1 s of 5 ms frames).
    public static let spoofPayloadLag = 200
    /// TOC byte for `silence` when no genuine payload has a first byte: CELT full-band 20 ms, stereo, code 0.
    static let fallbackTOC: UInt8 = 0xFC

    /// `far-ahead`: the stream's SSRC, sequence number `ahead` past the newest, consistent timestamp, a copy of the
    /// newest genuine payload.
    public static func farAhead(_ state: GenuineStreamState, ahead: Int) -> [UInt8]? {
        guard let newest = state.newest, let payload = state.payload(packetsAgo: 0) else { return nil }
        return header(newest, packetsAhead: ahead, frameSamples: state.frameSamples).packet(payload: payload)
    }

    /// `timestamp-outlier`: the stream's SSRC, the next sequence number, the next timestamp moved by `offset`
    /// samples, a copy of the newest genuine payload.
    public static func timestampOutlier(_ state: GenuineStreamState, offset: Int32) -> [UInt8]? {
        guard let newest = state.newest, let payload = state.payload(packetsAgo: 0) else { return nil }
        var header = header(newest, packetsAhead: 1, frameSamples: state.frameSamples)
        header.timestamp = header.timestamp &+ UInt32(bitPattern: offset)
        return header.packet(payload: payload)
    }

    /// `resync-burst`: `count` packets with sequence numbers `ahead`, `ahead` + 1, ... past the newest and
    /// consistent timestamps, each with a copy of the newest genuine payload.
    public static func resyncBurst(_ state: GenuineStreamState, ahead: Int, count: Int) -> [[UInt8]] {
        guard let newest = state.newest, let payload = state.payload(packetsAgo: 0) else { return [] }
        return (0..<count).map { index in
            header(newest, packetsAhead: ahead + index, frameSamples: state.frameSamples).packet(payload: payload)
        }
    }

    /// `ssrc-spoof`: the stream's SSRC with the next sequence number and timestamp (what the sender's next packet
    /// will carry), and a different valid Opus packet: for `old`, the genuine payload of `spoofPayloadLag` packets
    /// before the newest (the oldest remembered while fewer are; `silence` while only the newest is); for
    /// `silence`, `opusSilence(like:)`.
    ///
    /// "Next" continues the spoofer's own previous packet when that is already ahead of the newest genuine one
    /// (a bursty or stalled genuine stream), so the spoofer never repeats a sequence number; it sends at the
    /// stream's rate, so it stays within a few packets of the genuine stream. Returns the packet and its header
    /// (pass it back as `previous`).
    public static func ssrcSpoof(_ state: GenuineStreamState, payload kind: SpoofPayload, previous: RTPFixedHeader?)
        -> (bytes: [UInt8], header: RTPFixedHeader)?
    {
        guard let newest = state.newest, let latest = state.payload(packetsAgo: 0) else { return nil }
        let payload = switch kind {
        case .old where state.rememberedPayloads >= 2: state.payload(packetsAgo: spoofPayloadLag) ?? latest
        case .old, .silence: opusSilence(like: latest)
        }
        var base = newest
        if let previous, previous.ssrc == newest.ssrc,
            Int16(bitPattern: previous.sequenceNumber &- newest.sequenceNumber) >= 0
        {
            base = previous
        }
        let header = header(base, packetsAhead: 1, frameSamples: state.frameSamples)
        return (header.packet(payload: payload), header)
    }

    /// A one-byte Opus packet: `genuine`'s TOC byte (same mode, bandwidth, frame size, channels) with frame-count
    /// code 0 and so one empty frame, which RFC 6716 section 3.2.1 allows and a decoder conceals like a lost frame.
    public static func opusSilence(like genuine: [UInt8]) -> [UInt8] {
        [(genuine.first ?? fallbackTOC) & 0xFC]
    }

    static func header(_ newest: RTPFixedHeader, packetsAhead: Int, frameSamples: UInt32) -> RTPFixedHeader {
        RTPFixedHeader(
            payloadType: newest.payloadType,
            sequenceNumber: newest.sequenceNumber &+ UInt16(truncatingIfNeeded: packetsAhead),
            timestamp: newest.timestamp &+ UInt32(truncatingIfNeeded: packetsAhead) &* frameSamples,
            ssrc: newest.ssrc)
    }
}
