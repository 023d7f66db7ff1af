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
        _ signal: [Float], frame: Int, every: Int, _ operation: Operation, maxLag: Int = 480,
        minCorrelation: Float = 0.9
    ) -> (output: [Float], change: Int, stretched: Int) {
        let stretcher = TimeStretcher(channels: 2, minCorrelation: minCorrelation)
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
            print("frame \(frame) \(operation): change \(result.change) in \(result.stretched) ops, "
                + "windows < 35 dB: \(local.count)")
            #expect(glitches.isEmpty, "frame \(frame) \(operation): \(glitches)")
            #expect(result.stretched > 0)
            #expect(result.output.count == signal.count / frame * frame + result.change)
            if operation == .accelerate { #expect(result.change < 0) } else { #expect(result.change > 0) }
        }
    }

    /// A quiet sine on the left, a loud sweep on the right (the glass-to-glass rig's reference and chirp): a lag
    /// chosen for the interleaved frame as a whole would suit the loud channel and cut the sine mid-period. Each
    /// channel must match on its own, so the sine stays clean in every 10 ms window, in 2.5 ms frames too.
    @Test(arguments: [120, 240])
    func quietToneBesideALoudSweepSurvives(frame: Int) {
        let count = 48_000
        let sine = Self.sine(997, seconds: 1, amplitude: 0.1)
        // 300 Hz → 6 kHz over each 50 ms, repeated: never periodic within a frame.
        let sweep: [Float] = (0..<count).map { index in
            let t = Double(index % 2400) / 48_000
            return Float(0.8 * sin(2 * .pi * (300 * t + (5_700 / 0.05) * t * t / 2)))
        }
        let stretcher = TimeStretcher(channels: 2)
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: 5760 * 2)
        defer { pcm.deallocate() }
        var left: [Float] = []
        var stretched = 0
        var start = 0
        while start + frame <= count {
            for index in 0..<frame {
                pcm[2 * index] = sine[start + index]
                pcm[2 * index + 1] = sweep[start + index]
            }
            var frames = frame
            if (start / frame) % 2 == 1 {
                frames = (start / frame) % 4 == 1
                    ? stretcher.accelerate(pcm, frames: frame, maxLagFrames: frame)
                    : stretcher.expand(pcm, frames: frame, capacityFrames: 5760, maxLagFrames: frame)
            }
            if frames != frame { stretched += 1 }
            for index in 0..<frames { left.append(pcm[2 * index]) }
            start += frame
        }
        let glitches = SignalAnalysis.glitchWindows(
            left, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        print("sine beside sweep, frame \(frame): \(stretched) splices, glitch windows \(glitches.count)")
        #expect(glitches.isEmpty, "\(glitches)")
    }

    /// 440 + 660 Hz (a 220 Hz common period, 218 samples): the splice must find the common period, which fits in
    /// 10 and 20 ms frames. Local fit per tone is not possible, so compare with the tone pair at the best phase:
    /// the output minus a locally fitted two-tone model stays 20 dB down in every 10 ms window.
    @Test(arguments: [480, 960])
    func twoToneSurvivesAccelerateAndExpand(frame: Int) {
        let low = Self.sine(440, seconds: 1, amplitude: 0.3)
        let high = Self.sine(660, seconds: 1, amplitude: 0.3)
        let signal: [Float] = zip(low, high).map { $0 + $1 }
        for operation in [Operation.accelerate, .expand] {
            let result = Self.stream(signal, frame: frame, every: 3, operation)
            let worst = Self.worstTwoToneSNR(result.output, windowFrames: 480)
            print("two-tone frame \(frame) \(operation): change \(result.change) in \(result.stretched) ops, "
                + "worst window SNR \(worst) dB")
            #expect(worst > 20, "frame \(frame) \(operation): worst window \(worst) dB")
            #expect(result.stretched > 0)
            // Every operation moved the length by a multiple of the common period (±1 sample per operation).
            let period = 48_000.0 / 220
            let periods: Double = Double(abs(result.change)) / period
            let offPeriod: Double = abs(periods - periods.rounded()) * period
            let tolerance = Double(result.stretched) + 1
            #expect(offPeriod <= tolerance, "change \(result.change)")
            if operation == .accelerate { #expect(result.change < 0) } else { #expect(result.change > 0) }
        }
    }

    /// Least-squares fit of sin/cos at 440 and 660 Hz per window; the worst window's SNR in dB.
    static func worstTwoToneSNR(_ signal: [Float], windowFrames: Int) -> Double {
        var worst = Double.infinity
        var start = 0
        while start + windowFrames <= signal.count {
            let window = Array(signal[start..<(start + windowFrames)])
            // Fit 440 Hz, subtract, fit 660 Hz on the rest: the two are orthogonal enough over 10 ms (4.4 vs 6.6
            // cycles) only approximately, so iterate a few times.
            var residual = window.map(Double.init)
            var model = [Double](repeating: 0, count: windowFrames)
            for _ in 0..<8 {
                for frequency in [440.0, 660.0] {
                    let omega = 2 * Double.pi * frequency / 48_000
                    var a = 0.0, b = 0.0, ss = 0.0, cc = 0.0
                    for n in 0..<windowFrames {
                        let sn = sin(omega * Double(n + start)), cn = cos(omega * Double(n + start))
                        a += residual[n] * sn; b += residual[n] * cn; ss += sn * sn; cc += cn * cn
                    }
                    a /= ss; b /= cc
                    for n in 0..<windowFrames {
                        let part = a * sin(omega * Double(n + start)) + b * cos(omega * Double(n + start))
                        model[n] += part
                        residual[n] -= part
                    }
                }
            }
            let power = model.reduce(0) { $0 + $1 * $1 }
            let error = residual.reduce(0) { $0 + $1 * $1 }
            worst = min(worst, 10 * log10(power / max(error, 1e-30)))
            start += windowFrames
        }
        return worst
    }

    @Test func silenceIsCutOrPaddedWithSilence() {
        let signal = [Float](repeating: 0, count: 9600)
        for operation in [Operation.accelerate, .expand] {
            let result = Self.stream(signal, frame: 240, every: 2, operation)
            #expect(result.stretched == 20)
            #expect(result.output.allSatisfy { $0 == 0 })
            // Silence takes the longest lag the frame allows (240 − 60 cross-fade).
            #expect(abs(result.change) == 20 * 180, "\(operation): \(result.change)")
        }
    }

    /// White noise has no period: no lag matches well enough, so it is left alone rather than clicked.
    @Test func noiseIsLeftAlone() {
        var generator = SystemRandomNumberGenerator()
        let signal = (0..<48_000).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        for operation in [Operation.accelerate, .expand] {
            let result = Self.stream(signal, frame: 240, every: 2, operation)
            #expect(result.stretched == 0)
            #expect(result.output == Array(signal.prefix(48_000 / 240 * 240)))
        }
    }

    /// With the correlation floor off, noise is spliced and the cross-fade keeps the level (no dropout, no burst).
    @Test func noiseKeepsItsLevelAcrossForcedSplices() {
        var generator = SystemRandomNumberGenerator()
        let signal = (0..<48_000).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        let level = SignalAnalysis.rms(signal)
        for operation in [Operation.accelerate, .expand] {
            let result = Self.stream(signal, frame: 240, every: 2, operation, minCorrelation: -1)
            #expect(result.stretched == 100)
            #expect(result.output.count == 48_000 + result.change)
            #expect(result.output.allSatisfy { abs($0) <= 0.5 }, "a cross-fade never exceeds its inputs")
            var start = 0
            while start + 480 <= result.output.count {
                let windowLevel = SignalAnalysis.rms(result.output[start..<(start + 480)])
                #expect(20 * log10(windowLevel / level) > -3, "window at \(start): \(windowLevel) vs \(level)")
                start += 480
            }
        }
    }

    /// A lag cap below the shortest lag means no operation at all.
    @Test func frameTooShortForTheLagIsLeftAlone() {
        let stretcher = TimeStretcher(channels: 1)
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: 240)
        defer { pcm.deallocate() }
        for index in 0..<240 { pcm[index] = Float(sin(Double(index) / 7)) }
        #expect(stretcher.accelerate(pcm, frames: 240, maxLagFrames: 10) == 240)
        #expect(stretcher.expand(pcm, frames: 240, capacityFrames: 250, maxLagFrames: 480) == 240)
        #expect(stretcher.expand(pcm, frames: 16, capacityFrames: 5760, maxLagFrames: 480) == 16)
    }
}
