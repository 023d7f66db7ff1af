#if canImport(Glibc)
import Glibc
#endif

/// One text line per packet decision and per hostile packet (the flood's excepted), so tests can compare a
/// receiver's counts with the proxy's:
///
///     <ms since start> <forward|drop> seq=<RTP seq or -> len=<bytes> [delay_ms=<ms>] [cause=random|burst]
///         [ts_shift=<samples added by --restamp-jitter-ms>] [reordered] [duplicated] [corrupted]
///     <ms since start> attack class=<class> [seq=<n> ts=<n> ssrc=<n>] [rtcp=bye|sr] port=rtp|rtcp len=<bytes>
///
/// A forward/drop line's time is when the packet left the `--burst-send` group (its arrival without grouping).
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
