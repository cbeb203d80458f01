import Foundation

/// The c-transform on the n1 × … × nd grid of cell centres of the torus [0, 1)^d (d = 2 or 3)
/// for the periodic quadratic cost c(x, y) = min_k ½⟨M(x − y + k), x − y + k⟩ with a diagonal
/// metric M = diag(m1, …, md):
///
///     φ^c(x) = min_y c(x, y) − φ(y) = min_{z ∈ periodic extension} Σ_a ½ m_a (x_a − z_a)² − φ(z),
///
/// which separates into one-dimensional transforms, along the last axis and then along each
/// earlier one, each a lower envelope of parabolas (Felzenszwalb & Huttenlocher 2012), O(n) per
/// line, over the grid extended by one period on each side (a c-concave optimal pair displaces by
/// at most half a period; the extension leaves room for the iterates). The minimum over grid
/// points z alone would drop the −½|∇φ|² term of φ^c whenever displacements are below a cell
/// (φ^c = −φ exactly there), which doubles J and overstates W2 by √2 for nearby densities; so each
/// line minimum is refined over the two grid segments next to the best grid point, with φ
/// interpolated linearly along the line, which makes the transform continuous in z. Written by
/// hand: no Debian library has it. Not for concurrent use (scratch buffers).
final class PeriodicCTransform {
    let shape: [Int]
    let metric: [Double]
    private var work: [Double]
    private var line: [Double], out: [Double]
    private var hull: [Int], breaks: [Double]

    init(shape: [Int], metric: [Double]) {
        precondition(metric.count == shape.count)
        self.shape = shape
        self.metric = metric
        work = [Double](repeating: 0, count: shape.reduce(1, *))
        let n = shape.max()!
        line = [Double](repeating: 0, count: 3 * n)
        out = [Double](repeating: 0, count: n)
        hull = [Int](repeating: 0, count: 3 * n)
        breaks = [Double](repeating: 0, count: 3 * n + 1)
    }

    /// φ^c into `target`.
    func transform(_ phi: [Double], into target: inout [Double]) {
        let shape = self.shape, d = shape.count, count = work.count
        phi.withUnsafeBufferPointer { phi in
        target.withUnsafeMutableBufferPointer { target in
        work.withUnsafeMutableBufferPointer { work in
        line.withUnsafeMutableBufferPointer { line in
        out.withUnsafeMutableBufferPointer { out in
        hull.withUnsafeMutableBufferPointer { hull in
        breaks.withUnsafeMutableBufferPointer { breaks in
            // Along the last axis first, from −φ into `work` (2D: g(i, x2) = min_z2 ½ m2 (x2 − z2)²
            // − φ(i, z2)); then along each earlier axis in place, the first one into `target`.
            for a in stride(from: d - 1, through: 0, by: -1) {
                let n = shape[a], m = metric[a]
                let step = shape[(a + 1)...].reduce(1, *)   // the flat-index step of axis a
                let source = a == d - 1 ? UnsafePointer(phi.baseAddress!) : UnsafePointer(work.baseAddress!)
                let sign = a == d - 1 ? -1.0 : 1.0
                let destination = a == 0 ? target.baseAddress! : work.baseAddress!
                // Every line along axis a starts at a cell whose index along a is 0.
                for base in 0..<count where (base / step) % n == 0 {
                    for k in 0..<n { let v = sign * source[base + k * step]; line[k] = v; line[k + n] = v; line[k + 2 * n] = v }
                    Self.lowerEnvelope(n, m, line, out, hull, breaks)
                    for k in 0..<n { destination[base + k * step] = out[k] }
                }
            }
        } } } } } } }
    }

    /// out[i] = min_k ½ m (x_i − q_k)² + line[k] for x_i = (i + ½)/n, i < n, over the 3n points
    /// q_k = (k + ½)/n − 1 of the extended line.
    private static func lowerEnvelope(_ n: Int, _ m: Double, _ line: UnsafeMutableBufferPointer<Double>,
                                      _ out: UnsafeMutableBufferPointer<Double>, _ hull: UnsafeMutableBufferPointer<Int>,
                                      _ breaks: UnsafeMutableBufferPointer<Double>) {
        let count = 3 * n
        let h = 1 / Double(n)
        // In units of the grid: ½ m (x − q)² = ½ m h² (X − Q)², with X, Q grid indices. Work with
        // parabolas (X − Q)² + F_k, F_k = line[k] / (½ m h²); `line` then holds F_k + k².
        let scale = 0.5 * m * h * h
        for k in 0..<count { line[k] = line[k] / scale + Double(k * k) }
        var top = 0
        hull[0] = 0
        breaks[0] = -.infinity
        breaks[1] = .infinity
        for q in 1..<count {
            let fq = line[q]
            var s: Double
            while true {
                let p = hull[top]
                s = (fq - line[p]) / Double(2 * (q - p))
                if s <= breaks[top] { top -= 1 } else { break }  // breaks[0] = −∞ stops it
            }
            top += 1
            hull[top] = q
            breaks[top] = s
            breaks[top + 1] = .infinity
        }
        var k = 0
        for i in 0..<n {
            let x = Double(i + n)  // x_i in extended-grid index units
            while breaks[k + 1] < x { k += 1 }
            let p = hull[k]
            let d = x - Double(p)
            var best = d * d + line[p] - Double(p * p)
            // The continuous minimum over the two segments next to the best vertex, with F
            // interpolated linearly: min over Z in [a, a + 1] of (X − Z)² + F_a + (F_{a+1} − F_a)(Z − a)
            // is at Z = X − (F_{a+1} − F_a)/2, clamped.
            for a in max(p - 1, 0)...min(p, count - 2) {
                let fa = line[a] - Double(a * a), slope = line[a + 1] - Double((a + 1) * (a + 1)) - fa
                let z = min(max(x - 0.5 * slope, Double(a)), Double(a + 1))
                let v = (x - z) * (x - z) + fa + slope * (z - Double(a))
                if v < best { best = v }
            }
            out[i] = scale * best
        }
    }
}
