import Atomics
import EarshotNet

/// What the security gate wants said once per source, posted by the producer thread (which cannot log) and taken
/// by the control thread, which logs it.
///
/// A single-producer, single-consumer ring of `capacity` fixed slots: the producer writes a slot, then publishes it
/// by incrementing `posted` (release); the consumer reads the slots it has not taken (acquire). The gate posts at most
/// one notice a second, and the control thread takes them every 50 ms, so a slot is never overwritten while read.
public final class ReceiverSecurityNotices: @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        /// SRTP/SRTCP at a receiver that has no key.
        case encryptedWithoutKey
        /// RTP/RTCP that does not authenticate with the receiver's key and whose SSRC never did.
        case unauthenticatedSource
    }

    public struct Notice: Sendable, Equatable, CustomStringConvertible {
        public var kind: Kind
        public var ssrc: UInt32
        public var source: SocketAddress

        public var description: String {
            let ssrcText = "SSRC 0x" + String(ssrc, radix: 16)
            switch kind {
            case .encryptedWithoutKey:
                return "SRTP from \(source) (\(ssrcText)) is encrypted and this receiver has no key: it is dropped "
                    + "(srtp_without_key); start earshot-recv with the sender's key: --key-file PATH or EARSHOT_SRTP_KEY"
            case .unauthenticatedSource:
                return "RTP/RTCP from \(source) (\(ssrcText)) does not authenticate with this receiver's key: plain RTP or "
                    + "another key, dropped (srtp_unauthenticated_source); give the sender the same key "
                    + "(earshot-send --key-file PATH; ffmpeg -srtp_out_suite AES_CM_128_HMAC_SHA1_80 "
                    + "-srtp_out_params KEY)"
            }
        }
    }

    static let capacity = 16
    private let slots: UnsafeMutablePointer<Notice?>
    private let posted = UnsafeAtomic<Int>.create(0)
    /// The consumer's position (control thread only).
    private var taken = 0

    init() {
        slots = .allocate(capacity: Self.capacity)
        slots.initialize(repeating: nil, count: Self.capacity)
    }

    deinit {
        slots.deinitialize(count: Self.capacity)
        slots.deallocate()
        posted.destroy()
    }

    /// Producer thread. Allocation-free (a notice is plain data).
    func post(_ notice: Notice) {
        let index = posted.load(ordering: .relaxed)
        slots[index % Self.capacity] = notice
        posted.store(index + 1, ordering: .releasing)
    }

    /// The notices posted since the last call. Control thread only.
    public func take() -> [Notice] {
        let end = posted.load(ordering: .acquiring)
        var result: [Notice] = []
        taken = max(taken, end - Self.capacity)
        while taken < end {
            if let notice = slots[taken % Self.capacity] { result.append(notice) }
            taken += 1
        }
        return result
    }
}
