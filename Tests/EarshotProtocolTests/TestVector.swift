import Foundation

/// One file of `Protocol/vectors`: hex bytes plus `# expect: key=value ...` comment lines.
struct TestVector: CustomStringConvertible, Sendable {
    let url: URL
    let bytes: [UInt8]
    let expectations: [String: String]

    var name: String { url.deletingPathExtension().lastPathComponent }
    /// For invalid vectors: the stat name is the file name up to the first "-".
    var expectedStatName: String { String(name.split(separator: "-")[0]) }
    var description: String { url.pathComponents.suffix(3).joined(separator: "/") }

    /// `Protocol/vectors` located from this source file, so tests and spec read the same files.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    static func all(in folder: String) -> [TestVector] {
        let directory = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".hex") }.sorted().map { load(directory.appendingPathComponent($0)) }
    }

    static func load(_ url: URL) -> TestVector {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var hex = ""
        var expectations: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("# expect:") {
                for pair in line.dropFirst("# expect:".count).split(separator: " ") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    expectations[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
            } else if !line.hasPrefix("#") {
                hex += line.filter { !$0.isWhitespace }
            }
        }
        return TestVector(url: url, bytes: hexBytes(hex), expectations: expectations)
    }

    /// Opus payloads, one hex line each (`Protocol/vectors/opus/*.hex`).
    static func payloadLines(_ name: String) -> [[UInt8]] {
        let text = (try? String(contentsOf: root.appendingPathComponent("opus/\(name)"), encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }.map { hexBytes(String($0)) }
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// Canonical text for comparing a parsed value with an `expect` value (decimal, or hex with 0x).
func matches(_ actual: some BinaryInteger, _ expected: String?) -> Bool {
    guard let expected else { return false }
    if expected.hasPrefix("0x") { return UInt64(expected.dropFirst(2), radix: 16).map { Int128($0) } == Int128(actual) }
    return Int128(expected) == Int128(actual)
}
