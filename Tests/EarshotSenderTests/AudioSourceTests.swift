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

    /// SNR in dB of `signal` (48 kHz) against `0.5·sin(2π·997·t)` from t = 0, over all but `edge` frames at each end:
    /// a stream that starts or stops mid-cycle rings there once band-limited, as it should. Compared with the
    /// analytic sine, not a fitted one, so a delay (a filter ramp-in left in) counts as error too.
    func snrAgainst997Hz(_ signal: [Float], edge: Int = 100) -> Double {
        var power = 0.0
        var noise = 0.0
        for index in edge..<(signal.count - edge) {
            let expected = 0.5 * sin(2 * Double.pi * 997 * Double(index) / 48_000)
            power += expected * expected
            noise += (Double(signal[index]) - expected) * (Double(signal[index]) - expected)
        }
        return 10 * log10(power / noise)
    }

    /// `sample` (−1 ... 1) appended to `bytes` in `format`.
    func append(_ sample: Float, as format: RawPCMFormat, to bytes: inout [UInt8]) {
        switch format {
        case .s16le: withUnsafeBytes(of: Int16(sample * 32_767).littleEndian) { bytes += $0 }
        case .s32le: withUnsafeBytes(of: Int32(Double(sample) * 2_147_483_647).littleEndian) { bytes += $0 }
        case .f32le: withUnsafeBytes(of: sample.bitPattern.littleEndian) { bytes += $0 }
        }
    }

    /// The read end of a pipe a thread writes `bytes` into, `chunk` bytes at a time (odd chunks tear frames across
    /// reads), then closes: the source must see that as end of stream. The caller closes the read end.
    func pipe(writing bytes: [UInt8], chunk: Int) -> Int32 {
        var descriptors: [Int32] = [0, 0]
        #expect(Glibc.pipe(&descriptors) == 0)
        let writeEnd = descriptors[1]
        let writer = Thread {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(writeEnd, raw.baseAddress! + offset, min(chunk, raw.count - offset))
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(writeEnd)
        }
        writer.start()
        return descriptors[0]
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

    @Test func wavSourceRefusesRatesOutsideTheResamplersRangeNamingTheRate() throws {
        let path = temporaryPath("4k.wav")
        defer { unlink(path) }
        try WAVFile(sampleRate: 4_000, channels: 2, samples: [Float](repeating: 0, count: 200)).write(path: path)
        #expect(throws: AudioSourceError.unsupportedSampleRate(source: path, rate: 4_000)) {
            try WAVFileSource(path: path, channels: 2, framesPerBlock: 240)
        }
        let message = AudioSourceError.unsupportedSampleRate(source: path, rate: 4_000).description
        #expect(message.contains("4000 Hz") && message.contains("8000 ... 192000 Hz"), "\(message)")
        #expect(throws: AudioSourceError.self) { try WAVFileSource(path: path + ".missing", channels: 2, framesPerBlock: 240) }
    }

    /// A 997 Hz sine in WAV files at other rates comes out at 48 kHz, clean and exactly as long as the file.
    @Test(arguments: [44_100, 32_000, 96_000, 22_050])
    func wavSourceResamplesTo48kHz(rate: Int) throws {
        let frames = rate + 77  // a second and a bit: stops mid-cycle
        let mono = (0..<frames).map { Float(0.5 * sin(2 * Double.pi * 997 * Double($0) / Double(rate))) }
        let path = temporaryPath("\(rate).wav")
        defer { unlink(path) }
        try WAVFile(sampleRate: rate, channels: 1, samples: mono).write(path: path, as: .float32)
        var source = try WAVFileSource(path: path, channels: 2, framesPerBlock: 240)
        let (samples, reads) = try drain(&source)
        // One second is 200 blocks at 48 kHz, give or take the rounding of the last frame.
        let frames48k = reads.reduce(0) { total, read in
            switch read {
            case .block: return total + 240
            case .lastBlock(let frames): return total + frames
            case .endOfStream: return total
            }
        }
        let expected = Double(frames) * 48_000 / Double(rate)
        #expect(abs(Double(frames48k) - expected) <= 1, "\(frames48k) frames, expected \(expected)")
        let left = SignalAnalysis.channel(0, of: samples, channels: 2)
        #expect(left == SignalAnalysis.channel(1, of: samples, channels: 2))
        let snr = snrAgainst997Hz(Array(left[0..<frames48k]))
        #expect(snr >= 60, "SNR \(snr) dB")
        print("WAVFileSource 997 Hz at \(rate) Hz → 48 kHz: SNR \(String(format: "%.1f", snr)) dB")
    }

    @Test(arguments: RawPCMFormat.allCases)
    func rawStreamSourceReadsAPipe(format: RawPCMFormat) throws {
        var generator = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 2)
        let tone = generator.generate(frames: 2_000)
        var bytes: [UInt8] = []
        for sample in tone { append(sample, as: format, to: &bytes) }
        let readEnd = pipe(writing: bytes, chunk: 333)
        defer { close(readEnd) }
        var source = try RawPCMStreamSource(
            fileDescriptor: readEnd, format: format, sampleRate: 48_000, inputChannels: 2, channels: 2,
            framesPerBlock: 480)
        let (samples, reads) = try drain(&source)
        #expect(reads == [.block, .block, .block, .block, .lastBlock(frames: 80), .endOfStream])
        #expect(samples.count == 2_400 * 2)
        let left = SignalAnalysis.channel(0, of: samples, channels: 2)
        let fit = SignalAnalysis.sineFit(left[0..<2_000], frequency: 997, sampleRate: 48_000)
        #expect(fit.snrDB > (format == .s16le ? 80 : 100))
        #expect(abs(fit.amplitude - 0.5) < 1e-3)
    }

    @Test func rawStreamSourceRefusesRatesOutsideTheResamplersRange() {
        for rate in [7_999, 192_001] {
            #expect(throws: AudioSourceError.unsupportedSampleRate(source: "stdin", rate: rate)) {
                try RawPCMStreamSource(
                    fileDescriptor: 0, format: .s16le, sampleRate: rate, inputChannels: 2, channels: 2,
                    framesPerBlock: 240)
            }
        }
    }

    /// 44.1 kHz stereo on a pipe, written in odd chunks, comes out as 48 kHz blocks of a clean sine, as long as the
    /// input (the filter's tail is flushed into the last block).
    @Test(arguments: [(RawPCMFormat.s16le, 1), (.f32le, 2)])
    func rawStreamSourceResamples44100To48000(format: RawPCMFormat, channels: Int) throws {
        let frames = 44_100 / 2 + 123
        var bytes: [UInt8] = []
        for frame in 0..<frames {
            let sample = Float(0.5 * sin(2 * Double.pi * 997 * Double(frame) / 44_100))
            append(sample, as: format, to: &bytes)
            append(sample, as: format, to: &bytes)
        }
        let readEnd = pipe(writing: bytes, chunk: 1_001)
        defer { close(readEnd) }
        var source = try RawPCMStreamSource(
            fileDescriptor: readEnd, format: format, sampleRate: 44_100, inputChannels: 2, channels: channels,
            framesPerBlock: 240)
        let (samples, reads) = try drain(&source)
        let expected = Double(frames) * 48_000 / 44_100
        guard case .lastBlock(let last) = reads.dropLast().last else {
            Issue.record("no last block: \(reads.suffix(3))")
            return
        }
        let frames48k = (reads.count - 2) * 240 + last
        #expect(reads.dropLast(2).allSatisfy { $0 == .block } && reads.last == .endOfStream)
        #expect(abs(Double(frames48k) - expected) <= 1, "\(frames48k) frames, expected \(expected)")
        let first = SignalAnalysis.channel(0, of: samples, channels: channels)
        let snr = snrAgainst997Hz(Array(first[0..<frames48k]))
        #expect(snr >= (format == .s16le ? 60 : 80), "SNR \(snr) dB")
        print("RawPCMStreamSource \(format) 997 Hz 44.1 → 48 kHz: SNR \(String(format: "%.1f", snr)) dB")
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
