import EarshotDSP
import Foundation
import Testing

@testable import EarshotReceiver

/// The stretcher on test signals, frame by frame as the producer uses it: every frame passes through, some are
/// shortened or lengthened; the output must stay a clean tone locally (no glitch window at 20 dB) and change length by
/// what was reported.
@Suite struct TimeStretcherTests {
    enum Operation { case accelerate, expand }

    /// Streams `signal` (mono) in `frame`-sized frames, stretching every `every`-th frame as stereo (both channels
    /// equal); returns channel 0 of the output and the total length change.
    static func stream(
        _ signal: [Float], frame: Int, every: Int, _ operation: Operation, maxLag: Int = 480
    ) -> (output: [Float], change: Int, stretched: Int) {
        let stretcher = TimeStretcher(channels: 2)
        let capacity = 5760
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: capacity * 2)
        defer { pcm.deallocate() }
        var output: [Float] = []
        var change = 0
        var stretched = 0
        var start = 0
        var count = 0
        while start + frame <= signal.count {
            for index in 0..<frame {
                pcm[2 * index] = signal[start + index]
                pcm[2 * index + 1] = signal[start + index]
            }
            var frames = frame
            if count % every == every - 1 {
                switch operation {
                case .accelerate: frames = stretcher.accelerate(pcm, frames: frame, maxLagFrames: maxLag)
                case .expand:
                    frames = stretcher.expand(pcm, frames: frame, capacityFrames: capacity, maxLagFrames: maxLag)
                }
                if frames != frame { stretched += 1 }
            }
            for index in 0..<frames {
                #expect(pcm[2 * index] == pcm[2 * index + 1])
                output.append(pcm[2 * index])
            }
            change += frames - frame
            start += frame
            count += 1
        }
        return (output, change, stretched)
    }

    static func sine(_ frequency: Double, seconds: Double, amplitude: Double = 0.5) -> [Float] {
        (0..<Int(seconds * 48_000)).map { Float(amplitude * sin(2 * .pi * frequency * Double($0) / 48_000)) }
    }

    @Test(arguments: [120, 240, 480, 960])
    func sineSurvivesAccelerateAndExpand(frame: Int) {
        let signal = Self.sine(997, seconds: 1)
        for operation in [Operation.accelerate, .expand] {
            let result = Self.stream(signal, frame: frame, every: 4, operation)
            let glitches = SignalAnalysis.glitchWindows(
                result.output, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
            let local = SignalAnalysis.glitchWindows(
                result.output, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 35)
            print("frame \(frame) \(operation): change \(result.change) in \(result.stretched) ops, windows < 35 dB: \(local.count)")
            #expect(glitches.isEmpty, "frame \(frame) \(operation): \(glitches)")
            #expect(result.stretched > 0)
            #expect(result.output.count == signal.count / frame * frame + result.change)
            if operation == .accelerate { #expect(result.change < 0) } else { #expect(result.change > 0) }
        }
    }
}
