/// W̄ and W_GH in 1D when the metric depends on x: the distance d(x, y) = |∫_x^y √g(z) dz| (the
/// shorter way round the circle) of a metric g > 0 on the circle (g = B̄ for W̄ (5.5)–(5.8), g = C̄
/// for W_GH (5.13)) is flat in the coordinate s(x) = ∫_0^x √g / S, S = ∫_0^1 √g: d = S·|s(x) − s(y)|
/// on the unit circle. So W_g(μ, ν) = S · W2(s#μ, s#ν) with the exact circle W2. Densities
/// constant on the cells of a fine grid are pushed forward cell by cell onto [s(x_i), s(x_{i+1})],
/// each piece's quantile function taken linear (second order in the cell width, since s is smooth).
public struct CircleMetricChange: Sendable {
    /// s at the cell edges (0 = s_0 < … < s_m = 1).
    public let edges: [Double]
    /// S = ∫_0^1 √g: the length of the circle in the metric.
    public let length: Double

    /// `metric(x)` is g at x; `cells` the grid whose cell masses will be pushed forward. √g is
    /// integrated over each cell by 4-point Gauss–Legendre.
    public init(cells: Int, metric: (Double) -> Double) {
        let gl = GaussLegendre(points: 4)
        var e = [0.0]
        var total = 0.0
        let h = 1 / Double(cells)
        for i in 0..<cells {
            var piece = 0.0
            for (t, w) in zip(gl.nodes, gl.weights) { piece += w * h * metric((Double(i) + t) * h).squareRoot() }
            total += piece
            e.append(total)
        }
        edges = e.map { $0 / total }
        length = total
    }

    /// The push-forward s#μ of cell masses on the same grid.
    public func pushForward(cellMasses masses: [Double]) -> CircleMeasure {
        precondition(masses.count + 1 == edges.count)
        return CircleMeasure(cellMasses: masses, edges: edges)
    }
}

extension CircleMeasure {
    /// A density constant on the cells [edges_i, edges_{i+1}) of [0, 1) (increasing edges from 0 to
    /// 1) with the given masses (normalised); cells of zero mass are skipped.
    init(cellMasses masses: [Double], edges: [Double]) {
        let total = masses.reduce(0, +)
        precondition(!masses.isEmpty && total > 0 && edges.count == masses.count + 1)
        var c = 0.0
        var cumulative: [Double] = [], xs: [Double] = [], xe: [Double] = []
        for (i, mass) in masses.enumerated() where mass > 0 {
            c += mass / total
            cumulative.append(c)
            xs.append(edges[i])
            xe.append(edges[i + 1])
        }
        cumulative[cumulative.count - 1] = 1
        self.cumulative = cumulative
        self.xStart = xs
        self.xEnd = xe
        self.isUniformEmpirical = false
    }
}
