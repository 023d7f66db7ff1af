import EarshotALSA
import Foundation
import Testing

/// Deterministic tests through ALSA's `file` plugin (unpaced, no sound card needed).
@Suite struct PCMDeviceFileTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-alsa-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func writeConfiguration(_ text: String) throws -> String {
        let path = directory.appendingPathComponent("asoundrc").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func playbackThroughFilePluginRecordsExactSamples() throws {
        let raw = directory.appendingPathComponent("out.raw").path
        let config = try writeConfiguration(
            "pcm.tofile { type file; slave.pcm null; file \"\(raw)\"; format raw }\n")
        let frames = 1000
        let samples = (0..<frames * 2).map { Float(($0 % 200) - 100) / 128 }
        do {
            let device = try PCMDevice(
                name: "tofile", stream: .playback,
                configuration: PCMConfiguration(sampleRate: 48_000, channels: 2, periodFrames: 100, bufferFrames: 400),
                configurationFile: config)
            #expect(device.parameters.format == .float32LittleEndian)
            #expect(device.parameters.sampleRate == 48_000)
            #expect(device.parameters.channels == 2)
            let written = samples.withUnsafeBufferPointer { device.writeInterleaved($0.baseAddress!, frames: frames) }
            #expect(written == frames)
            _ = device.drain()
            device.close()
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: raw))
        let recorded = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(recorded.count >= samples.count)
        #expect(Array(recorded.prefix(samples.count)) == samples)
    }

    @Test func sixteenBitDeviceConvertsFloat() throws {
        let raw = directory.appendingPathComponent("out16.raw").path
        let config = try writeConfiguration(
            "pcm.s16 { type file; slave.pcm null; file \"\(raw)\"; format raw }\n")
        let device = try PCMDevice(
            name: "s16", stream: .playback,
            configuration: PCMConfiguration(
                channels: 1, periodFrames: 64, bufferFrames: 256,
                formatPreference: [.signed16LittleEndian]),
            configurationFile: config)
        #expect(device.parameters.format == .signed16LittleEndian)
        let samples: [Float] = [0, 0.5, -0.5, 1.0, -1.0, 2.0, .nan]
        let written = samples.withUnsafeBufferPointer {
            device.writeInterleaved($0.baseAddress!, frames: samples.count)
        }
        #expect(written == samples.count)
        _ = device.drain()
        device.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: raw))
        let recorded = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        #expect(Array(recorded.prefix(samples.count)) == [0, 16384, -16384, 32767, -32768, 32767, 0])
    }

    @Test func captureFromInfileReadsItsSamples() throws {
        let input = directory.appendingPathComponent("in.raw").path
        let samples = (0..<960 * 2).map { Float($0) / 4096 }
        try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: input))
        let config = try writeConfiguration(
            "pcm.fromfile { type file; slave.pcm null; file \"/dev/null\"; infile \"\(input)\"; format raw }\n")
        let device = try PCMDevice(
            name: "fromfile", stream: .capture,
            configuration: PCMConfiguration(channels: 2, periodFrames: 120, bufferFrames: 480),
            configurationFile: config)
        #expect(device.parameters.format == .float32LittleEndian)
        var captured = [Float](repeating: -9, count: 960 * 2)
        var done = 0
        while done < 960 {
            let got = captured.withUnsafeMutableBufferPointer {
                device.readInterleaved(into: $0.baseAddress! + done * 2, frames: min(120, 960 - done))
            }
            #expect(got > 0)
            if got <= 0 { break }
            done += got
        }
        #expect(captured == samples)
    }

    @Test func unknownDeviceThrowsTypedErrorWithHint() {
        do {
            _ = try PCMDevice(name: "earshot_no_such_device", stream: .playback)
            Issue.record("opening a missing device succeeded")
        } catch {
            #expect(error.device == "earshot_no_such_device")
            #expect(error.code < 0)
            #expect(error.hint.contains("aplay -L"))
            #expect(error.description.contains("earshot_no_such_device"))
            guard case .deviceNotFound = error else {
                Issue.record("expected .deviceNotFound, got \(error)")
                return
            }
        }
    }
}
