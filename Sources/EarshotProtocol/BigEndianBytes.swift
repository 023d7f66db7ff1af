// Network byte order loads and stores over raw memory. Every wire type in this module reads and writes through these
// so that bounds are checked in one place and nothing is copied or allocated.

extension UnsafeRawBufferPointer {
    /// Reads a big-endian `UInt16` at `offset`. The caller has checked `offset + 2 <= count`.
    @inlinable
    func loadBigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Reads a big-endian `UInt32` at `offset`. The caller has checked `offset + 4 <= count`.
    @inlinable
    func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes `value` big-endian at `offset`. The caller has checked `offset + 2 <= count`.
    @inlinable
    func storeBigEndian(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Writes `value` big-endian at `offset`. The caller has checked `offset + 4 <= count`.
    @inlinable
    func storeBigEndian(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
}
