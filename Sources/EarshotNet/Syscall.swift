#if canImport(Glibc)
import Glibc
#endif

/// The one funnel every socket call goes through: retries `EINTR`, turns `-1` into a typed `SocketError`.
///
/// Returns `nil` for `EAGAIN`/`EWOULDBLOCK` when `blocking` is false, meaning "timed out / nothing ready".
/// Allocation-free on every path (the receive path relies on that). Not generic, so no metadata is instantiated
/// per call; callers widen `Int32` results to `Int`.
@inline(__always)
func syscall(
    blocking: Bool,
    _ operation: SocketOperation,
    address: SocketAddress? = nil,
    _ body: () -> Int
) throws(SocketError) -> Int? {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        switch code {
        case EINTR:
            continue
        case EAGAIN where !blocking, EWOULDBLOCK where !blocking:
            return nil
        default:
            throw SocketError(operation: operation, code: code, address: address)
        }
    }
}

/// `syscall(blocking: true, ...)` for calls whose success value is all that matters.
@inline(__always)
func syscallChecked(
    _ operation: SocketOperation,
    address: SocketAddress? = nil,
    _ body: () -> Int
) throws(SocketError) -> Int {
    // `blocking: true` never returns nil.
    try syscall(blocking: true, operation, address: address, body)!
}

