import CLemon
import Foundation

/// A discrete probability measure on the flat torus [0, 1)² (or [0, 1)³): weighted points.
public struct TorusMeasure: Sendable {
    /// Coordinates interleaved: x1, x2 (, x3) of point 0, then of point 1, …
    public let points: [Double]
    /// Coordinates per point: 2 or 3.
    public let dimension: Int
    public let weights: [Double]
    /// True when every point has the same weight (given as nil): the exact solver then works in
    /// exact integer masses.
    public let hasEqualWeights: Bool
    public var count: Int { weights.count }

    /// Points (interleaved pairs, or triples in 3D) with weights (normalised; equal when nil).
    public init(points: [Double], weights: [Double]?, dimension: Int = 2) {
        precondition((2...3).contains(dimension) && points.count % dimension == 0 && !points.isEmpty)
        let n = points.count / dimension
        self.dimension = dimension
        self.points = points.map(Torus.wrap)
        let w = weights ?? [Double](repeating: 1, count: n)
        precondition(w.count == n)
        let total = w.reduce(0, +)
        self.weights = w.map { $0 / total }
        self.hasEqualWeights = weights == nil
    }

    /// Cell masses on an m × m (or m × m × m) grid (row-major, x1 slowest) as weighted cell
    /// centres; cells of zero mass are dropped.
    public init(cellMasses masses: [Double], cells m: Int, dimension: Int = 2) {
        self.init(cellMasses: masses, shape: [Int](repeating: m, count: dimension))
    }

    /// Cell masses on an n1 × n2 (× n3) grid (row-major, x1 slowest) as weighted cell centres
    /// ((i_a + ½)/n_a); cells of zero mass are dropped.
    public init(cellMasses masses: [Double], shape: [Int]) {
        precondition((2...3).contains(shape.count) && masses.count == shape.reduce(1, *))
        var pts: [Double] = [], w: [Double] = []
        for c in masses.indices where masses[c] > 0 {
            var rest = c
            var index = [Int](repeating: 0, count: shape.count)
            for a in shape.indices.reversed() { index[a] = rest % shape[a]; rest /= shape[a] }
            pts += shape.indices.map { (Double(index[$0]) + 0.5) / Double(shape[$0]) }
            w.append(masses[c])
        }
        self.init(points: pts, weights: w, dimension: shape.count)
    }
}

/// A ground cost between the points of two torus measures, for exact transport
/// (`ExactTransport`): the flat and constant-metric cost (`TorusCost`), the geodesic cost of an
/// x-dependent metric (`GeodesicTorusCost`), the Finsler cost of the Gromov–Hausdorff norm
/// (`FinslerTorusCost`).
/// A cost rounded to the dyadic grid 2⁻³⁶. LEMON's network simplex takes its pivots from reduced
/// costs computed by sums and differences of the costs; on this grid (costs below 2⁵, so at most
/// 2⁴¹ units) every such sum of up to 2¹¹ terms is exact in double arithmetic. With arbitrary
/// doubles and many near-ties (an interpolated, nearly isotropic 3D norm between the points of a
/// regular grid) the rounding of the potentials made it pivot without end. The rounding moves W²
/// by at most 2⁻³⁷.
@inline(__always) func dyadicCost(_ c: Double) -> Double { (c * 0x1p36).rounded() / 0x1p36 }

public protocol PointCost {
    /// c(x_i, y_j), row-major (x by y).
    func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double]
}

/// The transport cost on the flat torus: c(x, y) = min over lattice vectors k of
/// ⟨M (x − y + k), x − y + k⟩ (minimum image for the metric M, the identity for W2 and a
/// constant B̄ for W̄ (5.5)–(5.8)). The minimum is taken over k ∈ {−1, 0, 1}² around the
/// wrapped difference, which suffices for metrics with condition number below 9. Points of 3D
/// measures take the flat cost |x − y|² (minimum image), or with `metric3D` the quadratic form of
/// a constant 3 × 3 metric minimised over k ∈ {−1, 0, 1}³ (exact for condition numbers up to 3).
public struct TorusCost: Sendable, PointCost {
    public let metric: [Double]  // [a, b, c] for [[a, b], [b, c]]
    /// 3D: the metric, row-major 3 × 3 (nil: flat).
    public let metric3D: [Double]?

    public init(metric: [Double] = [1, 0, 1]) {
        precondition(metric.count == 3)
        self.metric = metric
        metric3D = nil
    }

    /// 3D with a constant metric M (row-major 3 × 3, condition number at most 3).
    public init(metric3D m: [Double]) {
        precondition(m.count == 9)
        metric = [1, 0, 1]
        metric3D = m
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

    public func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        var c = [Double](repeating: 0, count: x.count * y.count)
        if x.dimension == 3, let m = metric3D {
            precondition(y.dimension == 3, "TorusCost: a 3D metric takes 3D points")
            for i in 0..<x.count { for j in 0..<y.count {
                var d = [0.0, 0.0, 0.0]
                for a in 0..<3 { let u = x.points[3 * i + a] - y.points[3 * j + a]; d[a] = u - u.rounded() }
                var best = Double.infinity
                for k1 in -1...1 { for k2 in -1...1 { for k3 in -1...1 {
                    let e = [d[0] + Double(k1), d[1] + Double(k2), d[2] + Double(k3)]
                    var q = 0.0
                    for r in 0..<3 { for c in 0..<3 { q += m[3 * r + c] * e[r] * e[c] } }
                    best = min(best, q)
                } } }
                c[i * y.count + j] = dyadicCost(best)
            } }
            return c
        }
        if x.dimension == 3 {
            precondition(y.dimension == 3 && metric == [1, 0, 1], "TorusCost: 3D points take the flat cost")
            for i in 0..<x.count { for j in 0..<y.count {
                var s = 0.0
                for a in 0..<3 { let d = x.points[3 * i + a] - y.points[3 * j + a]; let u = d - d.rounded(); s += u * u }
                c[i * y.count + j] = s
            } }
            return c
        }
        for i in 0..<x.count { for j in 0..<y.count {
            c[i * y.count + j] = self(x.points[2 * i] - y.points[2 * j], x.points[2 * i + 1] - y.points[2 * j + 1])
        } }
        return c
    }
}

/// Exact discrete optimal transport between two weighted point sets (the transportation
/// problem), by LEMON's network simplex (`NetworkSimplex` with block-search pivots, the algorithm
/// POT's `emd` derives from) on the complete bipartite graph, through the C++ shim `CLemon`.
///
/// LEMON's simplex is exact in integer flows, so the masses are made integers first: equal
/// weights 1/n against 1/m become m per source and n per target (exact); general weights are
/// rounded to multiples of 2⁻⁵⁰ with the rounding residue put on the largest entry, which moves
/// the optimal cost by at most (n + m) 2⁻⁵⁰ max c. Memory grows like n m (about 70 bytes a pair),
/// time roughly like (n m)^1.5 in practice; `limit` caps n m.
public enum ExactTransport {
    /// The largest n m accepted (6000 × 6000 points, about 2.5 GB).
    public static let limit = 36_000_000

    public struct TooLarge: Error, CustomStringConvertible {
        public let n: Int, m: Int
        public var description: String {
            "exact transport between \(n) and \(m) points is too large (n m above \(ExactTransport.limit))"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "exact transport failed: \(reason)" }
    }

    /// W2 (the square root of the optimal cost) for the ground cost `cost`.
    public static func distance(_ x: TorusMeasure, _ y: TorusMeasure, cost: some PointCost = TorusCost()) throws -> Double {
        guard x.count * y.count <= limit else { throw TooLarge(n: x.count, m: y.count) }
        let c = cost.matrix(x, y)
        let value: Double
        if x.hasEqualWeights && y.hasEqualWeights {
            let n = x.count, m = y.count
            value = try solve(supply: [Int64](repeating: Int64(m), count: n), demand: [Int64](repeating: Int64(n), count: m),
                              cost: c) / (Double(n) * Double(m))
        } else {
            value = try optimalCost(supply: x.weights, demand: y.weights, cost: c)
        }
        return max(0, value).squareRoot()
    }

    /// The optimal value of min Σ c_ij π_ij over couplings π of `supply` and `demand` (non-negative,
    /// normalised here to total mass one; `cost` row-major n × m, any finite values).
    public static func optimalCost(supply a: [Double], demand b: [Double], cost: [Double]) throws -> Double {
        guard !a.isEmpty, !b.isEmpty, cost.count == a.count * b.count else {
            throw Failure(reason: "a cost matrix of \(cost.count) entries does not fit \(a.count) × \(b.count) masses")
        }
        guard a.count * b.count <= limit else { throw TooLarge(n: a.count, m: b.count) }
        guard cost.allSatisfy({ $0.isFinite }) else { throw Failure(reason: "the cost matrix has a non-finite entry") }
        let scale: Int64 = 1 << 50
        return try solve(supply: try integerMasses(a, scale), demand: try integerMasses(b, scale), cost: cost) / Double(scale)
    }

    /// Masses as non-negative integers summing to `scale` exactly.
    static func integerMasses(_ w: [Double], _ scale: Int64) throws -> [Int64] {
        guard w.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw Failure(reason: "a mass is negative or not finite") }
        let total = w.reduce(0, +)
        guard total > 0 else { throw Failure(reason: "the total mass is zero") }
        var q = w.map { Int64(($0 / total * Double(scale)).rounded()) }
        let residue = scale - q.reduce(0, +)
        let k = q.indices.max { q[$0] < q[$1] }!
        q[k] += residue
        return q
    }

    private static func solve(supply: [Int64], demand: [Int64], cost: [Double]) throws -> Double {
        var total = 0.0
        let status = clemon_transport(Int32(supply.count), Int32(demand.count), supply, demand, cost, &total, nil, nil)
        switch Int(status) {
        case Int(CLEMON_OPTIMAL): return total
        case Int(CLEMON_OUT_OF_MEMORY): throw Failure(reason: "out of memory for \(supply.count) × \(demand.count) pairs")
        case Int(CLEMON_INFEASIBLE): throw Failure(reason: "the masses do not balance")
        default: throw Failure(reason: "LEMON's network simplex returned status \(status)")
        }
    }
}
