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
/// square of (2K + 1)² would cost twenty times more for the same scales. In 3D, the axes and the
/// diagonals of the three coordinate planes: 9K modes.
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

    /// The modes k (one of each pair ±k): n = 1…K along each axis, then, for each pair of axes
    /// (a < b), along both diagonals of that plane (e_a + e_b, then e_a − e_b).
    var modes: [[Int]] {
        let d = dimension.count
        func mode(_ entries: [(Int, Int)]) -> [Int] {
            var m = [Int](repeating: 0, count: d)
            for (axis, value) in entries { m[axis] = value }
            return m
        }
        var out: [[Int]] = []
        for a in 0..<d { out += (1...modeIndex).map { mode([(a, $0)]) } }
        for a in 0..<d {
            for b in (a + 1)..<d {
                out += (1...modeIndex).map { mode([(a, $0), (b, $0)]) }
                out += (1...modeIndex).map { mode([(a, $0), (b, -$0)]) }
            }
        }
        return out
    }

    /// S and its variance by the delta method: the particles' influence Σ_φ 2 β̂_φ D_iφ (a second
    /// pass over the particles), plus 2 Σ_φ Var(β̂_φ)² for the debiasing. Both passes run on
    /// `threads` threads over fixed chunks of particles whose sums are added in chunk order, so the
    /// estimate does not depend on the thread count.
    func estimate(_ r: CoupledPilot.Record, threads: Int = 1) -> Estimate {
        let modes = self.modes, m = r.fine[0].count, mm = Double(m)
        let functions = 2 * modes.count
        let dimension = self.dimension.count, modeIndex = self.modeIndex
        /// Calls body(i, D_i) for the particles of chunk c, D_i the coarse-minus-fine values of the functions.
        func forEachDifference(inChunk c: Int, _ body: (Int, UnsafeMutableBufferPointer<Double>) -> Void) {
            let phases = Phases(dimension: dimension, modeIndex: modeIndex, modes: modes)
            let diffs = UnsafeMutableBufferPointer<Double>.allocate(capacity: functions)
            defer { diffs.deallocate() }
            for i in (c * Self.chunk)..<min(m, (c + 1) * Self.chunk) {
                for f in 0..<functions { diffs[f] = 0 }
                phases.accumulate(r.coarse, i, into: diffs, sign: 1)
                phases.accumulate(r.fine, i, into: diffs, sign: -1)
                body(i, diffs)
            }
        }
        let chunks = (m + Self.chunk - 1) / Self.chunk
        let moments = Self.sumOverChunks(chunks, width: 2 * functions, threads: threads) { c, out in
            forEachDifference(inChunk: c) { _, diffs in
                for f in 0..<functions {
                    out[f] += diffs[f]
                    out[functions + f] += diffs[f] * diffs[f]
                }
            }
        }
        var pooled = 0.0, debiasing = 0.0
        var beta = [Double](repeating: 0, count: functions)
        for f in 0..<functions {
            let mean = moments[f] / mm
            beta[f] = mean
            let v = max(moments[functions + f] / mm - mean * mean, 0) / mm   // Var β̂
            pooled += beta[f] * beta[f] - v
            debiasing += 2 * v * v
        }
        let influence = Self.sumOverChunks(chunks, width: 2, threads: threads) { c, out in
            forEachDifference(inChunk: c) { _, diffs in
                var u = 0.0
                for f in 0..<functions { u += 2 * beta[f] * diffs[f] }
                out[0] += u
                out[1] += u * u
            }
        }
        let meanInfluence = influence[0] / mm
        let influenceVariance = max(influence[1] / mm - meanInfluence * meanInfluence, 0) / mm
        return Estimate(pooled: pooled, standardError: (influenceVariance + debiasing).squareRoot())
    }

    /// Particles per chunk of `estimate`.
    private static let chunk = 4096

    /// Σ over chunks c of the `width` sums that body(c, out) adds into out, the chunks run on
    /// `threads` threads and their sums added in chunk order.
    private static func sumOverChunks(_ chunks: Int, width: Int, threads: Int,
                                      _ body: @escaping (Int, UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks * width)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0)
        nonisolated(unsafe) let buffer = partial
        nonisolated(unsafe) let body = body
        let workers = max(1, min(threads, chunks))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for c in stride(from: w, to: chunks, by: workers) {
                body(c, UnsafeMutableBufferPointer(rebasing: buffer[(c * width)..<((c + 1) * width)]))
            }
        }
        var total = [Double](repeating: 0, count: width)
        for c in 0..<chunks {
            for j in 0..<width { total[j] += partial[c * width + j] }
        }
        return total
    }
}

/// e^{2πi k·x} for every mode k of one particle, from powers of e^{2πi x_j} (two trigonometric
/// calls per coordinate, none per mode). Flat buffers: this is the probe's inner loop (with lists
/// of lists it took 70 % of the pilots' time on a 2D case whose probe needed 2²² samples).
private final class Phases {
    let modeIndex: Int
    let dimension: Int
    /// 2K + 1: the powers n = −K…K of one coordinate.
    let width: Int
    /// re[j·width + n + K], im[…] = e^{2πi n x_j}.
    let re: UnsafeMutablePointer<Double>
    let im: UnsafeMutablePointer<Double>
    /// offsets[q·d + j] = j·width + k_j + K for mode q = k.
    let offsets: UnsafeMutablePointer<Int>
    let modeCount: Int

    init(dimension d: Int, modeIndex k: Int, modes: [[Int]]) {
        modeIndex = k
        dimension = d
        width = 2 * k + 1
        re = .allocate(capacity: d * width); re.initialize(repeating: 0, count: d * width)
        im = .allocate(capacity: d * width); im.initialize(repeating: 0, count: d * width)
        modeCount = modes.count
        offsets = .allocate(capacity: modes.count * d)
        for (q, mode) in modes.enumerated() {
            for j in 0..<d { offsets[q * d + j] = j * (2 * k + 1) + mode[j] + k }
        }
    }

    deinit {
        re.deallocate(); im.deallocate(); offsets.deallocate()
    }

    /// Adds sign × (cos 2πk·x, sin 2πk·x) of particle i of `x` to values[2q], values[2q + 1].
    func accumulate(_ x: [[Double]], _ i: Int, into values: UnsafeMutableBufferPointer<Double>, sign: Double) {
        let k0 = modeIndex, d = dimension
        for j in 0..<d {
            let a = 2 * Double.pi * x[j][i]
            let c = cos(a), s = sin(a)
            let r = re + j * width, t = im + j * width
            r[k0] = 1; t[k0] = 0
            for n in stride(from: 1, through: k0, by: 1) {
                let pr = r[k0 + n - 1], pi = t[k0 + n - 1]
                r[k0 + n] = pr * c - pi * s
                t[k0 + n] = pr * s + pi * c
                r[k0 - n] = r[k0 + n]
                t[k0 - n] = -t[k0 + n]
            }
        }
        for q in 0..<modeCount {
            var r = 1.0, t = 0.0
            for j in 0..<d {
                let o = offsets[q * d + j]
                let pr = re[o], pi = im[o]
                (r, t) = (r * pr - t * pi, r * pi + t * pr)
            }
            values[2 * q] += sign * r
            values[2 * q + 1] += sign * t
        }
    }
}
