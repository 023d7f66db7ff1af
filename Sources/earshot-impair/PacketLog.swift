#if canImport(Glibc)
import Glibc
#endif

/// One text line per packet decision, so tests can compare a receiver's loss counts with the proxy's:
///
///     <ms since start> <forward|drop> seq=<RTP seq or -> len=<bytes> [delay_ms=<ms>] [cause=random|burst]
///         [reordered] [duplicated] [corrupted]
///
/// Buffered stdio; flushed on close. Main thread only.
final class PacketLog {
    private let file: UnsafeMutablePointer<FILE>

    init(path: String) throws {
        guard let file = fopen(path, "w") else {
            throw PacketLogError(path: path, code: errno)
        }
        self.file = file
    }

    deinit { fclose(file) }

    func write(_ line: String) {
        fputs(line, file)
        fputs("\n", file)
    }

    func flush() { fflush(file) }
}

struct PacketLogError: Error, CustomStringConvertible {
    let path: String
    let code: Int32
    var description: String {
        "--log: cannot open '\(path)' for writing: \(String(cString: strerror(code))) (errno \(code))"
    }
}
