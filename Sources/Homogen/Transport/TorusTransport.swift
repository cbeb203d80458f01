import Foundation

/// A discrete probability measure on the flat torus [0, 1)²: weighted points.
public struct TorusMeasure: Sendable {
    /// Coordinates interleaved: x1, x2 of point 0, then of point 1, …
    public let points: [Double]
    public let weights: [Double]
    public var count: Int { weights.count }

    /// Points (interleaved pairs) with weights (normalised; equal when nil).
    public init(points: [Double], weights: [Double]?) {
        precondition(points.count % 2 == 0 && !points.isEmpty)
        let n = points.count / 2
        self.points = points.map { $0 - $0.rounded(.down) }
        let w = weights ?? [Double](repeating: 1, count: n)
        precondition(w.count == n)
        let total = w.reduce(0, +)
        self.weights = w.map { $0 / total }
    }

    /// Cell masses on an m × m grid (row-major, x1 slowest) as weighted cell centres; cells of
    /// zero mass are dropped.
    public init(cellMasses masses: [Double], cells m: Int) {
        precondition(masses.count == m * m)
        var pts: [Double] = [], w: [Double] = []
        for i in 0..<m { for j in 0..<m where masses[i * m + j] > 0 {
            pts += [(Double(i) + 0.5) / Double(m), (Double(j) + 0.5) / Double(m)]
            w.append(masses[i * m + j])
        } }
        self.init(points: pts, weights: w)
    }
}

/// The transport cost on the flat torus: c(x, y) = min over lattice vectors k of
/// ⟨M (x − y + k), x − y + k⟩ (minimum image for the metric M, the identity for W2 and a
/// constant B̄ for W̄ (5.5)–(5.8)). The minimum is taken over k ∈ {−1, 0, 1}² around the
/// wrapped difference, which suffices for metrics with condition number below 9.
public struct TorusCost: Sendable {
    public let metric: [Double]  // [a, b, c] for [[a, b], [b, c]]

    public init(metric: [Double] = [1, 0, 1]) {
        precondition(metric.count == 3)
        self.metric = metric
    }

    @inline(__always) public func callAsFunction(_ dx: Double, _ dy: Double) -> Double {
        let u = dx - dx.rounded(), v = dy - dy.rounded()
        if metric[1] == 0 && metric[0] == metric[2] { return metric[0] * (u * u + v * v) }
        var best = Double.infinity
        let (a, b, c) = (metric[0], metric[1], metric[2])
        for ku in -1...1 { for kv in -1...1 {
            let p = u + Double(ku), q = v + Double(kv)
            best = min(best, a * p * p + 2 * b * p * q + c * q * q)
        } }
        return best
    }

    func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        var c = [Double](repeating: 0, count: x.count * y.count)
        for i in 0..<x.count { for j in 0..<y.count {
            c[i * y.count + j] = self(x.points[2 * i] - y.points[2 * j], x.points[2 * i + 1] - y.points[2 * j + 1])
        } }
        return c
    }
}

/// Exact discrete optimal transport between two weighted point sets (the transportation
/// problem), by successive shortest paths with Dijkstra and Johnson potentials on the dense
/// bipartite residual graph. Written here because GSL has no linear-programming or
/// network-flow solver. O((n + m)³) in practice: meant for moderate sizes (up to a few
/// hundred points a side); `SinkhornDivergence` serves larger ones.
public enum ExactTransport {
    public struct TooLarge: Error, CustomStringConvertible {
        public let n: Int, m: Int
        public var description: String {
            "exact transport between \(n) and \(m) points is too large (limit 2000 a side); use the entropic estimate"
        }
    }

    /// W2 (the square root of the optimal cost).
    public static func distance(_ x: TorusMeasure, _ y: TorusMeasure, cost: TorusCost = TorusCost()) throws -> Double {
        guard x.count <= 2000, y.count <= 2000 else { throw TooLarge(n: x.count, m: y.count) }
        return max(0, optimalCost(supply: x.weights, demand: y.weights, cost: cost.matrix(x, y))).squareRoot()
    }

    /// The optimal value of min Σ c_ij π_ij over couplings π of `supply` and `demand`
    /// (`cost` row-major n × m).
    public static func optimalCost(supply a: [Double], demand b: [Double], cost: [Double]) -> Double {
        let n = a.count, m = b.count
        var supply = a, demand = b
        var flow = [Double](repeating: 0, count: n * m)
        var ps = [Double](repeating: 0, count: n), pt = [Double](repeating: 0, count: m)
        let tolerance = 1e-14
        var ds = [Double](repeating: 0, count: n), dt = [Double](repeating: 0, count: m)
        var doneS = [Bool](repeating: false, count: n), doneT = [Bool](repeating: false, count: m)
        var predT = [Int](repeating: -1, count: m), predS = [Int](repeating: -1, count: n)
        while supply.reduce(0, +) > tolerance {
            // Dijkstra from every source with supply left.
            for i in 0..<n { ds[i] = supply[i] > tolerance ? 0 : .infinity; doneS[i] = false; predS[i] = -1 }
            for j in 0..<m { dt[j] = .infinity; doneT[j] = false; predT[j] = -1 }
            var target = -1
            var reach = 0.0
            while true {
                var best = Double.infinity, node = -1, isSink = false
                for i in 0..<n where !doneS[i] && ds[i] < best { best = ds[i]; node = i; isSink = false }
                for j in 0..<m where !doneT[j] && dt[j] < best { best = dt[j]; node = j; isSink = true }
                if node < 0 { break }
                if isSink {
                    doneT[node] = true
                    if demand[node] > tolerance { target = node; reach = best; break }
                    // Backward edges t_j → s_i where flow is positive (reduced cost ≥ 0).
                    for i in 0..<n where !doneS[i] && flow[i * m + node] > 0 {
                        let d = best - cost[i * m + node] + pt[node] - ps[i]
                        if d < ds[i] { ds[i] = d; predS[i] = node }
                    }
                } else {
                    doneS[node] = true
                    for j in 0..<m where !doneT[j] {
                        let d = best + cost[node * m + j] + ps[node] - pt[j]
                        if d < dt[j] { dt[j] = d; predT[j] = node }
                    }
                }
            }
            guard target >= 0 else { break }
            // Potentials: p ← p + min(d, reach) keeps every reduced cost non-negative.
            for i in 0..<n { ps[i] += min(ds[i], reach) }
            for j in 0..<m { pt[j] += min(dt[j], reach) }
            // Bottleneck of the path target ← s ← t ← … ← source.
            var delta = demand[target]
            var j = target
            var source = -1
            while true {
                let i = predT[j]
                if predS[i] < 0 { source = i; break }
                let back = predS[i]
                delta = min(delta, flow[i * m + back])
                j = back
            }
            delta = min(delta, supply[source])
            j = target
            while true {
                let i = predT[j]
                flow[i * m + j] += delta
                if predS[i] < 0 { break }
                let back = predS[i]
                flow[i * m + back] -= delta
                j = back
            }
            supply[source] -= delta
            demand[target] -= delta
        }
        var total = 0.0
        for k in 0..<(n * m) where flow[k] > 0 { total += flow[k] * cost[k] }
        return total
    }
}
