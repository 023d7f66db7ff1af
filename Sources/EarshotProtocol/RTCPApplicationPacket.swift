/// View of an APP packet (PT 204): subtype, SSRC, 4-character name and application data.
///
/// ```
/// |V=2|P| subtype |   PT=APP=204  |             length            |
/// |                           SSRC/CSRC                           |
/// |                          name (ASCII)                         |
/// |                   application-dependent data                ...
/// ```
public struct RTCPApplicationPacket {
    let body: UnsafeRawBufferPointer
    /// 5-bit subtype.
    public let subtype: UInt8

    init(body: UnsafeRawBufferPointer, subtype: UInt8) {
        self.body = body
        self.subtype = subtype
    }

    public var ssrc: UInt32 { body.loadBigEndianUInt32(at: 0) }
    /// The four name bytes, big-endian packed (e.g. `0x45_41_52_53` for "EARS").
    public var name: UInt32 { body.loadBigEndianUInt32(at: 4) }
    /// Application-dependent data (a multiple of 4 bytes unless padded).
    public var data: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: body[8...]) }
}
