#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The least-squares sine that best matches a signal, and how much of the signal it leaves unexplained.
public struct SineFit: Sendable, Equatable {
    /// Peak amplitude of the fitted sine.
    public var amplitude: Double
    /// Phase of the fitted sine at the first sample, in radians.
    public var phase: Double
    /// Power of the fitted sine over power of the residual (noise, distortion, glitches), in dB.
    public var snrDB: Double
}

/// Measurements that tests and the latency tool make on audio that came out of the system.
///
/// Everything here allocates and is meant for analysis after the fact, never for a real-time thread.
public enum SignalAnalysis {
    /// Fits `a·sin(ωn) + b·cos(ωn) + c` at a known frequency and reports the sine's amplitude and the SNR.
    public static func sineFit<C: Collection>(_ signal: C, frequency: Double, sampleRate: Double) -> SineFit
    where C.Element == Float {
        let omega = 2 * Double.pi * frequency / sampleRate
        // Normal equations of the 3-parameter fit (sin, cos, dc).
        var ss = 0.0, cc = 0.0, sc = 0.0, s1 = 0.0, c1 = 0.0, n = 0.0
        var xs = 0.0, xc = 0.0, x1 = 0.0
        var index = 0.0
        for sample in signal {
            let s = sin(omega * index), c = cos(omega * index), x = Double(sample)
            ss += s * s; cc += c * c; sc += s * c; s1 += s; c1 += c; n += 1
            xs += x * s; xc += x * c; x1 += x
            index += 1
        }
        guard n >= 3 else { return SineFit(amplitude: 0, phase: 0, snrDB: -.infinity) }
        guard let (a, b, dc) = solve3(
            [[ss, sc, s1], [sc, cc, c1], [s1, c1, n]], [xs, xc, x1]
        ) else { return SineFit(amplitude: 0, phase: 0, snrDB: -.infinity) }
        var fitPower = 0.0, residualPower = 0.0
        index = 0
        for sample in signal {
            let tone = a * sin(omega * index) + b * cos(omega * index)
            let residual = Double(sample) - tone - dc
            fitPower += tone * tone
            residualPower += residual * residual
            index += 1
        }
        let snr = residualPower > 0 ? 10 * log10(fitPower / residualPower) : .infinity
        return SineFit(amplitude: (a * a + b * b).squareRoot(), phase: atan2(b, a), snrDB: snr)
    }

    /// The SNR of each consecutive window's own sine fit (each `windowFrames` long; a partial last window is left out).
    public static func windowSNRs(
        _ signal: [Float], frequency: Double, sampleRate: Double, windowFrames: Int
    ) -> [Double] {
        (0..<(signal.count / windowFrames)).map { window in
            sineFit(
                signal[(window * windowFrames)..<((window + 1) * windowFrames)], frequency: frequency,
                sampleRate: sampleRate
            ).snrDB
        }
    }

    /// Indices of consecutive windows (each `windowFrames` long) whose own sine fit falls below `minimumSNRdB`.
    ///
    /// A dropout, click or repeated block ruins the local fit even when the whole-signal SNR still looks fine.
    public static func glitchWindows(
        _ signal: [Float], frequency: Double, sampleRate: Double, windowFrames: Int, minimumSNRdB: Double
    ) -> [Int] {
        windowSNRs(signal, frequency: frequency, sampleRate: sampleRate, windowFrames: windowFrames)
            .enumerated().filter { $0.element < minimumSNRdB }.map(\.offset)
    }

    /// Root-mean-square level.
    public static func rms<C: Collection>(_ signal: C) -> Double where C.Element == Float {
        guard !signal.isEmpty else { return 0 }
        var sum = 0.0
        for sample in signal { sum += Double(sample) * Double(sample) }
        return (sum / Double(signal.count)).squareRoot()
    }

    /// Level in dB relative to full scale of a sine (RMS of a full-scale sine is −3 dBFS).
    public static func rmsDBFS<C: Collection>(_ signal: C) -> Double where C.Element == Float {
        20 * log10(max(rms(signal), 1e-12))
    }

    /// One channel of interleaved audio.
    public static func channel(_ index: Int, of interleaved: [Float], channels: Int) -> [Float] {
        guard channels > 0 else { return [] }
        return stride(from: index, to: interleaved.count, by: channels).map { interleaved[$0] }
    }

    /// Runs of at least `minimumFrames` consecutive samples whose magnitude stays below `threshold`, counted only
    /// between the first and the last sample louder than `threshold` (lead-in and tail silence are not dropouts).
    public static func dropouts(_ signal: [Float], threshold: Float = 1e-3, minimumFrames: Int) -> [Range<Int>] {
        guard let first = signal.firstIndex(where: { abs($0) >= threshold }),
            let last = signal.lastIndex(where: { abs($0) >= threshold })
        else { return [] }
        var found: [Range<Int>] = []
        var runStart: Int?
        for index in first...last {
            if abs(signal[index]) < threshold {
                if runStart == nil { runStart = index }
            } else if let start = runStart {
                if index - start >= minimumFrames { found.append(start..<index) }
                runStart = nil
            }
        }
        return found
    }

    /// The lag (in samples) at which `signal` best matches `reference` delayed, searched over `0...maxLag`, with the
    /// normalised correlation at that lag (1 = identical shape). Uses an FFT, so long signals are cheap.
    public static func delayByCrossCorrelation(reference: [Float], signal: [Float], maxLag: Int) -> (lag: Int, correlation: Double) {
        guard !reference.isEmpty, !signal.isEmpty, maxLag >= 0 else { return (0, 0) }
        let length = reference.count + signal.count
        var size = 1
        while size < length { size <<= 1 }
        var refRe = [Double](repeating: 0, count: size), refIm = [Double](repeating: 0, count: size)
        var sigRe = [Double](repeating: 0, count: size), sigIm = [Double](repeating: 0, count: size)
        for (i, x) in reference.enumerated() { refRe[i] = Double(x) }
        for (i, x) in signal.enumerated() { sigRe[i] = Double(x) }
        FFT.transform(&refRe, &refIm, inverse: false)
        FFT.transform(&sigRe, &sigIm, inverse: false)
        // signal ⋆ reference: S · conj(R); lag k means signal[n + k] ≈ reference[n].
        for i in 0..<size {
            let re = sigRe[i] * refRe[i] + sigIm[i] * refIm[i]
            let im = sigIm[i] * refRe[i] - sigRe[i] * refIm[i]
            sigRe[i] = re
            sigIm[i] = im
        }
        FFT.transform(&sigRe, &sigIm, inverse: true)
        var bestLag = 0
        var best = -Double.infinity
        for lag in 0...min(maxLag, size - 1) where sigRe[lag] > best {
            best = sigRe[lag]
            bestLag = lag
        }
        // Normalise by the energies of the overlapping parts.
        let overlap = min(reference.count, signal.count - bestLag)
        guard overlap > 0 else { return (bestLag, 0) }
        var refEnergy = 0.0, sigEnergy = 0.0
        for i in 0..<overlap {
            refEnergy += Double(reference[i]) * Double(reference[i])
            sigEnergy += Double(signal[i + bestLag]) * Double(signal[i + bestLag])
        }
        let norm = (refEnergy * sigEnergy).squareRoot()
        return (bestLag, norm > 0 ? best / Double(size) / norm : 0)
    }

    private static func solve3(_ m: [[Double]], _ v: [Double]) -> (Double, Double, Double)? {
        func det(_ a: [[Double]]) -> Double {
            a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
        }
        let d = det(m)
        guard abs(d) > 1e-12 else { return nil }
        func replaced(_ column: Int) -> [[Double]] {
            var copy = m
            for row in 0..<3 { copy[row][column] = v[row] }
            return copy
        }
        return (det(replaced(0)) / d, det(replaced(1)) / d, det(replaced(2)) / d)
    }
}

/// In-place iterative radix-2 complex FFT (unnormalised both ways); the length must be a power of two.
enum FFT {
    static func transform(_ re: inout [Double], _ im: inout [Double], inverse: Bool) {
        let n = re.count
        precondition(n.nonzeroBitCount == 1 && im.count == n, "FFT length must be a power of two")
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { re.swapAt(i, j); im.swapAt(i, j) }
        }
        var length = 2
        while length <= n {
            let angle = (inverse ? 2 : -2) * Double.pi / Double(length)
            let wRe = cos(angle), wIm = sin(angle)
            var start = 0
            while start < n {
                var curRe = 1.0, curIm = 0.0
                for k in 0..<(length / 2) {
                    let a = start + k, b = a + length / 2
                    let tRe = re[b] * curRe - im[b] * curIm
                    let tIm = re[b] * curIm + im[b] * curRe
                    re[b] = re[a] - tRe; im[b] = im[a] - tIm
                    re[a] += tRe; im[a] += tIm
                    let nextRe = curRe * wRe - curIm * wIm
                    curIm = curRe * wIm + curIm * wRe
                    curRe = nextRe
                }
                start += length
            }
            length <<= 1
        }
    }
}
