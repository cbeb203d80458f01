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
    /// Factor on the points per ε-period of `cellIntegrals`: 1, or the power of 2 that π's sharp
    /// fast features need (`ScenarioFacts.quadratureRefinement`, set by `Scenario.lowered()`);
    /// above 1 it also makes `fastAverageCellMasses` check its rule in x over two doublings.
    public internal(set) var refinement = 1
    /// The factor of `cellIntegrals` of ρ0 alone, at least `refinement`: a narrow initial bump's
    /// (`ScenarioFacts.initialRefinement`).
    public internal(set) var initialRefinement = 1

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
    /// axis stay within 256; all times `refinement` where π has sharper fast features
    /// (`initialRefinement` for ρ0, which may have a narrow bump of its own). A field
    /// with `floor` or `mod` steps takes the Gauss rule on every
    /// cell, its pieces cut again at the steps (`AxisRule`, `compositeJumps`), so that a layer
    /// thinner than the points' spacing is integrated exactly.
    public func cellIntegrals(of field: NodeID, cells: Int) -> [Double] {
        let r = field == rho0 ? max(refinement, initialRefinement) : refinement
        let rules = (0..<dimension.count).map { axisRule(of: field, axis: $0, cells: cells, refinement: r) }
        let n = Double(inverseEpsilon)
        switch dimension {
        case .one:
            let xs = rules[0].nodes
            let values = evaluate([field], inputs: [0, 1], columns: [xs, xs.map { $0 * n }])[0]
            var out = CompensatedSums(count: cells)
            for i in xs.indices { out.add(values[i] * rules[0].weights[i], to: rules[0].cell[i]) }
            return out.values
        case .two:
            return tensorRows(field, cells: cells, rules: rules)
        case .three:
            return tensorSlabs(field, cells: cells, rules: rules)
        }
    }

    /// The rule of `cellIntegrals` along axis k: per cell, sub pieces of `points` Gauss–Legendre
    /// nodes (8 pieces of 8 per ε-period in 1D and 2D, 4 of 4 in 3D, at least 256 nodes per axis
    /// there), times the refinement r; cut at the composite field's jumps where it has any
    /// (`compositeJumps`), plain midpoints over the torus for one cell without jumps.
    func axisRule(of field: NodeID, axis k: Int, cells: Int, refinement r: Int) -> AxisRule {
        let (perPeriod, points) = dimension == .three ? (4.0, 4) : (8.0, 8)
        var sub = max(1, Int((perPeriod * Double(inverseEpsilon) / Double(cells)).rounded(.up)))
        if dimension == .three { sub = max(sub, 256 / (cells * points)) }
        sub *= r
        let jumps = compositeJumps(of: field, axis: k)
        if cells == 1 && jumps.isEmpty { return AxisRule(midpoints: sub * points) }
        return AxisRule(cells: cells, sub: sub, points: points, breakpoints: jumps)
    }

    /// 3D cell integrals from one `AxisRule` per axis, one slab of x1 at a time, the slabs split
    /// into fixed chunks over the cores (each chunk's sums added in chunk order, so the result
    /// does not depend on the core count).
    private func tensorSlabs(_ field: NodeID, cells: Int, rules: [AxisRule]) -> [Double] {
        let n = Double(inverseEpsilon)
        var x2: [Double] = [], x3: [Double] = [], w23: [Double] = [], cell23: [Int] = []
        for j in rules[1].nodes.indices {
            for k in rules[2].nodes.indices {
                x2.append(rules[1].nodes[j]); x3.append(rules[2].nodes[k]); w23.append(rules[1].weights[j] * rules[2].weights[k])
                cell23.append(rules[1].cell[j] * cells + rules[2].cell[k])
            }
        }
        let y2 = x2.map { $0 * n }, y3 = x3.map { $0 * n }
        let first = rules[0]
        let chunks = min(16, first.nodes.count)
        var partial = [[Double]](repeating: [], count: chunks)
        let lock = NSLock()
        let evaluators = (0..<chunks).map { _ in BatchEvaluator(graph: graph, outputs: [field], inputs: [0, 1, 2, 3, 4, 5]) }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let evaluator = evaluators[c]
            var out = CompensatedSums(count: cells * cells * cells)
            for i in stride(from: c, to: first.nodes.count, by: chunks) {
                let x1 = [Double](repeating: first.nodes[i], count: x2.count)
                let y1 = [Double](repeating: first.nodes[i] * n, count: x2.count)
                let values = evaluator.evaluate([x1, x2, x3, y1, y2, y3])[0]
                let base = first.cell[i] * cells * cells
                for p in values.indices { out.add(first.weights[i] * w23[p] * values[p], to: base + cell23[p]) }
            }
            lock.lock(); partial[c] = out.values; lock.unlock()
        }
        var out = partial[0]
        for c in 1..<chunks { for k in out.indices { out[k] += partial[c][k] } }
        return out
    }

    /// 2D cell integrals from one `AxisRule` per axis, one row of x1 at a time (memory stays at
    /// one axis' points).
    private func tensorRows(_ field: NodeID, cells: Int, rules: [AxisRule]) -> [Double] {
        let n = Double(inverseEpsilon)
        var out = CompensatedSums(count: cells * cells)
        let x2 = rules[1].nodes, y2 = x2.map { $0 * n }
        let evaluator = BatchEvaluator(graph: graph, outputs: [field], inputs: [0, 1, 2, 3])
        for i in rules[0].nodes.indices {
            let x1 = [Double](repeating: rules[0].nodes[i], count: x2.count)
            let y1 = [Double](repeating: rules[0].nodes[i] * n, count: x2.count)
            let values = evaluator.evaluate([x1, x2, y1, y2])[0]
            let row = rules[0].cell[i] * cells
            for j in x2.indices {
                out.add(rules[0].weights[i] * rules[1].weights[j] * values[j], to: row + rules[1].cell[j])
            }
        }
        return out.values
    }
}

/// Sums of many terms each (up to 2²⁴ in 1D, 10⁶ and more in 2D) with Neumaier's compensation:
/// summed plainly, ∫π_ε over the torus drifted by 1e-12 relative at 1/ε = 16 in 2D, the last
/// digits `check` prints.
struct CompensatedSums {
    private var sum: [Double]
    private var carry: [Double]

    init(count: Int) {
        sum = [Double](repeating: 0, count: count)
        carry = sum
    }

    mutating func add(_ term: Double, to i: Int) {
        let s = sum[i], t = s + term
        carry[i] += abs(s) >= abs(term) ? (s - t) + term : (term - t) + s
        sum[i] = t
    }

    var values: [Double] { zip(sum, carry).map { $0 + $1 } }
}

private extension Double {
    /// The k-th root.
    func squareRootN(_ k: Int) -> Double { k == 1 ? self : pow(self, 1 / Double(k)) }
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
