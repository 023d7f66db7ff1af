// Helpers shared by the fuzz targets (compiled into each target's executable).

/// Where targets fold the values they read, so the optimizer cannot drop the reads.
nonisolated(unsafe) var fuzzSink: UInt64 = 0

/// Keeps `value` observable.
@inline(never)
func fuzzConsume(_ value: UInt64) {
    fuzzSink &+= value
}

/// Sums `bytes` into the sink: every byte of a view is read once.
func fuzzConsume(_ bytes: UnsafeRawBufferPointer) {
    var sum: UInt64 = 0
    for byte in bytes { sum &+= UInt64(byte) }
    fuzzConsume(sum &+ UInt64(bytes.count))
}

/// Whether `inner` lies entirely inside `outer` (an empty view may sit at either end of it).
func fuzzLies(_ inner: UnsafeRawBufferPointer, within outer: UnsafeRawBufferPointer) -> Bool {
    guard let innerStart = inner.baseAddress else { return inner.isEmpty }
    guard let outerStart = outer.baseAddress else { return false }
    return innerStart >= outerStart && innerStart + inner.count <= outerStart + outer.count
}
