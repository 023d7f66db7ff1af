/// Builds an RTCP compound packet into a buffer the caller owns (RFC 3550 section 6.1): start with an SR or RR,
/// then SDES with CNAME, then optionally BYE or APP. Allocation-free; one owner at a time (the sender's RTCP task).
///
/// The writer does not reorder or police the packet sequence; ``RTCPCompoundPacket/init(validating:)`` checks what
/// receivers check, and the tests build → parse every packet type.
public struct RTCPCompoundWriter {
    /// Why a packet could not be appended. All are caller errors; the buffer is left as it was before the call.
    public enum WriteError: Error, Sendable, Equatable {
        /// Give a larger buffer: the packet needs `required` bytes in total.
        case bufferTooSmall(required: Int)
        /// RTCP counts are 5 bits: at most 31 report blocks, SDES chunks or BYE sources per packet.
        case tooManyEntries(Int)
        /// SDES item values and the BYE reason are at most 255 bytes.
        case textTooLong(Int)
        /// APP data must be a multiple of 4 bytes and the subtype at most 31.
        case badApplicationData
    }

    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far: the size of the compound packet to send.
    public private(set) var count = 0

    public init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The compound so far, as bytes to send.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    private func reserve(_ size: Int) throws(WriteError) {
        guard buffer.count - count >= size else { throw .bufferTooSmall(required: count + size) }
    }

    private func copy(_ bytes: [UInt8], to offset: Int) {
        bytes.withUnsafeBytes { source in
            guard let base = source.baseAddress, source.count > 0 else { return }
            (buffer.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
        }
    }

    private func writeCommonHeader(count itemCount: Int, type: UInt8, size: Int) {
        buffer[count] = 0x80 | UInt8(itemCount)
        buffer[count + 1] = type
        buffer.storeBigEndian(UInt16(size / 4 - 1), at: count + 2)
    }

    /// Appends an SR with `reportBlocks` (at most 31).
    public mutating func appendSenderReport(
        ssrc: UInt32, senderInfo: RTCPSenderInfo, reportBlocks: [RTCPReportBlock]
    ) throws(WriteError) {
        guard reportBlocks.count <= 31 else { throw .tooManyEntries(reportBlocks.count) }
        let size = 8 + RTCPSenderInfo.size + reportBlocks.count * RTCPReportBlock.size
        try reserve(size)
        writeCommonHeader(count: reportBlocks.count, type: RTCPPacketType.senderReport, size: size)
        buffer.storeBigEndian(ssrc, at: count + 4)
        buffer.storeBigEndian(senderInfo.ntpTimestamp.seconds, at: count + 8)
        buffer.storeBigEndian(senderInfo.ntpTimestamp.fraction, at: count + 12)
        buffer.storeBigEndian(senderInfo.rtpTimestamp, at: count + 16)
        buffer.storeBigEndian(senderInfo.packetCount, at: count + 20)
        buffer.storeBigEndian(senderInfo.octetCount, at: count + 24)
        var offset = count + 28
        // Index loops, not for-in: an unoptimized build allocates per for-in iteration over an Array.
        for index in 0..<reportBlocks.count {
            reportBlocks[index].write(into: buffer, at: offset)
            offset += RTCPReportBlock.size
        }
        count += size
    }

    /// Appends an RR with `reportBlocks` (at most 31; an empty RR is valid and heads a compound with no reception).
    public mutating func appendReceiverReport(
        ssrc: UInt32, reportBlocks: [RTCPReportBlock]
    ) throws(WriteError) {
        guard reportBlocks.count <= 31 else { throw .tooManyEntries(reportBlocks.count) }
        let size = 8 + reportBlocks.count * RTCPReportBlock.size
        try reserve(size)
        writeCommonHeader(count: reportBlocks.count, type: RTCPPacketType.receiverReport, size: size)
        buffer.storeBigEndian(ssrc, at: count + 4)
        var offset = count + 8
        // Index loops, not for-in: an unoptimized build allocates per for-in iteration over an Array.
        for index in 0..<reportBlocks.count {
            reportBlocks[index].write(into: buffer, at: offset)
            offset += RTCPReportBlock.size
        }
        count += size
    }

    /// Appends an SDES with one chunk holding the CNAME item (UTF-8, at most 255 bytes).
    public mutating func appendSourceDescription(ssrc: UInt32, cname: [UInt8]) throws(WriteError) {
        guard cname.count <= 255 else { throw .textTooLong(cname.count) }
        let chunk = (4 + 2 + cname.count + 4) & ~3  // SSRC, item header, text, null item and padding
        let size = 4 + chunk
        try reserve(size)
        writeCommonHeader(count: 1, type: RTCPPacketType.sourceDescription, size: size)
        buffer.storeBigEndian(ssrc, at: count + 4)
        buffer[count + 8] = RTCPSourceDescription.cnameItem
        buffer[count + 9] = UInt8(cname.count)
        var offset = count + 10
        copy(cname, to: offset)
        offset += cname.count
        while offset < count + size {
            buffer[offset] = 0
            offset += 1
        }
        count += size
    }

    /// Appends a BYE for `sources` (at most 31) with an optional UTF-8 `reason` (at most 255 bytes).
    public mutating func appendGoodbye(
        sources: [UInt32], reason: [UInt8]? = nil
    ) throws(WriteError) {
        guard sources.count <= 31 else { throw .tooManyEntries(sources.count) }
        let reasonCount = reason?.count ?? 0
        guard reasonCount <= 255 else { throw .textTooLong(reasonCount) }
        let size = 4 + sources.count * 4 + (reason == nil ? 0 : (1 + reasonCount + 3) & ~3)
        try reserve(size)
        writeCommonHeader(count: sources.count, type: RTCPPacketType.goodbye, size: size)
        var offset = count + 4
        for index in 0..<sources.count {
            buffer.storeBigEndian(sources[index], at: offset)
            offset += 4
        }
        if let reason {
            buffer[offset] = UInt8(reasonCount)
            offset += 1
            copy(reason, to: offset)
            offset += reason.count
            while offset < count + size {
                buffer[offset] = 0
                offset += 1
            }
        }
        count += size
    }

    /// Appends an APP packet; `name` is four ASCII bytes packed big-endian, `data` a multiple of 4 bytes.
    public mutating func appendApplicationPacket(
        subtype: UInt8, ssrc: UInt32, name: UInt32, data: UnsafeRawBufferPointer
    ) throws(WriteError) {
        guard subtype < 32, data.count % 4 == 0 else { throw .badApplicationData }
        let size = 12 + data.count
        try reserve(size)
        writeCommonHeader(count: Int(subtype), type: RTCPPacketType.applicationDefined, size: size)
        buffer.storeBigEndian(ssrc, at: count + 4)
        buffer.storeBigEndian(name, at: count + 8)
        if let source = data.baseAddress, data.count > 0 {
            (buffer.baseAddress! + count + 12).copyMemory(from: source, byteCount: data.count)
        }
        count += size
    }
}
