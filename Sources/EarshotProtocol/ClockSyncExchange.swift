/// The clock exchange of `--clock sender` (RTCP APP, name `ESYN`; layout in Protocol/README.md): a receiver asks
/// with its own time t1 (opaque to the sender, echoed), the sender answers with t1, the NTP time t2 its kernel stamped
/// the request's arrival with and the NTP time t3 it sent the answer at. The receiver stamps the answer's arrival t4.
///
/// ```
/// request, subtype 0, SSRC = the receiver's:   t1 (64 bits)
/// answer,  subtype 1, SSRC = the sender's:     requester SSRC | 0 | t1 (64) | t2 (NTP 64) | t3 (NTP 64)
/// ```
public enum ClockSyncExchange {
    /// "ESYN", packed big-endian as APP names are.
    public static let name: UInt32 = 0x4553_594E
    public static let requestSubtype: UInt8 = 0
    public static let answerSubtype: UInt8 = 1
    public static let requestBytes = 8
    public static let answerBytes = 32

    /// A parsed answer.
    public struct Answer: Equatable, Sendable {
        public var requester: UInt32
        public var t1: UInt64
        public var t2: NTPTimestamp
        public var t3: NTPTimestamp

        public init(requester: UInt32, t1: UInt64, t2: NTPTimestamp, t3: NTPTimestamp) {
            self.requester = requester
            self.t1 = t1
            self.t2 = t2
            self.t3 = t3
        }
    }

    /// The request's t1, or nil when `packet` is not an `ESYN` request.
    public static func request(in packet: RTCPApplicationPacket) -> UInt64? {
        guard packet.name == name, packet.subtype == requestSubtype, packet.data.count >= requestBytes else {
            return nil
        }
        return load64(packet.data, at: 0)
    }

    /// The answer, or nil when `packet` is not an `ESYN` answer.
    public static func answer(in packet: RTCPApplicationPacket) -> Answer? {
        guard packet.name == name, packet.subtype == answerSubtype, packet.data.count >= answerBytes else {
            return nil
        }
        let data = packet.data
        return Answer(
            requester: data.loadBigEndianUInt32(at: 0), t1: load64(data, at: 8),
            t2: NTPTimestamp(rawValue: load64(data, at: 16)), t3: NTPTimestamp(rawValue: load64(data, at: 24)))
    }

    /// Writes a request's data (t1) into `data` (at least `requestBytes`).
    public static func writeRequest(t1: UInt64, into data: UnsafeMutableRawBufferPointer) {
        store64(t1, into: data, at: 0)
    }

    /// Writes an answer's data into `data` (at least `answerBytes`).
    public static func writeAnswer(_ answer: Answer, into data: UnsafeMutableRawBufferPointer) {
        data.storeBigEndian(answer.requester, at: 0)
        data.storeBigEndian(UInt32(0), at: 4)
        store64(answer.t1, into: data, at: 8)
        store64(answer.t2.rawValue, into: data, at: 16)
        store64(answer.t3.rawValue, into: data, at: 24)
    }

    static func load64(_ data: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(data.loadBigEndianUInt32(at: offset)) << 32 | UInt64(data.loadBigEndianUInt32(at: offset + 4))
    }

    static func store64(_ value: UInt64, into data: UnsafeMutableRawBufferPointer, at offset: Int) {
        data.storeBigEndian(UInt32(truncatingIfNeeded: value >> 32), at: offset)
        data.storeBigEndian(UInt32(truncatingIfNeeded: value), at: offset + 4)
    }
}
