/// View of a BYE packet (PT 203): the sources leaving and an optional reason.
///
/// ```
/// |V=2|P|    SC   |   PT=BYE=203  |             length            |
/// |                           SSRC/CSRC                           |
/// :                              ...                              :
/// |     length    |               reason for leaving            ... (opt)
/// ```
public struct RTCPGoodbye {
    let body: UnsafeRawBufferPointer
    /// Number of SSRC/CSRC identifiers (SC).
    public let sourceCount: Int

    init(body: UnsafeRawBufferPointer, count: Int) {
        self.body = body
        sourceCount = count
    }

    /// Identifier `index` (`0 ..< sourceCount`).
    public func source(at index: Int) -> UInt32 {
        precondition(index >= 0 && index < sourceCount, "BYE source index out of range")
        return body.loadBigEndianUInt32(at: index * 4)
    }

    /// UTF-8 reason text, or `nil` if absent.
    public var reason: UnsafeRawBufferPointer? {
        let start = sourceCount * 4
        guard body.count > start else { return nil }
        let length = Int(body[start])
        return UnsafeRawBufferPointer(rebasing: body[(start + 1)..<(start + 1 + length)])
    }
}
