import Foundation

/// The Gromov–Hausdorff integrand of (5.17) in 2D: φ(v) = N(v)², N the stable norm of the
/// periodic Riemannian metric ⟨B(y) dz, dz⟩,
///
///     N(v) = lim_{L→∞} d(0, L v) / L,   d the geodesic distance of √⟨B ż, ż⟩.
///
/// Method (written here: no library computes stable norms of periodic metrics). The metric is
/// discretised as a periodic graph (`PeriodicMetricGraph`: nodes j/n of the cell, edges to all
/// primitive offsets o with |o|∞ ≤ K, each costing the Riemannian length of its straight segment —
/// exact for media piecewise constant on the grid cells, with a polygonal error of order 1/(8K²)
/// between stencil directions and none along them; full tensors are handled). The graph's own
/// stable norm N_G is then computed exactly: its unit ball is a polygon, and for a covector ξ the
/// minimum cycle ratio (`MinimumCycleRatio`) gives both the support function h(ξ) = N_G*(ξ) and
/// a vertex [c]/len(c) of the ball touched by the line {ξ·v = h(ξ)}. The polygon is built by the
/// support-function refinement of convex geometry: between two known vertices a, b the outward
/// normal ν of the chord ab is queried; if h(ν) exceeds ν·a by more than `tolerance`·h(ν) the
/// new vertex is kept and both halves refined, otherwise ab is a face (to that tolerance). Every
/// direction's N_G is then bracketed between the polygon of vertices (above) and that of
/// supporting lines (below) within `tolerance`; N_G is even (a reversed cycle has the same
/// length), so covectors are queried over a half circle. φ(v) is the polygon's gauge squared.
/// The remaining error is the graph's discretisation of the metric (measured in docs/solver.md).
public struct StableNorm: Sendable {
    public struct Options: Sendable {
        /// Graph nodes per period and axis.
        public var nodes: Int = 40
        /// Stencil reach: offsets with |o|∞ ≤ K.
        public var reach: Int = 10
        /// Output angles in [0, π) (a multiple of 4 includes π/2).
        public var angles: Int = 48
        /// Relative gap between the ball's vertex polygon and its supporting lines at which a chord
        /// is taken for a face.
        public var tolerance: Double = 1e-5
        /// At most this many covectors are queried (a polygon with more faces is an error).
        public var maximumQueries: Int = 2000
        public init() {}
    }

    /// The output angles, in [0, π), increasing.
    public let angles: [Double]
    /// φ(v) = N(v)² at the unit vectors of `angles`.
    public let phi: [Double]
    /// The vertices of the graph norm's unit ball over the whole circle, counter-clockwise, and the
    /// homology class p of the optimal cycle at each (the vertex is p / N(p)).
    public let vertices: [[Double]]
    public let classes: [[Int]]
    /// The unit covectors ξ in [0, π] whose vertices were kept (with the chord normals found to
    /// be faces, about as many more were queried), and the dual norm N*(ξ) (the effective
    /// Hamiltonian of the eikonal problem) at each.
    public let covectors: [[Double]]
    public let dualNorm: [Double]
    public let options: Options
    public let seconds: Double
    /// Per edge of the vertex polygon (vertex k to k + 1): its normal scaled so that ν·v = 1 on the edge.
    private let edgeNormals: [(Double, Double)]
    /// The vertices' angles, counter-clockwise from the first (at `firstAngle`), in [0, 2π).
    private let vertexTurns: [Double]
    private let firstAngle: Double

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case degenerateMedium(String)
        case badOption(String)
        public var description: String {
            switch self {
            case .degenerateMedium(let s): return s
            case .badOption(let s): return s
            }
        }
    }

    /// `medium(y1, y2)` returns B at points of the unit cell.
    public init(options: Options = Options(), medium: ([Double], [Double]) -> [Matrix2]) throws {
        let start = Date()
        let n = options.nodes, reach = options.reach
        guard n >= 4, n <= 200 else { throw Failure.badOption("gh: nodes per period must be from 4 to 200") }
        guard reach >= 1, reach <= 12 else { throw Failure.badOption("gh: the stencil reach must be from 1 to 12") }
        guard options.angles >= 4 else { throw Failure.badOption("gh: at least 4 output angles") }
        guard options.tolerance > 0, options.tolerance < 0.1 else { throw Failure.badOption("gh: the tolerance must be in (0, 0.1)") }
        self.options = options
        let solver = MinimumCycleRatio(try PeriodicMetricGraph(nodes: n, reach: reach, metric: medium))
        // The two quarter circles of covectors, [0, π/2] and [π/2, π], one per thread; each keeps
        // the last optimal policy to start its next query from.
        let east = try Self.support((1, 0), solver: solver), north = try Self.support((0, 1), solver: solver)
        let west = east.mirrored
        var quarters: [[Support]] = [[], []]
        var failure: Error?
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { q in
            do {
                var refinement = Refinement(solver: solver, tolerance: options.tolerance, limit: options.maximumQueries / 2)
                let found = q == 0 ? try refinement.between(east, north) : try refinement.between(north, west)
                lock.lock(); quarters[q] = found; lock.unlock()
            } catch {
                lock.lock(); failure = failure ?? error; lock.unlock()
            }
        }
        if let failure { throw failure }
        let half = [east] + quarters[0] + [north] + quarters[1]
        var ring = half + half.map(\.mirrored)
        // A vertex touched by several covectors (a corner) appears once.
        ring = ring.enumerated().filter { k, s in
            let p = ring[(k + 1) % ring.count].vertex
            return abs(p.0 - s.vertex.0) + abs(p.1 - s.vertex.1) > 1e-13 * (abs(s.vertex.0) + abs(s.vertex.1))
        }.map { $0.1 }
        vertices = ring.map { [$0.vertex.0, $0.vertex.1] }
        classes = ring.map { $0.homologyClass }
        let normals = ring.indices.map { k in
            let a = ring[k].vertex, b = ring[(k + 1) % ring.count].vertex
            let nu = (b.1 - a.1, a.0 - b.0), c = nu.0 * a.0 + nu.1 * a.1
            return (nu.0 / c, nu.1 / c)
        }
        let first = atan2(ring[0].vertex.1, ring[0].vertex.0)
        let turns = ring.map { s in
            let t = atan2(s.vertex.1, s.vertex.0) - first
            return t < 0 ? t + 2 * .pi : t
        }
        edgeNormals = normals
        vertexTurns = turns
        firstAngle = first
        let queried = half + [west]
        let ordered = queried.sorted { atan2($0.xi.1, $0.xi.0) < atan2($1.xi.1, $1.xi.0) }
        covectors = ordered.map { [$0.xi.0, $0.xi.1] }
        dualNorm = ordered.map { $0.h }
        let angleCount = options.angles
        angles = (0..<angleCount).map { Double($0) * .pi / Double(angleCount) }
        phi = angles.map { a in
            let r = Self.gauge(cos(a), sin(a), normals: normals, turns: turns, first: first)
            return r * r
        }
        seconds = Date().timeIntervalSince(start)
    }

    /// N(v): the gauge of the graph norm's unit polygon (the largest of ν·v over the edges around
    /// v's angle, exact for a convex polygon).
    public func norm(_ v1: Double, _ v2: Double) -> Double {
        Self.gauge(v1, v2, normals: edgeNormals, turns: vertexTurns, first: firstAngle)
    }

    /// The smallest and largest N(v) over unit vectors v: 1 over the farthest vertex, and the
    /// largest edge normal (1 over the distance to the nearest edge).
    public var unitRange: (min: Double, max: Double) {
        (1 / vertices.map { ($0[0] * $0[0] + $0[1] * $0[1]).squareRoot() }.max()!,
         edgeNormals.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max()!)
    }

    private static func gauge(_ v1: Double, _ v2: Double, normals: [(Double, Double)], turns: [Double], first: Double) -> Double {
        if v1 == 0 && v2 == 0 { return 0 }
        var t = atan2(v2, v1) - first
        if t < 0 { t += 2 * .pi }
        // The last vertex turn ≤ t (binary search); its edge and both neighbours.
        var lo = 0, hi = turns.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if turns[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        let count = normals.count
        var best = 0.0
        for k in [lo + count - 1, lo, lo + 1] {
            let nu = normals[k % count]
            best = max(best, nu.0 * v1 + nu.1 * v2)
        }
        return best
    }

    /// A covector's support value and the vertex it touches.
    private struct Support {
        let xi: (Double, Double)
        let vertex: (Double, Double)
        let h: Double
        let homologyClass: [Int]

        /// The covector −ξ: N is even, its vertex is −vertex.
        var mirrored: Support {
            Support(xi: (-xi.0, -xi.1), vertex: (-vertex.0, -vertex.1), h: h, homologyClass: homologyClass.map { -$0 })
        }
    }

    private static func support(_ xi: (Double, Double), solver: MinimumCycleRatio, policy: inout [Int32]) throws -> Support {
        let c = try solver.minimum([xi.0, xi.1], policy: &policy)
        return Support(xi: xi, vertex: (Double(c.homologyClass[0]) / c.length, Double(c.homologyClass[1]) / c.length),
                       h: 1 / c.ratio, homologyClass: c.homologyClass)
    }

    private static func support(_ xi: (Double, Double), solver: MinimumCycleRatio) throws -> Support {
        var policy: [Int32] = []
        return try support(xi, solver: solver, policy: &policy)
    }

    /// The support-function refinement between two vertices, with its warm policy and query count.
    private struct Refinement {
        let solver: MinimumCycleRatio
        let tolerance: Double
        let limit: Int
        var policy: [Int32] = []
        var queries = 0

        init(solver: MinimumCycleRatio, tolerance: Double, limit: Int) {
            self.solver = solver; self.tolerance = tolerance; self.limit = limit
        }

        /// The vertices strictly between a and b (counter-clockwise): the outward normal ν of the
        /// chord ab is queried; a vertex beyond the chord by more than `tolerance`·h(ν) is kept
        /// and both halves refined.
        mutating func between(_ a: Support, _ b: Support) throws -> [Support] {
            let d = (b.vertex.0 - a.vertex.0, b.vertex.1 - a.vertex.1)
            let length = (d.0 * d.0 + d.1 * d.1).squareRoot()
            guard length > 1e-13 * (a.vertex.0 * a.vertex.0 + a.vertex.1 * a.vertex.1).squareRoot() else { return [] }
            guard queries < limit else {
                throw Failure.badOption("gh: the stable norm's polygon needs more than \(2 * limit) covectors at tolerance \(tolerance)")
            }
            queries += 1
            let nu = (d.1 / length, -d.0 / length)
            let s = try StableNorm.support(nu, solver: solver, policy: &policy)
            guard s.h - (nu.0 * a.vertex.0 + nu.1 * a.vertex.1) > tolerance * s.h else { return [] }
            return try between(a, s) + [s] + between(s, b)
        }
    }
}

extension StableNorm {
    /// φ for a 2D scenario's medium B(y). Where B also depends on x (B(x, y)), the norm is that of
    /// the cell metric at the slow point `x` (default the origin).
    public static func compute(_ s: Scenario, x: [Double] = [0, 0], options: Options = Options()) throws -> StableNorm {
        guard s.dimension == .two else { throw Failure.badOption("gh: the stable norm is computed in 2D (in 1D it is C_gh)") }
        let f = s.lowered()
        return try StableNorm(options: options) { y1, y2 in
            let xs = (0..<2).map { [Double](repeating: x[$0], count: y1.count) }
            let v = f.evaluate(f.medium, inputs: [0, 1, 2, 3], columns: xs + [y1, y2])
            return (0..<y1.count).map { i in
                switch v.count {
                case 1: return .diagonal(v[0][i], v[0][i])
                case 2: return .diagonal(v[0][i], v[1][i])
                default: return Matrix2(a11: v[0][i], a12: v[1][i], a22: v[2][i])
                }
            }
        }
    }

    /// True when the scenario's medium depends on the slow variable x.
    public static func mediumDependsOnX(_ s: Scenario) -> Bool {
        let f = s.lowered()
        return f.medium.contains { node in f.slowVariables.contains { f.graph.dependsOn(node, variable: $0) } }
    }
}

