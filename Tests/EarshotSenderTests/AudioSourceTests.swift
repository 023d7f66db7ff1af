#if canImport(Glibc)
import Glibc
#endif
import EarshotDSP
import EarshotSender
import Foundation
import Testing

@Suite struct AudioSourceTests {
    /// Reads every block of `source` until end of stream; returns the audio and the frames the last block reported.
    func drain<S: AudioSource>(_ source: inout S) throws -> (samples: [Float], reads: [AudioSourceRead]) {
        var block = [Float](repeating: .nan, count: source.framesPerBlock * source.channels)
        var samples: [Float] = []
        var reads: [AudioSourceRead] = []
        while true {
            let read = try block.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!) }
            reads.append(read)
            if read == .endOfStream { break }
            samples += block
            if reads.count > 10_000 { Issue.record("no end of stream"); break }
        }
        return (samples, reads)
    }

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "earshot-\(getpid())-\(UInt32.random(in: 0 ... .max))-\(name)"
    }

    @Test(arguments: [WAVFile.SampleEncoding.int16, .int24, .float32])
    func wavSourceReadsEncodingsAndConvertsChannels(encoding: WAVFile.SampleEncoding) throws {
        var generator = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 1)
        let mono = generator.generate(frames: 1_000)  // not a multiple of the block: exercises the last block
        let path = temporaryPath("mono.wav")
        defer { unlink(path) }
        try WAVFile(sampleRate: 48_000, channels: 1, samples: mono).write(path: path, as: encoding)

        var source = try WAVFileSource(path: path, channels: 2, framesPerBlock: 240)
        let (samples, reads) = try drain(&source)
        #expect(reads == [.block, .block, .block, .block, .lastBlock(frames: 40), .endOfStream])
        let left = SignalAnalysis.channel(0, of: samples, channels: 2)
        let right = SignalAnalysis.channel(1, of: samples, channels: 2)
        #expect(left == right)
        let tolerance: Float = encoding == .int16 ? 1e-4 : 1e-6
        for index in 0..<1_000 { #expect(abs(left[index] - mono[index]) <= tolerance) }
        #expect(left[1_000...].allSatisfy { $0 == 0 }, "padding is silence")
        let fit = SignalAnalysis.sineFit(left[0..<1_000], frequency: 997, sampleRate: 48_000)
        #expect(fit.snrDB > (encoding == .int16 ? 80 : 100))
    }

    @Test func wavSourceDownmixesStereoToMono() throws {
        let stereo: [Float] = (0..<480).flatMap { _ in [0.5, -0.25] as [Float] }
        let path = temporaryPath("stereo.wav")
        defer { unlink(path) }
        try WAVFile(sampleRate: 48_000, channels: 2, samples: stereo).write(path: path, as: .float32)
        var source = try WAVFileSource(path: path, channels: 1, framesPerBlock: 480)
        let (samples, reads) = try drain(&source)
        #expect(reads == [.block, .endOfStream])
        #expect(samples.allSatisfy { $0 == 0.125 })
    }

    @Test func wavSourceRefusesOtherRatesNamingTheRate() throws {
        let path = temporaryPath("44k.wav")
        defer { unlink(path) }
        try WAVFile(sampleRate: 44_100, channels: 2, samples: [Float](repeating: 0, count: 200)).write(path: path)
        #expect(throws: AudioSourceError.unsupportedSampleRate(source: path, rate: 44_100)) {
            try WAVFileSource(path: path, channels: 2, framesPerBlock: 240)
        }
        #expect(AudioSourceError.unsupportedSampleRate(source: path, rate: 44_100).description.contains("44100 Hz"))
        #expect(throws: AudioSourceError.self) { try WAVFileSource(path: path + ".missing", channels: 2, framesPerBlock: 240) }
    }

    @Test(arguments: RawPCMFormat.allCases)
    func rawStreamSourceReadsAPipe(format: RawPCMFormat) throws {
        var generator = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 2)
        let tone = generator.generate(frames: 2_000)
        var bytes: [UInt8] = []
        for sample in tone {
            switch format {
            case .s16le: withUnsafeBytes(of: Int16(sample * 32_767).littleEndian) { bytes += $0 }
            case .s32le: withUnsafeBytes(of: Int32(Double(sample) * 2_147_483_647).littleEndian) { bytes += $0 }
            case .f32le: withUnsafeBytes(of: sample.bitPattern.littleEndian) { bytes += $0 }
            }
        }
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        // The writer closes its end when done, which the source must see as end of stream.
        let writeEnd = descriptors[1]
        let writer = Thread { [bytes] in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let chunk = min(333, raw.count - offset)  // odd chunks: frames arrive torn across reads
                    let written = write(writeEnd, raw.baseAddress! + offset, chunk)
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(writeEnd)
        }
        writer.start()
        defer { close(descriptors[0]) }
        var source = try RawPCMStreamSource(
            fileDescriptor: descriptors[0], format: format, sampleRate: 48_000, inputChannels: 2, channels: 2,
            framesPerBlock: 480)
        let (samples, reads) = try drain(&source)
        #expect(reads == [.block, .block, .block, .block, .lastBlock(frames: 80), .endOfStream])
        #expect(samples.count == 2_400 * 2)
        let left = SignalAnalysis.channel(0, of: samples, channels: 2)
        let fit = SignalAnalysis.sineFit(left[0..<2_000], frequency: 997, sampleRate: 48_000)
        #expect(fit.snrDB > (format == .s16le ? 80 : 100))
        #expect(abs(fit.amplitude - 0.5) < 1e-3)
    }

    @Test func rawStreamSourceRefusesOtherRates() {
        #expect(throws: AudioSourceError.unsupportedSampleRate(source: "stdin", rate: 44_100)) {
            try RawPCMStreamSource(
                fileDescriptor: 0, format: .s16le, sampleRate: 44_100, inputChannels: 2, channels: 2,
                framesPerBlock: 240)
        }
    }

    @Test func toneSourceFrequencyAndLength() throws {
        var source = try ToneSource(
            frequency: 440, amplitude: 0.25, channels: 2, framesPerBlock: 240, durationFrames: 48_000)
        let (samples, reads) = try drain(&source)
        #expect(reads.count == 201 && reads.last == .endOfStream && reads.dropLast().allSatisfy { $0 == .block })
        let right = SignalAnalysis.channel(1, of: samples, channels: 2)
        let fit = SignalAnalysis.sineFit(right, frequency: 440, sampleRate: 48_000)
        #expect(fit.snrDB > 100, "phase-continuous across blocks")
        #expect(abs(fit.amplitude - 0.25) < 1e-4)
        #expect(SignalAnalysis.sineFit(right, frequency: 450, sampleRate: 48_000).snrDB < 10)
    }
}
