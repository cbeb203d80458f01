/// A uniform periodic grid of cells on the unit torus (or the unit cell), n cells per side in
/// 1 or 2 dimensions; cell (i1, i2) has the flat index i1·n + i2 (i1 along the first axis).
public struct PeriodicGrid: Sendable, Equatable {
    public let dimension: Int
    public let n: Int

    public init(dimension: Int, n: Int) {
        precondition(dimension == 1 || dimension == 2)
        precondition(n >= 3, "a periodic grid needs at least 3 cells per side")
        self.dimension = dimension
        self.n = n
    }

    public var count: Int { dimension == 1 ? n : n * n }
    public var h: Double { 1 / Double(n) }
    /// Cell volume h^d.
    public var volume: Double { dimension == 1 ? h : h * h }

    /// Index of the neighbour in direction `d` (0 or 1), one cell forward (periodic).
    @inline(__always) public func forward(_ i: Int, _ d: Int) -> Int {
        if dimension == 1 { return i + 1 == n ? 0 : i + 1 }
        if d == 0 { return i + n >= n * n ? i + n - n * n : i + n }
        return (i % n) + 1 == n ? i + 1 - n : i + 1
    }

    /// Index of the neighbour in direction `d`, one cell back.
    @inline(__always) public func backward(_ i: Int, _ d: Int) -> Int {
        if dimension == 1 { return i == 0 ? n - 1 : i - 1 }
        if d == 0 { return i < n ? i - n + n * n : i - n }
        return i % n == 0 ? i + n - 1 : i - 1
    }

    /// Coordinates of cell centres, one array per axis (length `count`).
    public var centres: [[Double]] {
        let c = (0..<n).map { (Double($0) + 0.5) / Double(n) }
        if dimension == 1 { return [c] }
        var x1 = [Double](repeating: 0, count: count), x2 = x1
        for i in 0..<n { for j in 0..<n { x1[i * n + j] = c[i]; x2[i * n + j] = c[j] } }
        return [x1, x2]
    }

    /// Sums the cells of this grid into the cells of a coarser grid with `m` cells per side
    /// (`n` must be a multiple of `m`).
    public func aggregate(_ values: [Double], to m: Int) -> [Double] {
        precondition(n % m == 0)
        let r = n / m
        if dimension == 1 {
            return (0..<m).map { c in (c * r..<(c + 1) * r).reduce(0) { $0 + values[$1] } }
        }
        var out = [Double](repeating: 0, count: m * m)
        for i in 0..<n { for j in 0..<n { out[(i / r) * m + j / r] += values[i * n + j] } }
        return out
    }
}

/// The symmetric operator of a two-point-flux finite-volume scheme on a periodic grid:
///
///     (L v)_i = m_i v_i + Σ_d [ w_d(i) (v_i − v_{i+e_d}) + w_d(i−e_d) (v_i − v_{i−e_d}) ],
///
/// with w_d(i) the weight of the face between cell i and its forward neighbour in direction d
/// and m an optional diagonal (mass) term. Without m it is a weighted graph Laplacian:
/// singular, with the constants as its kernel.
public struct FaceOperator: Sendable {
    public let grid: PeriodicGrid
    /// Face weights per direction, indexed by the cell behind the face.
    public let weights: [[Double]]
    public let mass: [Double]?

    public init(grid: PeriodicGrid, weights: [[Double]], mass: [Double]? = nil) {
        precondition(weights.count == grid.dimension && weights.allSatisfy { $0.count == grid.count })
        self.grid = grid
        self.weights = weights
        self.mass = mass
    }

    public func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let g = grid
        for i in 0..<g.count {
            var s = mass.map { $0[i] * v[i] } ?? 0
            for d in 0..<g.dimension {
                let f = g.forward(i, d), b = g.backward(i, d)
                s += weights[d][i] * (v[i] - v[f]) + weights[d][b] * (v[i] - v[b])
            }
            out[i] = s
        }
    }

    public var diagonal: [Double] {
        (0..<grid.count).map { i in
            var s = mass?[i] ?? 0
            for d in 0..<grid.dimension { s += weights[d][i] + weights[d][grid.backward(i, d)] }
            return s
        }
    }

    /// ½ Σ_faces w (v_j − v_i)(u_j − u_i): the discrete Dirichlet form of the face weights.
    public func dirichletForm(_ v: [Double], _ u: [Double]) -> Double {
        var s = 0.0
        for i in 0..<grid.count {
            for d in 0..<grid.dimension {
                let j = grid.forward(i, d)
                s += weights[d][i] * (v[j] - v[i]) * (u[j] - u[i])
            }
        }
        return 0.5 * s
    }
}
