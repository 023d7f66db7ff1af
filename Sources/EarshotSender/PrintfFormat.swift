#if canImport(Glibc)
import Glibc
#endif

extension String {
    /// `printf`-style formatting through the C library's `vsnprintf`. Foundation's `String(format:)` would link
    /// Foundation, ICU and the internationalisation runtime (several MB of resident memory) for a status line.
    /// Integers must use `%ld`/`%lx` (Swift passes `Int` as 64 bits); no `%@`. Any thread (it allocates).
    init(printf format: String, _ arguments: CVarArg...) {
        var buffer = [CChar](repeating: 0, count: 256)
        let needed = withVaList(arguments) { list in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, list) }
        }
        if needed >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(needed) + 1)
            _ = withVaList(arguments) { list in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, list) }
            }
        }
        self = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
