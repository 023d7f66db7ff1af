import CSRTP

/// One libsrtp session (RFC 3711): protects outgoing or authenticates and decrypts incoming RTP and RTCP, in place
/// on a buffer the caller owns.
///
/// `.inbound` accepts any SSRC (`ssrc_any_inbound`): a stream's state (rollover counter, replay window of
/// `replayWindowPackets`) is created when its first packet authenticates, never for a packet that fails. `.outbound`
/// protects any SSRC the caller sends (`ssrc_any_outbound`).
///
/// Thread: one at a time (libsrtp sessions are not thread-safe); a sender keeps one session per thread that
/// protects. Per packet nothing is allocated, except the stream state of a new SSRC at its first authenticated packet.
public final class SRTPSession: @unchecked Sendable {
    public enum Direction: Sendable {
        case inbound
        case outbound
    }

    /// The replay window: packets up to this far behind the newest authenticated one are checked against a bitmap,
    /// older ones refused (libsrtp's `window_size`; RFC 3711 asks for at least 64).
    public static let replayWindowPackets = 1024

    /// Room `protectRTP` needs beyond the packet: the tag (and MKI, which Earshot does not use) as libsrtp reserves
    /// it (`SRTP_MAX_TRAILER_LEN`).
    public static let rtpTrailerRoom = Int(SRTP_MAX_TRAILER_LEN)
    /// Room `protectRTCP` needs beyond the compound: the SRTCP index word and the trailer.
    public static let rtcpTrailerRoom = Int(SRTP_MAX_TRAILER_LEN) + 4

    public let suite: SRTPSuite
    public let direction: Direction
    private let session: srtp_t

    public init(key: SRTPMasterKey, direction: Direction) throws(SRTPError) {
        SRTPLibrary.initializeOnce()
        suite = key.suite
        self.direction = direction
        var policy = srtp_policy_t()
        key.suite.setPolicies(rtp: &policy.rtp, rtcp: &policy.rtcp)
        switch direction {
        case .inbound: earshot_srtp_policy_set_any_inbound(&policy)
        case .outbound: earshot_srtp_policy_set_any_outbound(&policy)
        }
        policy.window_size = UInt(Self.replayWindowPackets)
        policy.allow_repeat_tx = 0
        var material = key.bytes
        var created: srtp_t?
        let status = material.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        for index in material.indices { material[index] = 0 }
        guard status == srtp_err_status_ok, let created else { throw .sessionSetup(status: Int32(status.rawValue)) }
        session = created
    }

    deinit { srtp_dealloc(session) }

    /// Encrypts and tags the RTP packet of `length` bytes at `buffer`; returns the new length. `capacity` must leave
    /// `rtpTrailerRoom` bytes after the packet.
    public func protectRTP(_ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int) throws(SRTPError) -> Int {
        guard capacity - length >= Self.rtpTrailerRoom else { throw .noRoom }
        var octets = Int32(length)
        let status = srtp_protect(session, buffer, &octets)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(octets)
    }

    /// Authenticates and decrypts the SRTP packet of `length` bytes at `buffer`; returns the RTP packet's length.
    /// On failure the packet is rejected and the stream's state (replay window, rollover counter) unchanged.
    public func unprotectRTP(_ buffer: UnsafeMutableRawPointer, length: Int) throws(SRTPError) -> Int {
        var octets = Int32(length)
        let status = srtp_unprotect(session, buffer, &octets)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(octets)
    }

    /// Encrypts and tags an RTCP compound (SRTCP); returns the new length. `capacity` must leave `rtcpTrailerRoom`.
    public func protectRTCP(_ buffer: UnsafeMutableRawPointer, length: Int, capacity: Int) throws(SRTPError) -> Int {
        guard capacity - length >= Self.rtcpTrailerRoom else { throw .noRoom }
        var octets = Int32(length)
        let status = srtp_protect_rtcp(session, buffer, &octets)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(octets)
    }

    /// Authenticates and decrypts an SRTCP compound; returns the RTCP compound's length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawPointer, length: Int) throws(SRTPError) -> Int {
        var octets = Int32(length)
        let status = srtp_unprotect_rtcp(session, buffer, &octets)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(octets)
    }

    /// The rollover counter (RFC 3711 §3.3.1) of `ssrc`'s stream: nil while no packet of it has authenticated.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        var roc: UInt32 = 0
        return srtp_get_stream_roc(session, ssrc, &roc) == srtp_err_status_ok ? roc : nil
    }

    /// Makes the next RTP packet of `ssrc` be authenticated with rollover counter `roc` (kept once one does).
    /// Returns false when `ssrc` has no stream yet.
    @discardableResult
    public func setRolloverCounter(_ roc: UInt32, ssrc: UInt32) -> Bool {
        srtp_set_stream_roc(session, ssrc, roc) == srtp_err_status_ok
    }
}

/// libsrtp's process-wide state.
enum SRTPLibrary {
    /// `srtp_init` (self-tests the ciphers), once per process, thread-safe (a lazy global).
    private static let initialized: Bool = srtp_init() == srtp_err_status_ok

    static func initializeOnce() { _ = initialized }
}
