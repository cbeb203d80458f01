import Foundation

/// A one-axis quadrature rule on [0, 1) for the tensor-product cell integrals of `LoweredFields`:
/// `cells` equal cells, each cut into `sub` equal pieces and further at `breakpoints`, with
/// Gauss–Legendre points (GSL's tables) on every piece; `cell[i]` is the cell of node i. A field
/// that jumps only at breakpoints is smooth on every piece, so the rule keeps its order there; cut
/// at the equal pieces alone, a layer narrower than the points' spacing was missed or
/// overweighted (a 1 % layer of π = 10 gave ∫π_ε = 1.1406 for 1.09, and A_hom 4.4 % low).
struct AxisRule {
    private(set) var nodes: [Double] = []
    private(set) var weights: [Double] = []
    private(set) var cell: [Int] = []

    /// Composite Gauss–Legendre with `points` points per piece.
    init(cells: Int, sub: Int, points: Int, breakpoints: [Double] = []) {
        let gl = GaussLegendre(points: points)
        let pieces = cells * sub
        var b = breakpoints.startIndex
        for c in 0..<cells {
            for s in 0..<sub {
                let lo = Double(c * sub + s) / Double(pieces), hi = Double(c * sub + s + 1) / Double(pieces)
                var a = lo
                while b < breakpoints.endIndex, breakpoints[b] <= lo { b += 1 }
                var ends: [Double] = []
                while b < breakpoints.endIndex, breakpoints[b] < hi { ends.append(breakpoints[b]); b += 1 }
                ends.append(hi)
                for e in ends where e > a {
                    for (t, w) in zip(gl.nodes, gl.weights) {
                        nodes.append(a + (e - a) * t)
                        weights.append((e - a) * w)
                        cell.append(c)
                    }
                    a = e
                }
            }
        }
    }

    /// The midpoint rule with `count` equal pieces of one cell (spectrally accurate for smooth
    /// periodic fields over the whole torus).
    init(midpoints count: Int) {
        nodes = (0..<count).map { (Double($0) + 0.5) / Double(count) }
        weights = [Double](repeating: 1 / Double(count), count: count)
        cell = [Int](repeating: 0, count: count)
    }
}

extension LoweredFields {
    /// The points of [0, 1) where `field`, composed as F(x) = field(x, x/ε), may jump along x_k:
    /// the jumps of its `floor` and `mod` nodes along x_k, and those along y_k repeated in every
    /// ε-period, (j + t)/n with t = 0 and each jump t, found by `JumpLocator` with the other
    /// variables at one generic point. Exact for layers whose position does not depend on the
    /// other variables (laminates, separable media, floor(mod(y + c, 1) + w)); elsewhere one more
    /// cut is harmless. Empty for a field without steps, or where the repeated jumps would
    /// exceed 2²⁰ (then the equal pieces alone cut the axis).
    func compositeJumps(of field: NodeID, axis k: Int) -> [Double] {
        var points = slowJumps(of: field, axis: k)
        let alongY = fastJumps(of: field, axis: k), n = inverseEpsilon
        if !alongY.isEmpty, alongY.count * n <= 1 << 20 {
            for j in 0..<n { for t in alongY { points.append((Double(j) + t) / Double(n)) } }
        }
        return Array(Set(points)).sorted()
    }

    /// The jumps of `field` along the fast variable y_k over [0, 1), and 0 (the period's end)
    /// where there are any; the others at a generic point (`compositeJumps`).
    func fastJumps(of field: NodeID, axis k: Int) -> [Double] {
        let base = [Double](repeating: 0.3713, count: 2 * dimension.count)
        let points = JumpLocator(graph: graph).jumps(of: [field], along: fastVariables[k], at: base).points
        return points.isEmpty ? [] : [0] + points
    }

    /// The jumps of `field` along the slow variable x_k over [0, 1), and 0 where there are any; the
    /// others at a generic point.
    func slowJumps(of field: NodeID, axis k: Int) -> [Double] {
        let base = [Double](repeating: 0.3713, count: 2 * dimension.count)
        let points = JumpLocator(graph: graph).jumps(of: [field], along: slowVariables[k], at: base).points
        return points.isEmpty ? [] : [0] + points
    }
}
