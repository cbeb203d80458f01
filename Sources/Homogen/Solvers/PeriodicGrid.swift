/// A uniform periodic grid of cells on the unit torus (or the unit cell), n cells per side in
/// 1, 2 or 3 dimensions; cells have row-major flat indices (`TorusDimension.flatIndex`): cell
/// (i1, i2) is i1·n + i2 (i1 along the first axis), cell (i1, i2, i3) is (i1·n + i2)·n + i3.
public struct PeriodicGrid: Sendable, Equatable {
    public let dimension: TorusDimension
    public let n: Int

    public init(dimension: TorusDimension, n: Int) {
        precondition(n >= 3, "a periodic grid needs at least 3 cells per side")
        self.dimension = dimension
        self.n = n
    }

    public var count: Int { dimension.cells(perAxis: n) }
    public var h: Double { 1 / Double(n) }
    /// Cell volume h^d.
    public var volume: Double { dimension.volume(side: h) }

    /// Index of the neighbour in direction `d` (an axis), one cell forward (periodic).
    @inline(__always) public func forward(_ i: Int, _ d: Int) -> Int {
        switch dimension {
        case .one: return i + 1 == n ? 0 : i + 1
        case .two:
            if d == 0 { return i + n >= n * n ? i + n - n * n : i + n }
            return (i % n) + 1 == n ? i + 1 - n : i + 1
        case .three:
            let step = d == 0 ? n * n : d == 1 ? n : 1   // the flat-index step of axis d
            return (i / step) % n + 1 == n ? i + step - n * step : i + step
        }
    }

    /// Index of the neighbour in direction `d`, one cell back.
    @inline(__always) public func backward(_ i: Int, _ d: Int) -> Int {
        switch dimension {
        case .one: return i == 0 ? n - 1 : i - 1
        case .two:
            if d == 0 { return i < n ? i - n + n * n : i - n }
            return i % n == 0 ? i + n - 1 : i - 1
        case .three:
            let step = d == 0 ? n * n : d == 1 ? n : 1
            return (i / step) % n == 0 ? i - step + n * step : i - step
        }
    }

    /// Coordinates of cell centres, one array per axis (length `count`).
    public var centres: [[Double]] {
        var out = dimension.axes.map { _ in [Double](repeating: 0, count: count) }
        var place = 1   // n^(d-1-k): the flat-index step of axis k (the last axis varies fastest)
        for k in dimension.axes.reversed() {
            for cell in 0..<count { out[k][cell] = (Double(cell / place % n) + 0.5) / Double(n) }
            place *= n
        }
        return out
    }

    /// Sums the cells of this grid into the cells of a coarser grid with `m` cells per side
    /// (`n` must be a multiple of `m`).
    public func aggregate(_ values: [Double], to m: Int) -> [Double] {
        precondition(n % m == 0)
        var out = [Double](repeating: 0, count: dimension.cells(perAxis: m))
        for cell in 0..<count { out[dimension.coarseCell(cell, perAxis: n, factor: n / m)] += values[cell] }
        return out
    }
}

/// The symmetric operator of a two-point-flux finite-volume scheme on a periodic grid, with
/// optional diagonal edges (the symmetric nine-point scheme in 2D and nineteen-point scheme in 3D
/// for full tensors, `CrossTermWeights`):
///
///     (L v)_i = m_i v_i + Σ_edges e ∋ i w_e (v_i − v_j(e)),
///
/// edges joining cell i to i+e_d (weights `weights[d][i]`) and, with cross terms, to
/// i + e_a ± e_b for each pair of axes a < b (`diagonalWeights[k][i]`, k in
/// `CrossTermWeights.offsets` order: in 2D i+e1+e2 and i+e1−e2); m an optional diagonal (mass)
/// term. Without m it is a weighted graph Laplacian: singular, with the constants as its kernel,
/// and mass-conserving (its columns sum to zero) whatever the signs of the weights.
public struct FaceOperator: Sendable, SymmetricOperator {
    public var count: Int { grid.count }
    public var isSingular: Bool { mass == nil }
    public let grid: PeriodicGrid
    /// Face weights per direction, indexed by the cell behind the face.
    public let weights: [[Double]]
    /// Weights of the diagonal edges i ↔ i + offset k, indexed by i (`CrossTermWeights.offsets`).
    public let diagonalWeights: [[Double]]?
    public let mass: [Double]?
    /// Per diagonal edge kind: the far end of the edge from each cell, and the cell whose edge ends there.
    private let diagonalNeighbours: [[Int]]
    private let diagonalOrigins: [[Int]]

    public init(grid: PeriodicGrid, weights: [[Double]], diagonalWeights: [[Double]]? = nil, mass: [Double]? = nil) {
        let offsets = CrossTermWeights.offsets(grid.dimension)
        precondition(weights.count == grid.dimension.count && weights.allSatisfy { $0.count == grid.count })
        precondition(diagonalWeights == nil || (diagonalWeights!.count == offsets.count
                                                  && diagonalWeights!.allSatisfy { $0.count == grid.count }))
        self.grid = grid
        self.weights = weights
        self.diagonalWeights = diagonalWeights
        self.mass = mass
        if diagonalWeights != nil {
            func move(_ i: Int, _ offset: [Int], _ sign: Int) -> Int {
                var j = i
                for a in offset.indices where offset[a] != 0 {
                    j = offset[a] * sign > 0 ? grid.forward(j, a) : grid.backward(j, a)
                }
                return j
            }
            diagonalNeighbours = offsets.map { o in (0..<grid.count).map { move($0, o, 1) } }
            diagonalOrigins = offsets.map { o in (0..<grid.count).map { move($0, o, -1) } }
        } else {
            diagonalNeighbours = []
            diagonalOrigins = []
        }
    }

    /// The far end of diagonal edge `k` from cell i.
    @inline(__always) public func diagonalNeighbour(_ i: Int, _ k: Int) -> Int { diagonalNeighbours[k][i] }

    /// The cell whose diagonal edge `k` ends at i.
    @inline(__always) func diagonalOrigin(_ i: Int, _ k: Int) -> Int { diagonalOrigins[k][i] }

    public func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let g = grid
        for i in 0..<g.count {
            var s = mass.map { $0[i] * v[i] } ?? 0
            for d in g.dimension.axes {
                let f = g.forward(i, d), b = g.backward(i, d)
                s += weights[d][i] * (v[i] - v[f]) + weights[d][b] * (v[i] - v[b])
            }
            if let w = diagonalWeights {
                for k in w.indices {
                    let f = diagonalNeighbour(i, k), b = diagonalOrigin(i, k)
                    s += w[k][i] * (v[i] - v[f]) + w[k][b] * (v[i] - v[b])
                }
            }
            out[i] = s
        }
    }

    public var jacobiDiagonal: [Double]? {
        (0..<grid.count).map { i in
            var s = mass?[i] ?? 0
            for d in grid.dimension.axes { s += weights[d][i] + weights[d][grid.backward(i, d)] }
            if let w = diagonalWeights {
                for k in w.indices { s += w[k][i] + w[k][diagonalOrigin(i, k)] }
            }
            return s
        }
    }

    /// ½ Σ_edges w (v_j − v_i)(u_j − u_i): the discrete Dirichlet form of the edge weights.
    public func dirichletForm(_ v: [Double], _ u: [Double]) -> Double {
        var s = 0.0
        for i in 0..<grid.count {
            for d in grid.dimension.axes {
                let j = grid.forward(i, d)
                s += weights[d][i] * (v[j] - v[i]) * (u[j] - u[i])
            }
            if let w = diagonalWeights {
                for k in w.indices {
                    let j = diagonalNeighbour(i, k)
                    s += w[k][i] * (v[j] - v[i]) * (u[j] - u[i])
                }
            }
        }
        return 0.5 * s
    }

    /// The same edges with every weight multiplied by `edgeFactor(i, j)` (i the edge's origin,
    /// j its far end), and an optional mass term.
    public func reweighted(mass: [Double]? = nil, _ edgeFactor: (Int, Int) -> Double) -> FaceOperator {
        let w = grid.dimension.axes.map { d in (0..<grid.count).map { i in weights[d][i] * edgeFactor(i, grid.forward(i, d)) } }
        let dw = diagonalWeights.map { dw in
            dw.indices.map { k in (0..<grid.count).map { i in dw[k][i] * edgeFactor(i, diagonalNeighbour(i, k)) } }
        }
        return FaceOperator(grid: grid, weights: w, diagonalWeights: dw, mass: mass)
    }
}
