import Foundation

/// The symmetric nine-point finite-volume scheme for a full conductivity k(x) = π(x) M(x) on a
/// periodic 2D grid of cells (M = B_ε⁻¹ for the ε-equation (2.4), B̄⁻¹ for the homogenised one
/// (2.24)). The tensor is split as
///
///     k = (k11 − |k12|) e1e1ᵀ + (k22 − |k12|) e2e2ᵀ + |k12| d dᵀ,   d = (1, sign k12),
///
/// and each term is a two-point flux: the axis terms across the cell faces (weight k_dd at the
/// face centre minus the mean |k12| of the face's two end vertices), the last one along the
/// cell diagonal through each grid vertex (weight |k12| at the vertex, on the diagonal that
/// matches the sign). The result is a weighted graph Laplacian, so it conserves mass and has
/// the constants as its kernel (π exactly stationary) for any weights; it is consistent and
/// second order for smooth k; and it is an M-matrix, so that backward Euler keeps ρ positive,
/// exactly when every axis weight is non-negative, i.e. k is diagonally dominant
/// (k_dd ≥ |k12| along the faces). Without cross terms it is the two-point-flux scheme.
///
/// π at a face is the harmonic mean of its two cells, at a vertex that of its four cells.
struct NinePointWeights {
    let axis: [[Double]]
    let diagonal: [[Double]]
    /// The most negative relative axis weight w/k_dd, and where; nil when all weights are ≥ 0.
    let worst: (ratio: Double, description: String)?

    /// `pi`: cell values; `tensor(x1, x2)`: M at the given points of Ω.
    init(grid: PeriodicGrid, pi: [Double], tensor: ([Double], [Double]) throws -> [Matrix2]) rethrows {
        precondition(grid.dimension == .two)
        let n = grid.n, h = grid.h, count = grid.count
        // Points: faces in direction 0, faces in direction 1, vertices (upper-right corner of each cell).
        var x1 = [Double](repeating: 0, count: 3 * count), x2 = x1
        for i1 in 0..<n {
            for i2 in 0..<n {
                let i = i1 * n + i2
                x1[i] = Double(i1 + 1) * h; x2[i] = (Double(i2) + 0.5) * h
                x1[count + i] = (Double(i1) + 0.5) * h; x2[count + i] = Double(i2 + 1) * h
                x1[2 * count + i] = Double(i1 + 1) * h; x2[2 * count + i] = Double(i2 + 1) * h
            }
        }
        let m = try tensor(x1, x2)
        func harmonic(_ v: [Double]) -> Double { Double(v.count) / v.reduce(0) { $0 + 1 / $1 } }
        // k12 at the vertex of cell i (its upper-right corner).
        var cross = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let e1 = grid.forward(i, 0), e2 = grid.forward(i, 1), e12 = grid.forward(e1, 1)
            cross[i] = harmonic([pi[i], pi[e1], pi[e2], pi[e12]]) * m[2 * count + i].a12
        }
        var diagonal = [[Double]](repeating: [Double](repeating: 0, count: count), count: 2)
        for i in 0..<count {
            if cross[i] >= 0 { diagonal[0][i] += cross[i] } else { diagonal[1][grid.forward(i, 1)] += -cross[i] }
        }
        var axis = [[Double]](repeating: [Double](repeating: 0, count: count), count: 2)
        var worst: (Double, Int, Int, Double, Double)?
        for d in 0..<2 {
            for i in 0..<count {
                let j = grid.forward(i, d)
                let k = harmonic([pi[i], pi[j]]) * (d == 0 ? m[i].a11 : m[count + i].a22)
                // The face's end vertices: the corners of cell i on that face.
                let other = grid.backward(i, 1 - d)
                let c = 0.5 * (abs(cross[i]) + abs(cross[other]))
                axis[d][i] = k - c
                let ratio = (k - c) / k
                if ratio < 0, worst == nil || ratio < worst!.0 { worst = (ratio, d, i, k, c) }
            }
        }
        self.axis = axis
        self.diagonal = diagonal
        self.worst = worst.map { r, d, i, k, c in
            let p = (d == 0 ? [x1[i], x2[i]] : [x1[count + i], x2[count + i]]).map { String(format: "%.4g", $0) }
            return (r, "at the face x = (\(p[0]), \(p[1])) in direction \(d + 1): k\(d + 1)\(d + 1) = \(String(format: "%.4g", k)) "
                       + "< |k12| = \(String(format: "%.4g", c)) (relative weight \(String(format: "%.3g", r)))")
        }
    }
}
