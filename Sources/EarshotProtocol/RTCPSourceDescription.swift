/// View of an SDES packet (PT 202): `chunkCount` chunks, each an SSRC followed by items and a null terminator,
/// padded to a 32-bit boundary. Earshot sends one chunk with a CNAME item.
///
/// ```
/// |V=2|P|    SC   |  PT=SDES=202  |             length            |
/// |                          SSRC/CSRC_1                          |
/// |   CNAME=1     |     length    | user and domain name        ...
/// |  0 (end)      |  zero padding to a 32-bit boundary            |
/// ```
public struct RTCPSourceDescription {
    /// SDES item type of the canonical name.
    public static let cnameItem: UInt8 = 1

    let body: UnsafeRawBufferPointer
    /// Number of chunks (SC).
    public let chunkCount: Int

    init(body: UnsafeRawBufferPointer, count: Int) {
        self.body = body
        chunkCount = count
    }

    /// End offset (after padding) of the chunk starting at `chunkStart`, or `nil` if it does not fit.
    static func chunkEnd(_ body: UnsafeRawBufferPointer, chunkStart: Int) -> Int? {
        var offset = chunkStart + 4
        while true {
            guard offset < body.count else { return nil }
            if body[offset] == 0 { break }
            guard offset + 2 <= body.count else { return nil }
            offset += 2 + Int(body[offset + 1])
        }
        let end = (offset + 4) & ~3  // the null item plus padding to the next word
        return end <= body.count ? end : nil
    }

    /// One item with the SSRC of its chunk; `value` is UTF-8 text without terminator.
    public struct Item {
        public let ssrc: UInt32
        public let type: UInt8
        public let value: UnsafeRawBufferPointer
    }

    /// Every item of every chunk, in order.
    public var items: Items { Items(body: body, remainingChunks: chunkCount) }

    /// Iterates items across chunks; relies on validation.
    public struct Items: Sequence, IteratorProtocol {
        let body: UnsafeRawBufferPointer
        var remainingChunks: Int
        var chunkStart = 0
        var offset = -1

        public mutating func next() -> Item? {
            while remainingChunks > 0 {
                if offset < 0 { offset = chunkStart + 4 }
                if body[offset] == 0 {
                    chunkStart = (offset + 4) & ~3
                    offset = -1
                    remainingChunks -= 1
                    continue
                }
                let length = Int(body[offset + 1])
                let item = Item(
                    ssrc: body.loadBigEndianUInt32(at: chunkStart), type: body[offset],
                    value: UnsafeRawBufferPointer(rebasing: body[(offset + 2)..<(offset + 2 + length)]))
                offset += 2 + length
                return item
            }
            return nil
        }
    }
}
