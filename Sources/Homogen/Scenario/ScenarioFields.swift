import Foundation

/// The scenario's fields lowered into an expression graph. Variables are numbered
/// 1D: x = 0, y = 1; 2D: x1 = 0, x2 = 1, y1 = 2, y2 = 3 (slow first, then fast y = x/ε).
/// Each consumer (sampler, solvers) lowers its own copy with `Scenario.lowered()`, since it
/// extends the graph with its own derivatives.
public struct LoweredFields {
    public let graph: ExpressionGraph
    public let dimension: TorusDimension
    public let inverseEpsilon: Int
    /// Entries of B: [B] for a scalar medium, [B11, …, Bdd] diagonal, the upper triangle row by
    /// row ([B11, B12, B22] in 2D, `SymmetricIndex`) full.
    public let medium: [NodeID]
    public let mediumKind: MediumKind
    /// log π (or -U).
    public let logPi: NodeID
    /// π (or e^{-U}), unnormalised.
    public let pi: NodeID
    /// ρ0 (or f·π), unnormalised.
    public let rho0: NodeID

    public var slowVariables: [Int] { dimension.slowVariables }
    public var fastVariables: [Int] { dimension.fastVariables }
    public var variableNames: [String] { dimension.variableNames }

    init(dimension: TorusDimension, inverseEpsilon: Int, medium: Medium, equilibrium: Equilibrium,
         initial: InitialDensity) throws {
        let g = ExpressionGraph()
        self.graph = g
        self.dimension = dimension
        self.inverseEpsilon = inverseEpsilon
        let variables = Dictionary(uniqueKeysWithValues: dimension.variableNames.enumerated().map { ($1, $0) })
        let constants = ["eps": 1 / Double(inverseEpsilon)]
        func lower(_ c: Coefficient, _ key: String) throws -> NodeID {
            do {
                return try g.lower(c.expression, variables: variables, constants: constants, field: key)
            } catch let e as ExpressionError {
                throw ScenarioError(key: key, column: e.column, message: e.message)
            }
        }
        switch medium {
        case .scalar(let b):
            self.medium = [try lower(b, "[medium] B")]
        case .diagonal(let b):
            self.medium = try b.enumerated().map { try lower($1, "[medium] B[\($0 + 1)]") }
        case .full(let upper):
            let index = SymmetricIndex(dimension.count)
            self.medium = try upper.enumerated().map { k, b in
                let (i, j) = index.entry(k)
                return try lower(b, "[medium] B[\(i + 1)][\(j + 1)]")
            }
        }
        self.mediumKind = medium.kind
        switch equilibrium {
        case .density(let p):
            pi = try lower(p, "[equilibrium] pi")
            logPi = g.unary(.log, pi)
        case .potential(let u):
            let uNode = try lower(u, "[equilibrium] U")
            logPi = g.unary(.neg, uNode)
            pi = g.unary(.exp, logPi)
        }
        switch initial {
        case .density(let r): rho0 = try lower(r, "[initial] rho")
        case .relativeToEquilibrium(let f): rho0 = g.mul(try lower(f, "[initial] f"), pi)
        }
    }

    // MARK: - Batch evaluation helpers

    /// Evaluates `outputs` at the given points; `columns[k]` holds the values of variable
    /// `inputs[k]`. Returns one array per output.
    public func evaluate(_ outputs: [NodeID], inputs: [Int], columns: [[Double]]) -> [[Double]] {
        BatchEvaluator(graph: graph, outputs: outputs, inputs: inputs).evaluate(columns)
    }

    /// The variables any of `nodes` depends on, in increasing order.
    public func variables(of nodes: [NodeID]) -> [Int] {
        Array(Set(nodes.flatMap { graph.variables(of: $0) })).sorted()
    }

    /// Points of the product grid {j/G} over `variables`, G per variable chosen so that the
    /// grid has at most about 2^20 points (4096 per variable at most): the largest 2^a·3^b (a ≥ 1)
    /// within that, so that the grid holds the simple fractions where expressions vanish (½, ⅓,
    /// ¼, ⅙, ⅛; 96 for three variables, where 101 missed a zero of 1 + cos 2πx on x = ½).
    public static func productGrid(variables count: Int) -> (perAxis: Int, columns: [[Double]]) {
        guard count > 0 else { return (1, []) }
        let bound = min(4096, Int((Double(1 << 20)).squareRootN(count).rounded(.down)))
        var g = 2
        var twos = 2
        while twos <= bound {
            var candidate = twos
            while candidate * 3 <= bound { candidate *= 3 }
            g = max(g, candidate)
            twos *= 2
        }
        let total = Int(pow(Double(g), Double(count)))
        var columns = [[Double]](repeating: [Double](repeating: 0, count: total), count: count)
        for i in 0..<total {
            var r = i
            for k in stride(from: count - 1, through: 0, by: -1) {
                columns[k][i] = Double(r % g) / Double(g)
                r /= g
            }
        }
        return (g, columns)
    }

    /// Integrals of the composite field F(X) = field(X, X/ε) over the cells of a uniform grid
    /// with `cells` cells per dimension (row-major: index i1 * cells + i2 in 2D).
    ///
    /// Over the whole torus (`cells` = 1), F is periodic and the midpoint rule is spectrally
    /// accurate for smooth fields: 64 points per ε-period and axis in 1D and 2D, 16 in 3D (where
    /// the points are cubed), at least 256 per axis in 3D — round-off for exp(2 cos 2πy), which the
    /// 3D Gauss rule below missed by 4e-5. Over smaller cells, composite Gauss–Legendre quadrature
    /// (GSL's tables) on sub-intervals: 8 points on sub-intervals no wider than ε/8 in 1D and 2D;
    /// in 3D 4 points on sub-intervals no wider than ε/4 (remainder h⁹(4!)⁴/(9(8!)³) f⁽⁸⁾: 2e-8
    /// relative for the mode cos 2πy/ε, more for steeper fields), refined while the points per
    /// axis stay within 256.
    public func cellIntegrals(of field: NodeID, cells: Int) -> [Double] {
        let (perPeriod, points) = dimension == .three ? (4.0, 4) : (8.0, 8)
        var sub = max(1, Int((perPeriod * Double(inverseEpsilon) / Double(cells)).rounded(.up)))
        if dimension == .three { sub = max(sub, 256 / (cells * points)) }
        let gl = GaussLegendre(points: points)
        let perAxis = cells * sub * gl.nodes.count
        var xs = [Double](repeating: 0, count: perAxis), ws = xs
        if cells == 1 {
            for i in 0..<perAxis { xs[i] = (Double(i) + 0.5) / Double(perAxis); ws[i] = 1 / Double(perAxis) }
        } else {
            let h = 1 / Double(cells * sub)
            for s in 0..<(cells * sub) {
                for (k, (t, w)) in zip(gl.nodes, gl.weights).enumerated() {
                    xs[s * gl.nodes.count + k] = (Double(s) + t) * h
                    ws[s * gl.nodes.count + k] = w * h
                }
            }
        }
        let pointsPerCell = sub * gl.nodes.count
        let n = Double(inverseEpsilon)
        switch dimension {
        case .one:
            let values = evaluate([field], inputs: [0, 1], columns: [xs, xs.map { $0 * n }])[0]
            return (0..<cells).map { c in
                (c * pointsPerCell..<(c + 1) * pointsPerCell).reduce(0) { $0 + values[$1] * ws[$1] }
            }
        case .two:
            return tensorRows(field, cells: cells, xs: xs, ws: ws, pointsPerCell: pointsPerCell)
        case .three:
            return tensorSlabs(field, cells: cells, xs: xs, ws: ws, pointsPerCell: pointsPerCell)
        }
    }

    /// 3D cell integrals from the 1D rule (xs, ws) in each axis, one slab of x1 at a time, the
    /// slabs split into fixed chunks over the cores (each chunk's sums added in chunk order, so
    /// the result does not depend on the core count).
    private func tensorSlabs(_ field: NodeID, cells: Int, xs: [Double], ws: [Double], pointsPerCell: Int) -> [Double] {
        let perAxis = xs.count, n = Double(inverseEpsilon)
        var x2: [Double] = [], x3: [Double] = [], w23: [Double] = [], cell23: [Int] = []
        for j in 0..<perAxis {
            for k in 0..<perAxis {
                x2.append(xs[j]); x3.append(xs[k]); w23.append(ws[j] * ws[k])
                cell23.append((j / pointsPerCell) * cells + k / pointsPerCell)
            }
        }
        let y2 = x2.map { $0 * n }, y3 = x3.map { $0 * n }
        let chunks = min(16, perAxis)
        var partial = [[Double]](repeating: [], count: chunks)
        let lock = NSLock()
        let evaluators = (0..<chunks).map { _ in BatchEvaluator(graph: graph, outputs: [field], inputs: [0, 1, 2, 3, 4, 5]) }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let evaluator = evaluators[c]
            var out = [Double](repeating: 0, count: cells * cells * cells)
            for i in stride(from: c, to: perAxis, by: chunks) {
                let x1 = [Double](repeating: xs[i], count: x2.count)
                let y1 = [Double](repeating: xs[i] * n, count: x2.count)
                let values = evaluator.evaluate([x1, x2, x3, y1, y2, y3])[0]
                let base = (i / pointsPerCell) * cells * cells
                for p in values.indices { out[base + cell23[p]] += ws[i] * w23[p] * values[p] }
            }
            lock.lock(); partial[c] = out; lock.unlock()
        }
        var out = partial[0]
        for c in 1..<chunks { for k in out.indices { out[k] += partial[c][k] } }
        return out
    }

    /// 2D cell integrals from the 1D rule (xs, ws) in each axis, one row of x1 at a time (memory
    /// stays at one axis' points).
    private func tensorRows(_ field: NodeID, cells: Int, xs: [Double], ws: [Double], pointsPerCell: Int) -> [Double] {
        let perAxis = xs.count, n = Double(inverseEpsilon)
        var out = [Double](repeating: 0, count: cells * cells)
        let x2 = xs, y2 = xs.map { $0 * n }
        let evaluator = BatchEvaluator(graph: graph, outputs: [field], inputs: [0, 1, 2, 3])
        for i in 0..<perAxis {
            let x1 = [Double](repeating: xs[i], count: perAxis)
            let y1 = [Double](repeating: xs[i] * n, count: perAxis)
            let values = evaluator.evaluate([x1, x2, y1, y2])[0]
            let row = i / pointsPerCell
            for j in 0..<perAxis {
                out[row * cells + j / pointsPerCell] += ws[i] * ws[j] * values[j]
            }
        }
        return out
    }
}

private extension Double {
    /// The k-th root.
    func squareRootN(_ k: Int) -> Double { k == 1 ? self : pow(self, 1 / Double(k)) }
}

extension LoweredFields {
    /// Normalised cell masses of π̄(x) = ∫π(x, y) dy (2.33) on `m` cells per axis: Gauss–Legendre
    /// in x (`slowPoints` per cell, by default 8 in 1D; in 2D fewer on fine grids, at least 1) and
    /// composite Gauss–Legendre in each y (64 points in 1D, 16 × 16 in 2D); in 3D 4 points per
    /// cell and axis in x up to 4 cells, then 2, and 8 × 8 × 8 in y.
    public func fastAverageCellMasses(cells m: Int, slowPoints: Int? = nil) -> [Double] {
        let xPoints: Int, ySub: Int, yPoints: Int
        switch dimension {
        case .one: (xPoints, ySub, yPoints) = (slowPoints ?? 8, 8, 8)
        case .two: (xPoints, ySub, yPoints) = (slowPoints ?? max(1, min(8, 32 / m)), 4, 4)
        case .three: (xPoints, ySub, yPoints) = (slowPoints ?? (m <= 4 ? 4 : 2), 2, 4)
        }
        let gx = GaussLegendre(points: xPoints), gy = GaussLegendre(points: yPoints)
        var ys: [Double] = [], wy: [Double] = []
        for s in 0..<ySub { for (t, w) in zip(gy.nodes, gy.weights) { ys.append((Double(s) + t) / Double(ySub)); wy.append(w / Double(ySub)) } }
        var xs: [Double] = [], wx: [Double] = []
        for c in 0..<m { for (t, w) in zip(gx.nodes, gx.weights) { xs.append((Double(c) + t) / Double(m)); wx.append(w / Double(m)) } }
        let evaluator = BatchEvaluator(graph: graph, outputs: [pi], inputs: dimension.variables)
        var out: [Double]
        switch dimension {
        case .one:
            out = [Double](repeating: 0, count: m)
            for (i, x) in xs.enumerated() {
                let v = evaluator.evaluate([[Double](repeating: x, count: ys.count), ys])[0]
                out[i / xPoints] += wx[i] * zip(v, wy).reduce(0) { $0 + $1.0 * $1.1 }
            }
        case .two:
            out = [Double](repeating: 0, count: m * m)
            var y1: [Double] = [], y2: [Double] = [], w2: [Double] = []
            for a in ys.indices { for b in ys.indices { y1.append(ys[a]); y2.append(ys[b]); w2.append(wy[a] * wy[b]) } }
            for (i, xa) in xs.enumerated() {
                for (j, xb) in xs.enumerated() {
                    let v = evaluator.evaluate([[Double](repeating: xa, count: y1.count), [Double](repeating: xb, count: y1.count), y1, y2])[0]
                    out[(i / xPoints) * m + j / xPoints] += wx[i] * wx[j] * zip(v, w2).reduce(0) { $0 + $1.0 * $1.1 }
                }
            }
        case .three:
            out = [Double](repeating: 0, count: m * m * m)
            var y1: [Double] = [], y2: [Double] = [], y3: [Double] = [], w3: [Double] = []
            for a in ys.indices {
                for b in ys.indices {
                    for c in ys.indices { y1.append(ys[a]); y2.append(ys[b]); y3.append(ys[c]); w3.append(wy[a] * wy[b] * wy[c]) }
                }
            }
            func constant(_ v: Double) -> [Double] { [Double](repeating: v, count: y1.count) }
            for (i, xa) in xs.enumerated() {
                for (j, xb) in xs.enumerated() {
                    for (k, xc) in xs.enumerated() {
                        let v = evaluator.evaluate([constant(xa), constant(xb), constant(xc), y1, y2, y3])[0]
                        out[((i / xPoints) * m + j / xPoints) * m + k / xPoints] += wx[i] * wx[j] * wx[k] * zip(v, w3).reduce(0) { $0 + $1.0 * $1.1 }
                    }
                }
            }
        }
        let total = out.reduce(0, +)
        return out.map { $0 / total }
    }
}

/// Evaluates some nodes of a graph at many points, in batches through one `Tape`.
public final class BatchEvaluator {
    private let workspace: TapeWorkspace
    private let outputCount: Int

    public init(graph: ExpressionGraph, outputs: [NodeID], inputs: [Int], batch: Int = 4096) {
        workspace = TapeWorkspace(tape: Tape(graph: graph, outputs: outputs, inputs: inputs), capacity: batch)
        outputCount = outputs.count
    }

    /// `columns[k]` holds the values of input k at every point; returns one array per output.
    public func evaluate(_ columns: [[Double]]) -> [[Double]] {
        let count = columns.first?.count ?? 1
        var result = [[Double]](repeating: [Double](repeating: 0, count: count), count: outputCount)
        var start = 0
        while start < count {
            let m = min(workspace.capacity, count - start)
            for (slot, column) in columns.enumerated() {
                column.withUnsafeBufferPointer { src in
                    workspace.input(slot).update(from: src.baseAddress! + start, count: m)
                }
            }
            workspace.run(count: m)
            for k in 0..<outputCount {
                result[k].withUnsafeMutableBufferPointer { dst in
                    (dst.baseAddress! + start).update(from: workspace.output(k), count: m)
                }
            }
            start += m
        }
        return result
    }
}
