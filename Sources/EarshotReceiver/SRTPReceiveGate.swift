import EarshotNet
import EarshotSecurity

/// The receiver's security check, at the socket edge: every datagram passes here before anything parses it.
///
/// With a key, RTP and RTCP are authenticated and decrypted in place (`SRTPSession`, replay window of
/// `SRTPSession.replayWindowPackets`); what fails is counted by `SRTPRejection` and dropped, and an SSRC that never
/// authenticated gets one notice (plain RTP, or another key). A receiver that joins after the sender's sequence
/// number wrapped learns the rollover counter from the first authenticated sender report (`SRTPRolloverEstimate`):
/// until then its RTP fails as `srtp_auth_failed`. The receiver reports it sends are protected too.
///
/// Without a key, datagrams pass unchanged, except SRTCP (recognised by its shape: a compound that does not add up
/// and an index word with the E flag) and then the RTP of the same SSRC from the same host: counted as
/// `srtp_without_key`, dropped, with one notice to say what to do. The RTP before the first SRTCP cannot be told from
/// plain RTP.
///
/// Producer thread only. Allocation-free per datagram (libsrtp allocates a stream's state once, at its first
/// authenticated packet).
struct SRTPReceiveGate: ~Copyable {
    let inbound: SRTPSession?
    let outbound: SRTPSession?
    let notices: ReceiverSecurityNotices
    /// Room for a datagram and a trailer: the original of a packet tried again with another rollover counter, and the
    /// protected receiver report.
    let scratch: UnsafeMutableRawBufferPointer
    /// The SSRC whose RTP last authenticated: its failures are tampering, never a rollover counter to learn.
    var authenticatedSSRC: UInt32?
    /// The last authenticated sender report's SSRC and packet count, for a late joiner's rollover counter.
    var rolloverHint: (ssrc: UInt32, packetCount: UInt32)?
    /// Without a key: the SSRC and host whose SRTCP was seen, whose RTP is dropped.
    var encryptedSource: (ssrc: UInt32, host: SocketAddress)?
    /// The last notice posted and when: none again for the same kind, SSRC and host (RTP and RTCP come from two ports),
    /// and none more than once a second.
    var lastNotice: ReceiverSecurityNotices.Notice?
    var lastNoticeNanos: Int64 = .min / 2

    static let noticeIntervalNanos: Int64 = 1_000_000_000

    init(key: SRTPMasterKey?, notices: ReceiverSecurityNotices, datagramBytes: Int) throws(SRTPError) {
        var sessions: (inbound: SRTPSession, outbound: SRTPSession)?
        if let key {
            sessions = (try SRTPSession(key: key, direction: .inbound), try SRTPSession(key: key, direction: .outbound))
        }
        inbound = sessions?.inbound
        outbound = sessions?.outbound
        self.notices = notices
        scratch = .allocate(byteCount: datagramBytes + SRTPSession.rtcpTrailerRoom, alignment: 16)
    }

    deinit { scratch.deallocate() }

    // MARK: - In

    /// The RTP packet to parse (decrypted in place, shorter by the tag), or nil when refused (counted).
    mutating func admitRTP(
        _ bytes: UnsafeRawBufferPointer, from source: SocketAddress, nowNanos: Int64, gauges: ReceiverGauges
    ) -> UnsafeRawBufferPointer? {
        guard bytes.count >= 12 else {
            // Too short for any RTP header: the RTP parser names it when there is no key.
            if inbound == nil { return bytes }
            gauges.count(.tooShort, .rtp)
            return nil
        }
        let ssrc = Self.word(bytes, at: 8)
        guard let inbound else {
            if let encrypted = encryptedSource, encrypted.ssrc == ssrc, encrypted.host.hasSameHost(as: source) {
                gauges.count(.encryptedWithoutKey, .rtp)
                return nil
            }
            return bytes
        }
        guard bytes.count >= 12 + inbound.suite.tagBytes else {
            gauges.count(.tooShort, .rtp)
            return nil
        }
        let packet = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
        let mayLearnRollover = ssrc != authenticatedSSRC && rolloverHint?.ssrc == ssrc
        if mayLearnRollover { scratch.baseAddress!.copyMemory(from: packet, byteCount: bytes.count) }
        let failure: SRTPError
        do {
            let length = try inbound.unprotectRTP(packet, length: bytes.count)
            authenticatedSSRC = ssrc
            return UnsafeRawBufferPointer(start: packet, count: length)
        } catch {
            failure = error
        }
        switch failure {
        case .replay:
            gauges.count(.replayed, .rtp)
        case .malformed:
            gauges.count(.tooShort, .rtp)
        default:
            guard let roc = inbound.rolloverCounter(ssrc: ssrc) else {
                gauges.count(.unauthenticatedSource, .rtp)
                notice(.unauthenticatedSource, ssrc: ssrc, source: source, nowNanos: nowNanos)
                return nil
            }
            if mayLearnRollover, let hint = rolloverHint,
                let length = learnRollover(packet, length: bytes.count, ssrc: ssrc, current: roc, hint: hint)
            {
                authenticatedSSRC = ssrc
                return UnsafeRawBufferPointer(start: packet, count: length)
            }
            gauges.count(.authenticationFailed, .rtp)
        }
        return nil
    }

    /// Tries the rollover counters a sender report suggests on the packet (its original is in `scratch`); returns the
    /// decrypted length when one authenticates (libsrtp keeps it), else restores `current`.
    private func learnRollover(
        _ packet: UnsafeMutableRawPointer, length: Int, ssrc: UInt32, current: UInt32,
        hint: (ssrc: UInt32, packetCount: UInt32)
    ) -> Int? {
        guard let inbound else { return nil }
        let sequence = UInt16(scratch[2]) << 8 | UInt16(scratch[3])
        var attempt = 0
        while attempt < SRTPRolloverEstimate.maximumCandidates {
            defer { attempt += 1 }
            guard let roc = SRTPRolloverEstimate.candidate(attempt, sequence: sequence, packetCount: hint.packetCount),
                roc != current
            else { continue }
            packet.copyMemory(from: scratch.baseAddress!, byteCount: length)
            inbound.setRolloverCounter(roc, ssrc: ssrc)
            if let decrypted = try? inbound.unprotectRTP(packet, length: length) { return decrypted }
        }
        inbound.setRolloverCounter(current, ssrc: ssrc)
        return nil
    }

    /// The RTCP compound to parse (decrypted in place, without index and tag), or nil when refused (counted).
    mutating func admitRTCP(
        _ bytes: UnsafeRawBufferPointer, from source: SocketAddress, nowNanos: Int64, gauges: ReceiverGauges
    ) -> UnsafeRawBufferPointer? {
        guard let inbound else {
            guard Self.looksLikeSRTCP(bytes) else { return bytes }
            let ssrc = Self.word(bytes, at: 4)
            gauges.count(.encryptedWithoutKey, .rtcp)
            encryptedSource = (ssrc, source)
            notice(.encryptedWithoutKey, ssrc: ssrc, source: source, nowNanos: nowNanos)
            return nil
        }
        guard bytes.count >= 8 + 4 + inbound.suite.tagBytes else {
            gauges.count(.tooShort, .rtcp)
            return nil
        }
        let ssrc = Self.word(bytes, at: 4)
        let compound = UnsafeMutableRawPointer(mutating: bytes.baseAddress!)
        do {
            let length = try inbound.unprotectRTCP(compound, length: bytes.count)
            let plain = UnsafeRawBufferPointer(start: compound, count: length)
            // A sender report (PT 200) says how many packets its sender sent: a late joiner's rollover counter.
            if length >= 28 && plain[1] == 200 { rolloverHint = (ssrc, Self.word(plain, at: 20)) }
            return plain
        } catch .replay {
            gauges.count(.replayed, .rtcp)
        } catch .malformed {
            gauges.count(.tooShort, .rtcp)
        } catch {
            if inbound.rolloverCounter(ssrc: ssrc) == nil {
                gauges.count(.unauthenticatedSource, .rtcp)
                notice(.unauthenticatedSource, ssrc: ssrc, source: source, nowNanos: nowNanos)
            } else {
                gauges.count(.authenticationFailed, .rtcp)
            }
        }
        return nil
    }

    // MARK: - Out

    /// The receiver report to send: protected (in `scratch`) with a key, as is without; nil if it cannot be.
    func protectReport(_ report: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let outbound else { return report }
        guard report.count + SRTPSession.rtcpTrailerRoom <= scratch.count else { return nil }
        scratch.baseAddress!.copyMemory(from: report.baseAddress!, byteCount: report.count)
        guard let length = try? outbound.protectRTCP(scratch.baseAddress!, length: report.count, capacity: scratch.count)
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: scratch[0..<length])
    }

    // MARK: - Helpers

    private mutating func notice(
        _ kind: ReceiverSecurityNotices.Kind, ssrc: UInt32, source: SocketAddress, nowNanos: Int64
    ) {
        let notice = ReceiverSecurityNotices.Notice(kind: kind, ssrc: ssrc, source: source)
        if let last = lastNotice, last.kind == kind, last.ssrc == ssrc, last.source.hasSameHost(as: source) { return }
        guard nowNanos - lastNoticeNanos >= Self.noticeIntervalNanos else { return }
        lastNotice = notice
        lastNoticeNanos = nowNanos
        notices.post(notice)
    }

    /// An SRTCP compound seen without a key: a first RTCP header (version 2, SR to APP) whose compound does not add up
    /// to the datagram, and an E flag in the index word where either suite puts it (before a 10-byte tag, or last).
    static func looksLikeSRTCP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 8 + 4 + 10, bytes[0] >> 6 == 2, (200...204).contains(bytes[1]) else { return false }
        var offset = 0
        while offset + 4 <= bytes.count, bytes[offset] >> 6 == 2 {
            let length = ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
            if offset + length > bytes.count { break }
            offset += length
        }
        if offset == bytes.count { return false }
        return bytes[bytes.count - 14] & 0x80 != 0 || bytes[bytes.count - 4] & 0x80 != 0
    }

    static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}
