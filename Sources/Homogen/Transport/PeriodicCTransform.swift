import Foundation

/// The c-transform on the n1 × n2 grid of cell centres of the torus [0, 1)² for the periodic
/// quadratic cost c(x, y) = min_k ½⟨M(x − y + k), x − y + k⟩ with a diagonal metric M = diag(m1, m2):
///
///     φ^c(x) = min_y c(x, y) − φ(y) = min_{z ∈ periodic extension} ½ m1 (x1 − z1)² + ½ m2 (x2 − z2)² − φ(z),
///
/// which separates into two one-dimensional transforms, along x2 and then along x1, each a lower
/// envelope of parabolas (Felzenszwalb & Huttenlocher 2012), O(n) per line, over the grid extended
/// by one period on each side (a c-concave optimal pair displaces by at most half a period; the
/// extension leaves room for the iterates). The minimum over grid points z alone would drop the
/// −½|∇φ|² term of φ^c whenever displacements are below a cell (φ^c = −φ exactly there), which
/// doubles J and overstates W2 by √2 for nearby densities; so each line minimum is refined over
/// the two grid segments next to the best grid point, with φ interpolated linearly along the line,
/// which makes the transform continuous in z. Written by hand: no Debian library has it.
/// Not for concurrent use (scratch buffers).
final class PeriodicCTransform {
    let n1: Int, n2: Int
    let m1: Double, m2: Double
    private var column: [Double], result: [Double]
    private var line: [Double], out: [Double]
    private var hull: [Int], breaks: [Double]

    init(n1: Int, n2: Int, metric: (Double, Double) = (1, 1)) {
        self.n1 = n1
        self.n2 = n2
        (m1, m2) = metric
        column = [Double](repeating: 0, count: n1 * n2)
        result = column
        let n = max(n1, n2)
        line = [Double](repeating: 0, count: 3 * n)
        out = [Double](repeating: 0, count: n)
        hull = [Int](repeating: 0, count: 3 * n)
        breaks = [Double](repeating: 0, count: 3 * n + 1)
    }

    /// φ^c into `target`.
    func transform(_ phi: [Double], into target: inout [Double]) {
        let (n1, n2, m1, m2) = (self.n1, self.n2, self.m1, self.m2)
        phi.withUnsafeBufferPointer { phi in
        target.withUnsafeMutableBufferPointer { target in
        column.withUnsafeMutableBufferPointer { column in
        line.withUnsafeMutableBufferPointer { line in
        out.withUnsafeMutableBufferPointer { out in
        hull.withUnsafeMutableBufferPointer { hull in
        breaks.withUnsafeMutableBufferPointer { breaks in
            // Along x2 for every row: g(i, x2) = min_z2 ½ m2 (x2 − z2)² − φ(i, z2).
            for i in 0..<n1 {
                for k in 0..<n2 { let v = -phi[i * n2 + k]; line[k] = v; line[k + n2] = v; line[k + 2 * n2] = v }
                Self.lowerEnvelope(n2, m2, line, out, hull, breaks)
                for j in 0..<n2 { column[i * n2 + j] = out[j] }
            }
            // Along x1 for every column: φ^c(x1, j) = min_z1 ½ m1 (x1 − z1)² + g(z1, j).
            for j in 0..<n2 {
                for k in 0..<n1 { let v = column[k * n2 + j]; line[k] = v; line[k + n1] = v; line[k + 2 * n1] = v }
                Self.lowerEnvelope(n1, m1, line, out, hull, breaks)
                for i in 0..<n1 { target[i * n2 + j] = out[i] }
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
