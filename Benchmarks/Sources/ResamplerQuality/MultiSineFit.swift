#if canImport(Glibc)
import Glibc
#endif

/// Least-squares fit of sines at known frequencies plus a constant: `x[n] ≈ c + Σ aₖ·sin(ωₖn) + bₖ·cos(ωₖn)`,
/// all amplitudes solved jointly, so a weak component 48 Hz beside a strong one is measured without the strong one's
/// leakage (a separate fit of each would see about −40 dB of it over 0.2 s).
///
/// Frequencies are in cycles per sample. Amplitudes come back in the order of the frequencies; `residualPower` is
/// the mean square of what the fit leaves (noise, distortion, anything at other frequencies).
struct MultiSineFit {
    var amplitudes: [Double]
    /// Phase of each sine at the first sample, radians: the component is `amplitude · sin(ωn + phase)`.
    var phases: [Double]
    var residualPower: Double
    var signalPower: Double

    init(_ signal: ArraySlice<Float>, frequencies: [Double]) {
        let count = frequencies.count * 2 + 1
        var normal = [Double](repeating: 0, count: count * count)
        var projection = [Double](repeating: 0, count: count)
        var power = 0.0
        Self.forEachBasis(signal, frequencies: frequencies) { basis, x in
            power += x * x
            for i in 0..<count {
                projection[i] += basis[i] * x
                for j in i..<count { normal[i * count + j] += basis[i] * basis[j] }
            }
        }
        for i in 0..<count { for j in 0..<i { normal[i * count + j] = normal[j * count + i] } }
        let solution = Self.solve(normal, projection, count: count)
        amplitudes = frequencies.indices.map { k in
            (solution[2 * k] * solution[2 * k] + solution[2 * k + 1] * solution[2 * k + 1]).squareRoot()
        }
        phases = frequencies.indices.map { k in atan2(solution[2 * k + 1], solution[2 * k]) }
        var residual = 0.0
        Self.forEachBasis(signal, frequencies: frequencies) { basis, x in
            var model = 0.0
            for i in 0..<count { model += basis[i] * solution[i] }
            residual += (x - model) * (x - model)
        }
        residualPower = residual / Double(signal.count)
        signalPower = power / Double(signal.count)
    }

    /// Calls `body` with each sample and its basis row (sin, cos per frequency, then 1). Each sine advances by a
    /// rotation, exact to about 1e-13 over 10⁵ samples in Double.
    private static func forEachBasis(
        _ signal: ArraySlice<Float>, frequencies: [Double], _ body: (UnsafeBufferPointer<Double>, Double) -> Void
    ) {
        let count = frequencies.count * 2 + 1
        var sine = [Double](repeating: 0, count: frequencies.count)
        var cosine = [Double](repeating: 1, count: frequencies.count)
        let stepSine = frequencies.map { sin(2 * Double.pi * $0) }
        let stepCosine = frequencies.map { cos(2 * Double.pi * $0) }
        var basis = [Double](repeating: 1, count: count)
        basis.withUnsafeMutableBufferPointer { row in
            for sample in signal {
                for k in frequencies.indices {
                    row[2 * k] = sine[k]
                    row[2 * k + 1] = cosine[k]
                    let nextSine = sine[k] * stepCosine[k] + cosine[k] * stepSine[k]
                    cosine[k] = cosine[k] * stepCosine[k] - sine[k] * stepSine[k]
                    sine[k] = nextSine
                }
                body(UnsafeBufferPointer(row), Double(sample))
            }
        }
    }

    /// Gaussian elimination with partial pivoting (the systems are at most 7 × 7 and well conditioned when the
    /// frequencies are apart by several cycles over the signal).
    private static func solve(_ matrix: [Double], _ vector: [Double], count: Int) -> [Double] {
        var a = matrix
        var b = vector
        for column in 0..<count {
            var pivot = column
            for row in (column + 1)..<count where abs(a[row * count + column]) > abs(a[pivot * count + column]) {
                pivot = row
            }
            if pivot != column {
                for k in 0..<count { a.swapAt(column * count + k, pivot * count + k) }
                b.swapAt(column, pivot)
            }
            let diagonal = a[column * count + column]
            for row in (column + 1)..<count {
                let factor = a[row * count + column] / diagonal
                if factor == 0 { continue }
                for k in column..<count { a[row * count + k] -= factor * a[column * count + k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: count)
        for row in stride(from: count - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<count { sum -= a[row * count + k] * x[k] }
            x[row] = sum / a[row * count + row]
        }
        return x
    }
}
