import Foundation

/// A pooled squared difference, over smooth test functions, between the laws of two coupled sets
/// of positions (`CoupledPilot.Record`): the Fourier modes φ = cos 2πk·x and sin 2πk·x,
/// 0 < ‖k‖_∞ ≤ K, and
///
///     S = Σ_φ (E φ(coarse) − E φ(fine))²,
///
/// estimated as Σ_φ (β̂_φ² − Var β̂_φ), β̂_φ = mean_i (φ(coarse_i) − φ(fine_i)), with its standard
/// error. `LocalWeakError` uses it on one coupled step, where the two positions differ by the local
/// strong error only, so S is resolved far below the bias a whole-run pilot can see.
///
/// K resolves the ε-scale twice over (K = 2/ε), within the output grid's Nyquist limit (cells/2).
/// In 2D the modes lie along the axes and the diagonals — k = (n, 0), (0, n), (n, n), (n, −n),
/// n = 1…K: 4K modes that reach the ε-scale in every direction of the lattice, where the full
/// square of (2K + 1)² would cost twenty times more for the same scales.
struct FourierBias {
    /// S and its standard error at one output time.
    struct Estimate: Codable, Sendable, Equatable {
        let pooled: Double
        let standardError: Double
        /// S stands clear of the noise (S ≥ 4 SE, and above zero).
        var resolved: Bool { pooled > 0 && pooled >= 4 * standardError }
    }

    let dimension: TorusDimension
    /// The largest |k_j| of a mode.
    let modeIndex: Int

    init(dimension: TorusDimension, cells: Int, inverseEpsilon: Int) {
        self.dimension = dimension
        modeIndex = min(max(2 * inverseEpsilon, 2), max(cells / 2, 1))
    }

    /// The modes k (one of each pair ±k): n = 1…K along each axis and, in 2D, along both
    /// diagonals.
    var modes: [[Int]] {
        let k = 1...modeIndex
        switch dimension {
        case .one: return k.map { [$0] }
        case .two: return k.map { [$0, 0] } + k.map { [0, $0] } + k.map { [$0, $0] } + k.map { [$0, -$0] }
        }
    }

    /// S and its variance by the delta method: the particles' influence Σ_φ 2 β̂_φ D_iφ (a second
    /// pass over the particles), plus 2 Σ_φ Var(β̂_φ)² for the debiasing.
    func estimate(_ r: CoupledPilot.Record) -> Estimate {
        let modes = self.modes, m = r.fine[0].count, mm = Double(m)
        let functions = 2 * modes.count
        var phases = Phases(dimension: dimension.count, modeIndex: modeIndex)
        var diffs = [Double](repeating: 0, count: functions)
        func differences(_ i: Int) {
            for f in 0..<functions { diffs[f] = 0 }
            phases.accumulate(r.coarse, i, modes: modes, into: &diffs, sign: 1)
            phases.accumulate(r.fine, i, modes: modes, into: &diffs, sign: -1)
        }
        var sum = [Double](repeating: 0, count: functions), sumSquares = sum
        for i in 0..<m {
            differences(i)
            for f in 0..<functions {
                sum[f] += diffs[f]
                sumSquares[f] += diffs[f] * diffs[f]
            }
        }
        var pooled = 0.0, debiasing = 0.0
        var beta = [Double](repeating: 0, count: functions)
        for f in 0..<functions {
            let mean = sum[f] / mm
            beta[f] = mean
            let v = max(sumSquares[f] / mm - mean * mean, 0) / mm   // Var β̂
            pooled += beta[f] * beta[f] - v
            debiasing += 2 * v * v
        }
        var influenceSum = 0.0, influenceSquares = 0.0
        for i in 0..<m {
            differences(i)
            var u = 0.0
            for f in 0..<functions { u += 2 * beta[f] * diffs[f] }
            influenceSum += u
            influenceSquares += u * u
        }
        let meanInfluence = influenceSum / mm
        let influenceVariance = max(influenceSquares / mm - meanInfluence * meanInfluence, 0) / mm
        return Estimate(pooled: pooled, standardError: (influenceVariance + debiasing).squareRoot())
    }
}

/// e^{2πi k·x} for every mode k of one particle, from powers of e^{2πi x_j} (two trigonometric
/// calls per coordinate, none per mode).
private struct Phases {
    let modeIndex: Int
    /// re[j][n + K], im[j][n + K] = e^{2πi n x_j}, n = −K…K.
    var re: [[Double]]
    var im: [[Double]]

    init(dimension d: Int, modeIndex k: Int) {
        modeIndex = k
        re = [[Double]](repeating: [Double](repeating: 0, count: 2 * k + 1), count: d)
        im = re
    }

    /// Adds sign × (cos 2πk·x, sin 2πk·x) of particle i of `x` to values[2q], values[2q + 1].
    mutating func accumulate(_ x: [[Double]], _ i: Int, modes: [[Int]], into values: inout [Double], sign: Double) {
        let k0 = modeIndex
        for j in re.indices {
            let a = 2 * Double.pi * x[j][i]
            let c = cos(a), s = sin(a)
            re[j][k0] = 1; im[j][k0] = 0
            for n in 1...k0 {
                let pr = re[j][k0 + n - 1], pi = im[j][k0 + n - 1]
                re[j][k0 + n] = pr * c - pi * s
                im[j][k0 + n] = pr * s + pi * c
                re[j][k0 - n] = re[j][k0 + n]
                im[j][k0 - n] = -im[j][k0 + n]
            }
        }
        for (q, k) in modes.enumerated() {
            var r = 1.0, t = 0.0
            for j in re.indices {
                let pr = re[j][k[j] + k0], pi = im[j][k[j] + k0]
                (r, t) = (r * pr - t * pi, r * pi + t * pr)
            }
            values[2 * q] += sign * r
            values[2 * q + 1] += sign * t
        }
    }
}
