import Foundation

/// The Gromov–Hausdorff integrand of (5.17) in 3D: φ(v) = N(v)², N the stable norm of the
/// periodic Riemannian metric ⟨B(y) dz, dz⟩ on T³ (as `StableNorm` in 2D; written here: no library
/// computes stable norms of periodic metrics).
///
/// Method, step by step:
///
/// 1. The metric becomes a periodic graph (`PeriodicMetricGraph`): nodes j/n per axis, edges to
///    every primitive offset with |o|∞ ≤ K (1154 for K = 5), a polygonal error between stencil
///    directions (for a constant metric the graph's rate across the sheets of ξ is that of the
///    best single offset, max_o ξ·o/|o|_B) and none along them.
/// 2. The dual norm N* (the effective Hamiltonian of the periodic eikonal problem) at every
///    primitive covector ξ ∈ Z³ with |ξ|∞ ≤ M, exactly for the graph: 1/N*(ξ) is the graph's
///    minimum cycle ratio len(c)/ξ·[c] over its cycles c with ξ·[c] > 0 (`MinimumCycleRatio`).
/// 3. N*² is interpolated on the cube: on each face {ξ_a = ±1} the points (p/M, q/M) of a
///    (2M + 1)² grid are directions of primitive covectors (ξ = (M, p, q)/gcd), and N*² along the
///    face, a quadratic for a constant medium, is interpolated by local biquadratics (exact then).
/// 4. N(v) = max over the dual unit sphere of ⟨ξ, v⟩ — the support function of the dual ball, taken
///    over `boundary`² points per face.
/// 5. N² is tabulated on a `table`² grid per face (the directions (1, s, t) up to sign and axis)
///    and interpolated by local biquadratics for any v (again exact for a constant medium).
///
/// For a constant medium only the graph's polygonal error (N*(ξ) = max_o ξ·o/|o|_B over the
/// offsets, none for an isotropic medium, whose optimal paths follow the covectors) and the
/// discrete maximum of step 4 remain.
public struct StableNorm3D: Sendable {
    public struct Options: Sendable {
        /// Graph nodes per period and axis.
        public var nodes: Int = 8
        /// Stencil reach: offsets with |o|∞ ≤ K (K = 5: 1154 offsets; the polygonal error of a
        /// constant metric diag(1, 2, 4) is 1.4 % at worst over the covectors, against 4.4 % at K = 3).
        public var reach: Int = 5
        /// Covectors ξ with |ξ|∞ ≤ this (M).
        public var covectors: Int = 3
        /// Points per face side where the dual sphere is sampled for the maximum of step 4.
        public var boundary: Int = 64
        /// Points per face side of the table of N² (step 5).
        public var table: Int = 32
        public init() {}
    }

    /// The primitive covectors used (first non-zero entry positive) and N*(ξ) at each.
    public let covectors: [[Int]]
    public let dualNorm: [Double]
    public let options: Options
    public let seconds: Double
    /// N² on the cube faces: [face][i][j] at (s, t) = (−1 + 2i/T, −1 + 2j/T), face = 2a + (sign < 0).
    private let squared: [[[Double]]]

    /// `speed(points, u)` returns √⟨B(y) u, u⟩ at the points (columns y1, y2, y3), throwing where
    /// B is not positive definite.
    public init(options: Options = Options(), threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                speed: (_ points: [[Double]], _ u: [Double]) throws -> [Double]) throws {
        let start = Date()
        let n = options.nodes, m = options.covectors
        guard n >= 4, n <= 64 else { throw StableNorm.Failure.badOption("gh: nodes per period must be from 4 to 64 in 3D") }
        guard (1...6).contains(options.reach) else { throw StableNorm.Failure.badOption("gh: the stencil reach must be from 1 to 6 in 3D") }
        guard (1...4).contains(m) else { throw StableNorm.Failure.badOption("gh: covectors must be from 1 to 4 in 3D") }
        guard options.boundary >= 8, options.table >= 4 else { throw StableNorm.Failure.badOption("gh: boundary and table grids too small") }
        self.options = options
        let graph = try PeriodicMetricGraph(nodes: n, reach: options.reach, dimension: 3, speed: speed)
        // Primitive covectors in the half space (first non-zero entry positive).
        var list: [[Int]] = []
        for a in -m...m { for b in -m...m { for c in -m...m {
            let v = [a, b, c]
            guard Self.gcd(v) == 1, let first = v.first(where: { $0 != 0 }), first > 0 else { continue }
            list.append(v)
        } } }
        covectors = list
        // Each worker takes a contiguous run of covectors (neighbours in direction), starting each
        // from the previous one's optimal policy.
        let solver = MinimumCycleRatio(graph)
        var ratios = [Double](repeating: 0, count: list.count)
        let workers = max(1, min(threads, list.count)), chunk = (list.count + workers - 1) / workers
        var failure: Error?
        let lock = NSLock()
        ratios.withUnsafeMutableBufferPointer { out in
            let buffer = out
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var policy: [Int32] = []
                for k in (w * chunk)..<min(list.count, (w + 1) * chunk) {
                    do {
                        buffer[k] = try solver.minimum(list[k].map(Double.init), policy: &policy).ratio
                    } catch {
                        lock.lock(); failure = failure ?? error; lock.unlock()
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        dualNorm = ratios.map { 1 / $0 }
        var index: [[Int]: Int] = [:]
        for (k, v) in list.enumerated() { index[v] = k }
        let dual = dualNorm
        // N*² at the face grid points ±M e_a + p e_b + q e_c, scaled to the face ±e_a + (p/M) e_b + (q/M) e_c.
        let grid: [[[Double]]] = (0..<6).map { face in
            (0...(2 * m)).map { i in (0...(2 * m)).map { j in
                var v = Self.facePoint(face, Double(i - m), Double(j - m), scale: Double(m)).map { Int($0.rounded()) }
                let g = Self.gcd(v)
                v = v.map { $0 / g }
                if v.first(where: { $0 != 0 })! < 0 { v = v.map { -$0 } }
                let value = Double(g) * dual[index[v]!] / Double(m)
                return value * value
            } }
        }
        func dualSquared(_ face: Int, _ s: Double, _ t: Double) -> Double {
            Self.biquadratic(grid[face], (s + 1) * Double(m), (t + 1) * Double(m))
        }
        // The dual unit sphere: the face points (1, s, t) scaled by 1/N*.
        let b = options.boundary
        var sphere: [[Double]] = []
        for face in 0..<6 {
            for i in 0...b { for j in 0...b {
                let s = -1 + 2 * Double(i) / Double(b), t = -1 + 2 * Double(j) / Double(b)
                let r = 1 / dualSquared(face, s, t).squareRoot()
                sphere.append(Self.facePoint(face, s, t, scale: 1).map { $0 * r })
            } }
        }
        let table = options.table
        var squared: [[[Double]]] = []
        for face in 0..<6 {
            var rows: [[Double]] = []
            for i in 0...table {
                var row: [Double] = []
                for j in 0...table {
                    let v = Self.facePoint(face, -1 + 2 * Double(i) / Double(table), -1 + 2 * Double(j) / Double(table), scale: 1)
                    var best = -Double.infinity
                    for p in sphere { best = max(best, p[0] * v[0] + p[1] * v[1] + p[2] * v[2]) }
                    row.append(best * best)
                }
                rows.append(row)
            }
            squared.append(rows)
        }
        self.squared = squared
        seconds = Date().timeIntervalSince(start)
    }

    /// N(v) for any v ∈ R³.
    public func norm(_ v: [Double]) -> Double { norm(v[0], v[1], v[2]) }

    public func norm(_ v0: Double, _ v1: Double, _ v2: Double) -> Double {
        let m0 = abs(v0), m1 = abs(v1), m2 = abs(v2)
        // The face through v/|v_a|, a the largest entry: (s, t) = (v_b, v_c)/|v_a|.
        let face: Int, scale: Double, s: Double, t: Double
        if m0 >= m1 && m0 >= m2 {
            face = v0 < 0 ? 1 : 0; scale = m0; s = v1; t = v2
        } else if m1 >= m2 {
            face = v1 < 0 ? 3 : 2; scale = m1; s = v0; t = v2
        } else {
            face = v2 < 0 ? 5 : 4; scale = m2; s = v0; t = v1
        }
        guard scale > 0 else { return 0 }
        let half = Double(options.table) / 2
        return scale * Self.biquadratic(squared[face], (s / scale + 1) * half, (t / scale + 1) * half).squareRoot()
    }

    /// φ(v) = N(v)².
    public func phi(_ v: [Double]) -> Double { let r = norm(v); return r * r }

    /// The 13 lattice directions of the cube, up to sign: axes, face diagonals, body diagonals.
    public static let latticeDirections: [[Double]] = [
        [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [0, 1, 1], [0, 1, -1],
        [1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1],
    ]

    /// `latticeDirections` normalised to unit length (where φ is reported).
    public static let unitLatticeDirections: [[Double]] = latticeDirections.map { v in
        let length = (v.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return v.map { $0 / length }
    }

    /// The point σ e_a + s e_b + t e_c, all times `scale` (face = 2a + (σ < 0)).
    private static func facePoint(_ face: Int, _ s: Double, _ t: Double, scale: Double) -> [Double] {
        let a = face / 2
        let (b, c) = others(a)
        var v = [0.0, 0.0, 0.0]
        v[a] = (face % 2 == 0 ? 1 : -1) * scale
        v[b] = s
        v[c] = t
        return v
    }

    private static func others(_ a: Int) -> (Int, Int) { a == 0 ? (1, 2) : a == 1 ? (0, 2) : (0, 1) }

    private static func gcd(_ v: [Int]) -> Int {
        func g(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : g(b, a % b) }
        return v.reduce(0, g)
    }

    /// Local biquadratic (3 × 3 Lagrange) interpolation of `f[i][j]` at the fractional index (x, y).
    private static func biquadratic(_ f: [[Double]], _ x: Double, _ y: Double) -> Double {
        func stencil(_ x: Double, _ count: Int) -> (Int, [Double]) {
            let i0 = min(max(Int(x.rounded()) - 1, 0), count - 3)
            let u = x - Double(i0)
            return (i0, [(u - 1) * (u - 2) / 2, -u * (u - 2), u * (u - 1) / 2])
        }
        let (i0, wx) = stencil(x, f.count), (j0, wy) = stencil(y, f[0].count)
        var sum = 0.0
        for a in 0..<3 { for b in 0..<3 { sum += wx[a] * wy[b] * f[i0 + a][j0 + b] } }
        return sum
    }
}

extension StableNorm3D {
    /// φ for a 3D scenario's medium B(y) (scalar, diagonal or full). Where B also depends on x, the
    /// norm is that of the cell metric at the slow point `x` (default the origin).
    public static func compute(_ s: Scenario, x: [Double] = [0, 0, 0], options: Options = Options(),
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> StableNorm3D {
        guard s.dimension == .three else { throw StableNorm.Failure.badOption("gh: StableNorm3D takes a 3D scenario") }
        let f = s.lowered()
        return try StableNorm3D(options: options, threads: threads) { points, u in
            let count = points[0].count
            let xs = (0..<3).map { [Double](repeating: x[$0], count: count) }
            let v = f.evaluate(f.medium, inputs: Array(0..<6), columns: xs + points)
            return try (0..<count).map { i in
                let b = EffectiveCoefficients.medium(v.map { $0[i] }, f.mediumKind, dimension: 3)
                var form = 0.0
                for r in 0..<3 { for c in 0..<3 { form += b.rowMajor[3 * r + c] * u[r] * u[c] } }
                guard b.isPositiveDefinite, form.isFinite, form > 0 else {
                    throw StableNorm.Failure.degenerateMedium(
                        "[medium] B is not positive definite at y = (\(points[0][i]), \(points[1][i]), \(points[2][i])): "
                        + "the Gromov-Hausdorff (eikonal) metric needs B symmetric positive definite everywhere")
                }
                return form.squareRoot()
            }
        }
    }
}
