import Foundation

/// The symmetric finite-volume scheme for a full conductivity k(x) = π(x) M(x) on a periodic
/// grid of cells in 2D (nine-point) and 3D (nineteen-point), written once for both (M = B_ε⁻¹ for
/// the ε-equation (2.4), B̄⁻¹ for the homogenised one (2.24)). The tensor is split as
///
///     k = Σ_a (k_aa − Σ_{b≠a} |k_ab|) e_a e_aᵀ + Σ_{a<b} |k_ab| d_ab d_abᵀ,   d_ab = e_a + sign(k_ab) e_b,
///
/// and each term is a two-point flux: the axis terms across the cell faces (weight k_aa at the
/// face centre minus, for each other axis b, the mean |k_ab| of the face's two edges normal to
/// the (a, b) plane), the others along the diagonal of the (a, b) plane through each such edge
/// (a grid vertex in 2D; weight |k_ab| at the edge's midpoint, on the diagonal that matches the
/// sign). The result is a weighted graph Laplacian, so it conserves mass and has the constants
/// as its kernel (π exactly stationary) for any weights; it is consistent and second order for
/// smooth k; and it is an M-matrix, so that backward Euler keeps ρ positive, exactly when every
/// axis weight is non-negative:
///
///     k_aa ≥ Σ_{b≠a} mean |k_ab|   on every face normal to a
///
/// (diagonal dominance). Without cross terms it is the two-point-flux scheme. Weights carry the
/// face scale h^(d−2) of the two-point fluxes (an edge of the 3D grid has length h).
///
/// π at a face is the harmonic mean of its two cells, at an edge that of its four cells.
struct CrossTermWeights {
    let axis: [[Double]]
    /// Per diagonal edge kind (`offsets`), indexed by the edge's origin cell.
    let diagonal: [[Double]]
    /// The most negative relative axis weight w/k_aa, and where; nil when all weights are ≥ 0.
    let worst: (ratio: Double, description: String)?

    /// The axis pairs a < b, in the order of the diagonal edge kinds (two per pair).
    static func pairs(_ d: TorusDimension) -> [(Int, Int)] {
        (0..<d.count).flatMap { a in ((a + 1)..<d.count).map { (a, $0) } }
    }

    /// The diagonal edge kinds: i → i + e_a + e_b and i → i + e_a − e_b for each pair, as offsets.
    static func offsets(_ d: TorusDimension) -> [[Int]] {
        pairs(d).flatMap { a, b in
            [1, -1].map { s in (0..<d.count).map { $0 == a ? 1 : $0 == b ? s : 0 } }
        }
    }

    /// `pi`: cell values; `tensor(columns)`: M (row-major d×d) at the given points of Ω.
    init(grid: PeriodicGrid, pi: [Double], faceScale: Double, tensor: ([[Double]]) throws -> [[Double]]) rethrows {
        let dim = grid.dimension, d = dim.count
        precondition(d >= 2)
        let n = grid.n, h = grid.h, count = grid.count
        let pairs = Self.pairs(dim)
        // Points: faces in each direction, then the edges of each pair (upper corners of each cell).
        var columns = [[Double]](repeating: [Double](repeating: 0, count: (d + pairs.count) * count), count: d)
        for i in 0..<count {
            let index = dim.indices(ofCell: i, perAxis: n)
            for set in 0..<(d + pairs.count) {
                for c in 0..<d {
                    let upper = set < d ? c == set : (c == pairs[set - d].0 || c == pairs[set - d].1)
                    columns[c][set * count + i] = upper ? Double(index[c] + 1) * h : (Double(index[c]) + 0.5) * h
                }
            }
        }
        let m = try tensor(columns)
        func harmonic(_ v: [Double]) -> Double { Double(v.count) / v.reduce(0) { $0 + 1 / $1 } }
        // k_ab at the edge of cell i (its upper corner in the (a, b) plane), per pair.
        var cross = [[Double]](repeating: [Double](repeating: 0, count: count), count: pairs.count)
        var diagonal = [[Double]](repeating: [Double](repeating: 0, count: count), count: 2 * pairs.count)
        for (p, (a, b)) in pairs.enumerated() {
            for i in 0..<count {
                let ea = grid.forward(i, a), eb = grid.forward(i, b), eab = grid.forward(ea, b)
                cross[p][i] = harmonic([pi[i], pi[ea], pi[eb], pi[eab]]) * m[(d + p) * count + i][a * d + b]
            }
            for i in 0..<count {
                if cross[p][i] >= 0 {
                    diagonal[2 * p][i] += faceScale * cross[p][i]
                } else {
                    diagonal[2 * p + 1][grid.forward(i, b)] += faceScale * -cross[p][i]
                }
            }
        }
        var axis = [[Double]](repeating: [Double](repeating: 0, count: count), count: d)
        var worst: (Double, Int, Int, Double, Double)?
        for a in 0..<d {
            for i in 0..<count {
                let j = grid.forward(i, a)
                let k = harmonic([pi[i], pi[j]]) * m[a * count + i][a * d + a]
                // The face's edges normal to each (a, b) plane: those of cell i and of its b-neighbour below.
                var c = 0.0
                for (p, (x, y)) in pairs.enumerated() where x == a || y == a {
                    let b = x == a ? y : x
                    c += 0.5 * (abs(cross[p][i]) + abs(cross[p][grid.backward(i, b)]))
                }
                axis[a][i] = faceScale * (k - c)
                let ratio = (k - c) / k
                if ratio < 0, worst == nil || ratio < worst!.0 { worst = (ratio, a, i, k, c) }
            }
        }
        self.axis = axis
        self.diagonal = diagonal
        self.worst = worst.map { r, a, i, k, c in
            let p = (0..<d).map { String(format: "%.4g", columns[$0][a * count + i]) }.joined(separator: ", ")
            let others = (0..<d).filter { $0 != a }.map { "|k\(a + 1)\($0 + 1)|" }.joined(separator: " + ")
            return (r, "at the face x = (\(p)) in direction \(a + 1): k\(a + 1)\(a + 1) = \(String(format: "%.4g", k)) "
                       + "< \(others) = \(String(format: "%.4g", c)) (relative weight \(String(format: "%.3g", r)))")
        }
    }
}
