import Foundation

/// Parses a `/metrics` body with the Prometheus project's own Python client parser (Debian's
/// python3-prometheus-client, `text_string_to_metric_families`): samples by `name{label="value"}`, and the families
/// with their type and help. Throws when the parser rejects the text.
public struct PrometheusExposition {
    public struct Family: Decodable, Sendable {
        public let name: String
        public let type: String
        public let help: String
    }

    public let families: [Family]
    /// Sample name with its labels sorted (`earshot_packets_malformed_total{reason="rtp_bad_version"}`) → value.
    public let samples: [String: Double]

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        families, samples = [], {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            families.append({"name": family.name, "type": family.type, "help": family.documentation})
            for sample in family.samples:
                labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
                samples[sample.name + ("{" + labels + "}" if labels else "")] = sample.value
        json.dump({"families": families, "samples": samples}, sys.stdout)
        """

    public init(parsing text: String) throws {
        let input = Pipe()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).json")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let child = try ChildProcess(
            "/usr/bin/python3", ["-c", Self.script], standardInput: input.fileHandleForReading,
            standardOutput: try FileHandle(forWritingTo: output))
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let status = child.wait(seconds: 20)
        guard status == 0 else { throw PrometheusParseError.rejected(log: child.log, status: status) }
        struct Parsed: Decodable {
            let families: [Family]
            let samples: [String: Double]
        }
        let parsed = try JSONDecoder().decode(Parsed.self, from: Data(contentsOf: output))
        families = parsed.families
        samples = parsed.samples
    }

    public func family(_ name: String) -> Family? { families.first { $0.name == name } }
}

public enum PrometheusParseError: Error { case rejected(log: String, status: Int32?) }
