/// Every optimal-transport distance homogen computes, behind one signature in the spirit of POT's
/// free functions (`ot.wasserstein_circle`, `ot.emd2`): the distance between two measures on one
/// domain — the circle, a grid of the torus, points of the torus — for one ground cost.
///
/// | measures | cost | method |
/// |---|---|---|
/// | `.circle`, `.circleCells` | `.flat` | exact W2 on the circle from quantile functions (`CircleWasserstein`) |
/// | `.circleCells` | `.circleMetric` | exact, after the change of variables that flattens the metric (`CircleMetricChange`) |
/// | `.grid` (2D, 3D) | `.flat`, `.diagonalMetric`, diagonal `.metric` (2D) | the back-and-forth method with exact c-transforms (`GridWasserstein`) |
/// | `.points` (2D; 3D with `.flat` or `.points`) | `.flat`, `.metric`, `.points` | exact discrete transport by LEMON's network simplex (`ExactTransport`) |
///
/// Any other pairing is refused (`Unsupported`), never approximated silently.
public enum Transport {
    /// A probability measure (masses are normalised by each method).
    public enum Measure {
        /// On the circle R/Z: an empirical measure or a density constant on cells.
        case circle(CircleMeasure)
        /// On the circle: a density constant on the equal cells of [0, 1), by its cell masses.
        case circleCells([Double])
        /// On the torus T² or T³: masses on a grid of cells of `shape` (n1 × n2 or n1 × n2 × n3;
        /// row-major, x1 slowest).
        case grid([Double], shape: [Int])
        /// On the torus T² or T³: weighted points.
        case points(TorusMeasure)
    }

    /// The ground cost c(x, y) whose optimal total is W².
    public enum Cost {
        /// The squared flat distance on the torus (minimum image).
        case flat
        /// ⟨M d, d⟩ for a constant symmetric positive definite M, d the minimum-image difference
        /// (W̄ with a constant B̄, (5.5)–(5.8)).
        case metric(Matrix2)
        /// ⟨M d, d⟩ for a constant diagonal M = diag(m1, …, md), on a grid of any dimension.
        case diagonalMetric([Double])
        /// 1D: the squared distance of a metric g(x) on the circle (W̄ with B̄(x), W_GH with C̄(x)).
        case circleMetric(CircleMetricChange)
        /// A cost given point by point (`GeodesicTorusCost`, `FinslerTorusCost`, `TorusCost`).
        case points(any PointCost)
    }

    /// The distance, and for the grid method its diagnostic (the marginal error in H⁻¹ relative to W2).
    public struct Result: Sendable {
        public let distance: Double
        public let marginalError: Double?
        /// The grid method's `GridWasserstein.Result.belowResolution`: the densities differ by less
        /// than it resolves, and `distance` is an upper bound.
        public var belowResolution = false
    }

    /// A pairing of measures and cost that no method here computes, or a cost that cannot be used.
    public struct Unsupported: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The Wasserstein distance between `a` and `b` for `cost`; `grid` holds the back-and-forth
    /// method's settings (its metric comes from `cost`).
    public static func distance(_ a: Measure, _ b: Measure, cost: Cost = .flat,
                                grid: GridWasserstein.Options = GridWasserstein.Options()) throws -> Result {
        switch (a, b, cost) {
        case let (.circle(x), .circle(y), .flat):
            return Result(distance: CircleWasserstein.distance(x, y).distance, marginalError: nil)
        case let (.circleCells(x), .circleCells(y), .flat):
            return Result(distance: CircleWasserstein.distance(CircleMeasure(cellMasses: x), CircleMeasure(cellMasses: y)).distance,
                          marginalError: nil)
        case let (.circleCells(x), .circleCells(y), .circleMetric(change)):
            let w = CircleWasserstein.distance(change.pushForward(cellMasses: x), change.pushForward(cellMasses: y)).distance
            return Result(distance: change.length * w, marginalError: nil)
        case let (.grid(x, shape), .grid(y, other), .flat) where shape == other:
            let r = try GridWasserstein.distance(x, y, shape: shape, options: grid)
            return Result(distance: r.distance, marginalError: r.marginalError, belowResolution: r.belowResolution)
        case let (.grid(x, shape), .grid(y, other), .metric(m)) where shape == other && shape.count == 2:
            guard m.a12 == 0 else {
                throw Unsupported(reason: "the grid method takes a diagonal metric; for \(m) use exact transport between points")
            }
            var o = grid
            o.metric = [m.a11, m.a22]
            let r = try GridWasserstein.distance(x, y, shape: shape, options: o)
            return Result(distance: r.distance, marginalError: r.marginalError, belowResolution: r.belowResolution)
        case let (.grid(x, shape), .grid(y, other), .diagonalMetric(m)) where shape == other:
            var o = grid
            o.metric = m
            let r = try GridWasserstein.distance(x, y, shape: shape, options: o)
            return Result(distance: r.distance, marginalError: r.marginalError, belowResolution: r.belowResolution)
        case let (.points(x), .points(y), .flat) where x.dimension == y.dimension:
            return Result(distance: try ExactTransport.distance(x, y), marginalError: nil)
        case let (.points(x), .points(y), .points(c)) where x.dimension == y.dimension:
            return Result(distance: try ExactTransport.distance(x, y, cost: c), marginalError: nil)
        case let (.points(x), .points(y), _) where x.dimension != 2 || y.dimension != 2:
            throw Unsupported(reason: "points of the 3D torus take the flat cost or a point cost only (and both measures must be 3D)")
        case let (.points(x), .points(y), .metric(m)):
            return Result(distance: try ExactTransport.distance(x, y, cost: TorusCost(metric: [m.a11, m.a12, m.a22])), marginalError: nil)
        default:
            throw Unsupported(reason: "no transport method for \(describe(a)) against \(describe(b)) with the \(describe(cost)) cost")
        }
    }

    private static func describe(_ m: Measure) -> String {
        switch m {
        case .circle: return "a measure on the circle"
        case .circleCells(let c): return "a density on \(c.count) cells of the circle"
        case .grid(_, let shape): return "masses on a \(shape.map(String.init).joined(separator: " x ")) grid"
        case .points(let p): return "\(p.count) points of the \(p.dimension)D torus"
        }
    }

    private static func describe(_ c: Cost) -> String {
        switch c {
        case .flat: return "flat"
        case .metric: return "constant-metric"
        case .diagonalMetric: return "constant diagonal metric"
        case .circleMetric: return "circle-metric"
        case .points: return "point-by-point"
        }
    }
}
