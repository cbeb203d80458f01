import Foundation

/// The Gromov–Hausdorff integrand of (5.17) in 2D: φ(v) = N(v)², N the stable norm of the
/// periodic Riemannian metric ⟨B(y) dz, dz⟩,
///
///     N(v) = lim_{L→∞} d(0, L v) / L,   d the geodesic distance of √⟨B ż, ż⟩.
///
/// Method (written here: no library computes stable norms of periodic metrics). The metric is
/// discretised as a periodic graph on the nodes j/n of the cell, with edges to all offsets
/// d ∈ Z² with |d|∞ ≤ K and gcd(d) = 1, each costing the Riemannian length
/// ∫₀¹ √⟨B(x + t d/n) d/n, d/n⟩ dt of its straight segment (2 Gauss–Legendre points on each piece
/// between grid-line crossings, exact for media piecewise constant on the grid cells): full
/// tensors (anisotropic metrics) are handled, with a polygonal error of order 1/(8K²) for
/// directions between stencil offsets and none along them. N is computed through its dual norm
/// N* — the effective Hamiltonian of the periodic eikonal problem — which set-to-set distances
/// give exactly: for a primitive covector ξ, on the cylinder R²/Z(n w), w = (−ξ2, ξ1), cut into
/// the sheets Γ_j = {ξ·x = j}, Dijkstra from the half-cylinder {ξ·x ≤ 0} gives
/// D_j = dist(Γ_0, Γ_j), and 1/N*(ξ) = min_{ξ·v = 1} N(v) = lim (D_j − D_{j−1}), estimated by the
/// mean increment over the second half of periods·(|ξ1| + |ξ2|) sheets (exact for laminates along
/// an axis and for constant media). The dual ball's radius ρ(θ) = |ξ|/N*(ξ) is known at the
/// angles of the covectors with |ξ|∞ ≤ M, interpolated by a periodic cubic spline (GSL), and N(v)
/// is the dual ball's support function, N(v) = max_θ ρ(θ)⟨(cos θ, sin θ), v⟩.
public struct StableNorm: Sendable {
    public struct Options: Sendable {
        /// Graph nodes per period and axis.
        public var nodes: Int = 40
        /// Stencil reach: offsets with |d|∞ ≤ K.
        public var reach: Int = 10
        /// Covectors ξ with |ξ|∞ ≤ this.
        public var covectors: Int = 4
        /// Sheets of the cylinder per covector, in units of |ξ1| + |ξ2| (even).
        public var periods: Int = 2
        /// Output angles in [0, π) (a multiple of 4 includes π/2).
        public var angles: Int = 48
        public init() {}
    }

    /// Angles of the classes, in [0, π), increasing.
    public let angles: [Double]
    /// φ(v) = N(v)² at the unit vectors of `angles`.
    public let phi: [Double]
    /// The covectors ξ used and the dual norm N*(ξ) (the effective Hamiltonian of the eikonal
    /// problem) at each.
    public let covectors: [[Double]]
    public let dualNorm: [Double]
    public let options: Options
    public let seconds: Double

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
        guard n >= 4, n <= 1024 else { throw Failure.badOption("gh: nodes per period must be from 4 to 1024") }
        guard reach >= 1, reach <= 12 else { throw Failure.badOption("gh: the stencil reach must be from 1 to 12") }
        guard options.covectors >= 1, options.covectors <= 16 else { throw Failure.badOption("gh: covectors must be from 1 to 16") }
        guard options.periods >= 2, options.periods <= 64 else { throw Failure.badOption("gh: periods must be from 2 to 64") }
        self.options = options
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        let graph = try PeriodicMetricGraph(nodes: n, reach: reach, metric: medium)
        let offsets = graph.offsets, cost = graph.cost
        // Primitive covectors ξ in the half plane with |ξ|∞ ≤ `covectors`, by angle.
        var covectors: [(Int, Int)] = []
        let c = options.covectors
        for p in 0...c { for q in -c...c where gcd(p, q) == 1 && (p > 0 || q == 1) { covectors.append((p, q)) } }
        func angle(_ x: (Int, Int)) -> Double { atan2(Double(x.1), Double(x.0)) }
        covectors.sort { angle($0) < angle($1) }
        let distances = covectors.map {
            Self.sheetDistance($0, n: n, offsets: offsets, cost: cost, periods: options.periods)
        }
        self.covectors = covectors.map { [Double($0.0), Double($0.1)] }
        dualNorm = distances.map { 1 / $0 }
        // The dual unit ball's radius ρ(θ) = |ξ| / N*(ξ) along the covector angles, interpolated by a
        // periodic cubic spline over [θ_0, θ_0 + π] (ρ(θ + π) = ρ(θ)); N(v) = max_θ ρ(θ) ⟨(cos θ, sin θ), v⟩,
        // the support function of the dual ball, maximised over 8192 angles.
        let thetas = covectors.map(angle) + [angle(covectors[0]) + .pi]
        let radii = zip(covectors, distances).map { (Double($0.0 * $0.0 + $0.1 * $0.1)).squareRoot() * $1 }
        let spline = PeriodicSpline(x: thetas, y: radii + [radii[0]])
        let dense = 8192
        let boundary: [(Double, Double)] = (0..<dense).map { k in
            let t = thetas[0] + 2 * .pi * Double(k) / Double(dense)
            let r = spline(t)
            return (r * cos(t), r * sin(t))
        }
        let angleCount = options.angles
        angles = (0..<angleCount).map { Double($0) * .pi / Double(angleCount) }
        phi = angles.map { a in
            let v = (cos(a), sin(a))
            let nv = boundary.map { $0.0 * v.0 + $0.1 * v.1 }.max()!
            return nv * nv
        }
        seconds = Date().timeIntervalSince(start)
    }

    /// 1/N*(ξ) for a primitive covector ξ: Dijkstra on the cylinder R²/Z(n w), w = (−ξ2, ξ1),
    /// from the half-cylinder {ξ·x ≤ 0}; D_j = dist({ξ·x ≤ 0}, {ξ·x ≥ j}), and the mean increment of
    /// D over the second half of the sheets.
    static func sheetDistance(_ xi: (Int, Int), n: Int, offsets: [(Int, Int)], cost: [Double], periods: Int) -> Double {
        // h = (s, t) with ξ·h = 1 (extended Euclid); (h, w) is a basis of Z².
        func extended(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            if y == 0 { return (x, 1, 0) }
            let (d, s, t) = extended(y, x % y)
            return (d, t, s - (x / y) * t)
        }
        var (d, s, t) = extended(xi.0, xi.1)
        if d < 0 { s = -s; t = -t; d = -d }
        let m = offsets.count
        // Node i = λ h + μ w: λ = ξ·i, μ = s i2 − t i1 (mod n on the cylinder).
        let steps = offsets.map { (l: xi.0 * $0.0 + xi.1 * $0.1, u: s * $0.1 - t * $0.0) }
        let margin = max(1, steps.map { abs($0.l) }.max()!)
        // Sheets: `periods` times |ξ1| + |ξ2|, so that the averaging window (the second half) spans
        // whole periods of the medium along the axis directions.
        let sheets = periods * (abs(xi.0) + abs(xi.1))
        let lo = -margin, hi = sheets * n + margin
        let total = (hi - lo + 1) * n
        var dist = [Double](repeating: .infinity, count: total)
        var heap = MinHeap()
        for l in lo...0 { for u in 0..<n { dist[(l - lo) * n + u] = 0; heap.push(0, (l - lo) * n + u) } }
        var band = [Double](repeating: .infinity, count: sheets + 1)
        cost.withUnsafeBufferPointer { c in
            dist.withUnsafeMutableBufferPointer { dd in
                while let (dv, node) = heap.pop() {
                    if dv > dd[node] { continue }
                    let l = node / n + lo, u = node % n
                    if l >= 0 {
                        let j = l / n
                        if l - j * n < margin, j <= sheets, dv < band[j] { band[j] = dv }
                    }
                    // The torus node of (λ, μ): i1 = λ s − μ ξ2, i2 = λ t + μ ξ1 (mod n).
                    var i1 = (l * s - u * xi.1) % n, i2 = (l * t + u * xi.0) % n
                    if i1 < 0 { i1 += n }
                    if i2 < 0 { i2 += n }
                    let base = (i1 * n + i2) * m
                    for k in 0..<m {
                        let nl = l + steps[k].l
                        if nl < lo || nl > hi { continue }
                        var nu = (u + steps[k].u) % n
                        if nu < 0 { nu += n }
                        let target = (nl - lo) * n + nu
                        let nd = dv + c[base + k]
                        if nd < dd[target] { dd[target] = nd; heap.push(nd, target) }
                    }
                }
            }
        }
        let half = sheets / 2
        return (band[sheets] - band[sheets - half]) / Double(half)
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

/// A binary min-heap of (key, value) pairs for Dijkstra (lazy deletion by the caller).
struct MinHeap {
    private var keys: [Double] = []
    private var values: [Int] = []

    mutating func push(_ key: Double, _ value: Int) {
        keys.append(key); values.append(value)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if keys[parent] <= keys[i] { break }
            keys.swapAt(parent, i); values.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> (Double, Int)? {
        guard let top = keys.first else { return nil }
        let v = values[0]
        let lastKey = keys.removeLast(), lastValue = values.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey; values[0] = lastValue
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < n, keys[l] < keys[smallest] { smallest = l }
                if r < n, keys[r] < keys[smallest] { smallest = r }
                if smallest == i { break }
                keys.swapAt(smallest, i); values.swapAt(smallest, i)
                i = smallest
            }
        }
        return (top, v)
    }
}
