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
        var nodes: [Double] = [], weights: [Double] = [], cell: [Int] = []
        Self.composite(pieces: cells * sub, range: 0..<cells * sub, breakpoints: breakpoints, gauss: GaussLegendre(points: points)) {
            nodes.append($0); weights.append($1); cell.append($2 / sub)
        }
        self.nodes = nodes; self.weights = weights; self.cell = cell
    }

    /// Composite Gauss–Legendre over the pieces [j/pieces, (j + 1)/pieces) of [0, 1) for j in
    /// `range`, each cut further at the `breakpoints` (sorted) inside it, `gauss`'s points on every
    /// part: `body(node, weight, j)` for each node, in order. The one place the pieces are laid
    /// out, for the rules of whole axes (`init(cells:sub:points:breakpoints:)`) and of single
    /// cells (`fastAverageCellMasses`).
    static func composite(pieces: Int, range: Range<Int>, breakpoints: [Double], gauss: GaussLegendre,
                          _ body: (Double, Double, Int) -> Void) {
        guard let first = range.first else { return }
        // The first breakpoint above the range's start (the list is sorted).
        let start = Double(first) / Double(pieces)
        var b = 0, upper = breakpoints.count
        while b < upper { let mid = (b + upper) / 2; if breakpoints[mid] <= start { b = mid + 1 } else { upper = mid } }
        for j in range {
            let lo = Double(j) / Double(pieces), hi = Double(j + 1) / Double(pieces)
            var a = lo
            while b < breakpoints.endIndex, breakpoints[b] <= lo { b += 1 }
            var ends: [Double] = []
            while b < breakpoints.endIndex, breakpoints[b] < hi { ends.append(breakpoints[b]); b += 1 }
            ends.append(hi)
            for e in ends where e > a {
                for (t, w) in zip(gauss.nodes, gauss.weights) { body(a + (e - a) * t, (e - a) * w, j) }
                a = e
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
    /// A generic point of the 2d variables, away from any grid (`compositeJumps`).
    static func genericPoint(_ d: TorusDimension) -> [Double] { [Double](repeating: 0.3713, count: 2 * d.count) }

    /// The points of [0, 1) where `field`, composed as F(x) = field(x, x/ε), may jump along x_k,
    /// the other variables at one generic point. Where the jumps are few (n(m + 1) ≤ 1024, n = 1/ε,
    /// m the jumps along y_k in one period), `JumpLocator` on the composite itself (y := n x
    /// substituted in the graph): exact for a layer that moves with x_k too, as
    /// floor(mod(y1 + 0.2 x1 + 0.3, 1) + 0.02). Otherwise the jumps along x_k and those along
    /// y_k repeated in every period, (j + t)/n for t = 0 and each jump t: exact for layers fixed
    /// in y (laminates, separable media, floor(mod(y + c, 1) + w)), where the repetition is at most
    /// 2²⁰ points. A layer whose place depends on the other axes is cut at the generic point only
    /// (one more cut elsewhere is harmless). Empty for a field without steps.
    func compositeJumps(of field: NodeID, axis k: Int) -> [Double] {
        let alongY = fastJumps(of: field, axis: k), alongX = slowJumps(of: field, axis: k), n = inverseEpsilon
        if alongY.isEmpty && alongX.isEmpty { return [] }
        if (alongY.count + 1) * n <= 1024 {
            let g = graph
            let composite = g.substituting(field, Dictionary(uniqueKeysWithValues: (0..<dimension.count).map {
                (fastVariables[$0], g.mul(g.variable(slowVariables[$0]), g.constant(Double(n))))
            }))
            let jumps = JumpLocator(graph: g).jumps(of: [composite], along: slowVariables[k], at: Self.genericPoint(dimension))
            if jumps.certified { return [0] + jumps.points }
        }
        var points = alongX
        if !alongY.isEmpty, alongY.count * n <= 1 << 20 {
            for j in 0..<n { for t in alongY { points.append((Double(j) + t) / Double(n)) } }
        }
        return Array(Set(points)).sorted()
    }

    /// The jumps of `field` along the fast variable y_k over [0, 1), and 0 (the period's end)
    /// where there are any; the others at `point` (default: a generic point).
    func fastJumps(of field: NodeID, axis k: Int, at point: [Double]? = nil) -> [Double] {
        let points = JumpLocator(graph: graph).jumps(of: [field], along: fastVariables[k], at: point ?? Self.genericPoint(dimension)).points
        return points.isEmpty ? [] : [0] + points
    }

    /// The jumps of `field` along the slow variable x_k over [0, 1), and 0 where there are any; the
    /// others at a generic point.
    func slowJumps(of field: NodeID, axis k: Int) -> [Double] {
        let points = JumpLocator(graph: graph).jumps(of: [field], along: slowVariables[k], at: Self.genericPoint(dimension)).points
        return points.isEmpty ? [] : [0] + points
    }
}
