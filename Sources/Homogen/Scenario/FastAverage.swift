import Foundation

/// Cell masses of a fast average ḡ(x) = ∫_Y g(x, y) dy: π̄ of (2.33) and the weak limit
/// ∫ρ0(x, y) dy of the well-prepared initial data (2.36).
///
/// ∫_cell ḡ dx by a tensor rule: Gauss–Legendre in x on each cell (cut at g's steps in x), and
/// the midpoint rule over the cell of periodicity in y (composite Gauss–Legendre cut at g's steps
/// in y where it has any). Both rules
/// adapt to g, since a fixed rule missed what the scenario's own checks saw (a review's cases: a
/// bump of width 0.005 in x lost 17 % of ρ0's mass, a bump of width 0.02 in y1 18 % of its fast
/// mean, a step in x put 6 % too much of π̄ in the cell it cuts):
///
/// - **in y**, per axis, the points double while the average at a lattice of slow points moves by
///   more than `fastTolerance` (relative), up to a budget of points over Y;
/// - **in x**, per cell, the Gauss points (up to 32 per piece, then the pieces) double while the
///   cell's mass, with two Gauss points per axis
///   in y (a cheap rule that sees features in x), moves by more than `tolerance` of it (over two
///   doublings where the checks found sharp features); then the cell is integrated with the full
///   rule in y.
///
/// Written by hand: GSL's adaptive quadrature is one-dimensional, and the structure (a smooth
/// average in y, a cell partition in x) is what keeps the cost at today's fixed rule where g is
/// smooth. Each cell's sum is its own, so the result does not depend on the core count.
extension LoweredFields {
    /// Relative change of an average over Y at which the rule in y is refined again.
    static let fastTolerance = 1e-10

    /// Normalised masses (summing to 1) of ḡ on `m` cells per axis, for g = `node` (π by default).
    /// `slowPoints`: Gauss points per cell and axis in x before refinement (by default 8 in 1D,
    /// 2–8 in 2D as the cells shrink, 2–4 in 3D); `tolerance`: the relative change of a cell's mass
    /// at which its rule in x is refined again (the default: about the error of two Gauss points
    /// on cells of 1/16 for a slow mode cos 2πx, far below a finite-volume solver's own).
    public func fastAverageCellMasses(of node: NodeID? = nil, cells m: Int, slowPoints: Int? = nil,
                                      tolerance: Double = 1e-5) -> [Double] {
        let integrals = fastAverageCellIntegrals(of: node, cells: m, slowPoints: slowPoints, tolerance: tolerance)
        let total = integrals.reduce(0, +)
        return integrals.map { $0 / total }
    }

    /// ∫_Ω ḡ dx = ∫_Ω ∫_Y g(x, y) dy dx for g = `node` (π by default): the mass of π̄ before its
    /// normalisation, which does not depend on ε (∫_Ω π_ε dx does, where π's x-dependence resonates
    /// with its y-dependence). By the rule of `fastAverageCellMasses` on 8 cells in 1D and one
    /// cell in 2D and 3D, each cell's rule in x refined to a relative 10⁻¹², the rule in y within
    /// 2^18, 2^20 and 2^21 points over Y.
    public func fastAverageMass(of node: NodeID? = nil) -> Double {
        let (m, budget) = dimension == .one ? (8, 1 << 18) : dimension == .two ? (1, 1 << 20) : (1, 1 << 21)
        return fastAverageCellIntegrals(of: node, cells: m, slowPoints: nil, tolerance: 1e-12, fastBudget: budget).reduce(0, +)
    }

    /// ∫_cell ḡ dx on `m` cells per axis, unnormalised (`fastAverageCellMasses`); `fastBudget`:
    /// the most points of the rule over Y (`fastRule`).
    private func fastAverageCellIntegrals(of node: NodeID?, cells m: Int, slowPoints: Int?, tolerance: Double,
                                          fastBudget: Int? = nil) -> [Double] {
        let g = node ?? pi
        let d = dimension.count
        let xPoints: Int
        switch dimension {
        case .one: xPoints = slowPoints ?? 8
        case .two: xPoints = slowPoints ?? max(2, min(8, 32 / m))
        case .three: xPoints = slowPoints ?? (m <= 4 ? 4 : 2)
        }
        let y = FastTensor(fastRule(of: g, budget: fastBudget))
        // Where the scenario's checks refined the quadrature (a sharp feature), a cell's mass must
        // agree over two doublings, so that a bump between the nodes of two levels is not missed.
        let agreements = (g == rho0 ? max(refinement, initialRefinement) : refinement) > 1 ? 2 : 1
        let cheap = FastTensor((0..<d).map { _ in AxisRule(cells: 1, sub: 1, points: 2) })
        // Level L of the rule in x: the Gauss points per piece doubled up to 32, then the pieces.
        let levels = dimension == .one ? 10 : dimension == .two ? 7 : 5
        func shape(_ level: Int) -> (sub: Int, points: Int) {
            var sub = 1, points = xPoints
            for _ in 0..<level { if points < 32 { points *= 2 } else { sub *= 2 } }
            return (sub, points)
        }
        let jumps = (0..<d).map { slowJumps(of: g, axis: $0) }
        let gauss = Dictionary(uniqueKeysWithValues: Set((0...levels).map { shape($0).points }).map { ($0, GaussLegendre(points: $0)) })
        // Cell `cell`'s rule along axis k at `level`: its pieces cut at g's steps in x_k. (Built
        // per cell: the whole axis at the finest level would hold m·2⁸·32 nodes in 1D.)
        func cellRule(_ k: Int, _ cell: Int, _ level: Int) -> (nodes: [Double], weights: [Double]) {
            let (sub, points) = shape(level)
            var nodes: [Double] = [], weights: [Double] = []
            nodes.reserveCapacity(sub * points); weights.reserveCapacity(sub * points)
            AxisRule.composite(pieces: m * sub, range: cell * sub..<(cell + 1) * sub, breakpoints: jumps[k], gauss: gauss[points]!) { x, w, _ in
                nodes.append(x); weights.append(w)
            }
            return (nodes, weights)
        }
        let count = dimension.cells(perAxis: m)
        let chunks = min(count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        var masses = [Double](repeating: 0, count: count)
        masses.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let evaluator = BatchEvaluator(graph: graph, outputs: [g], inputs: dimension.variables)
                for c in stride(from: chunk, to: count, by: chunks) {
                    var index = [Int](repeating: 0, count: d), rest = c
                    for k in stride(from: d - 1, through: 0, by: -1) { index[k] = rest % m; rest /= m }
                    func mass(level: Int, fast: FastTensor) -> Double {
                        Self.tensorSum(evaluator, slow: (0..<d).map { cellRule($0, index[$0], level) }, fast: fast, dimension: d)
                    }
                    // The coarsest level whose mass agrees with the next `agreements` levels'.
                    var cheapMasses = [mass(level: 0, fast: cheap)], level = 0
                    while level < levels - agreements {
                        while cheapMasses.count <= level + agreements { cheapMasses.append(mass(level: cheapMasses.count, fast: cheap)) }
                        let next = cheapMasses[level + 1...level + agreements]
                        if next.allSatisfy({ abs($0 - cheapMasses[level]) <= tolerance * abs($0) }) { break }
                        level += 1
                    }
                    out[c] = mass(level: level, fast: y)
                }
            }
        }
        return masses
    }

    /// The rule over Y, per axis: the midpoint rule where g has no steps in y_k (spectrally
    /// accurate for a smooth periodic function), else composite Gauss–Legendre with 4 points per
    /// piece cut at the steps; its points doubled along each axis while the average at a lattice of
    /// slow points moves by more than `fastTolerance`. To start, 64 points per axis in 1D, 16 in
    /// 2D, 8 in 3D, or the points per period with which the scenario's checks integrate g where
    /// they refined them for its sharp features (64r, 64r, 16r: a peak between the points of two
    /// levels looks converged); within `budget` points over Y (by default 2^16, 2^14 and 2^15).
    private func fastRule(of g: NodeID, budget requested: Int? = nil) -> [AxisRule] {
        let d = dimension.count
        let (smallest, perPeriod, standard): (Int, Int, Int)
        switch dimension {
        case .one: (smallest, perPeriod, standard) = (64, 64, 1 << 16)
        case .two: (smallest, perPeriod, standard) = (16, 64, 1 << 14)
        case .three: (smallest, perPeriod, standard) = (8, 16, 1 << 15)
        }
        let budget = requested ?? standard
        let r = g == rho0 ? max(refinement, initialRefinement) : refinement
        // The largest power of two per axis whose d-th power fits the budget.
        var perAxisCap = 1
        while Int(pow(Double(2 * perAxisCap), Double(d))) <= budget { perAxisCap *= 2 }
        let start = max(smallest, min(perPeriod * r, perAxisCap))
        let jumps = (0..<d).map { fastJumps(of: g, axis: $0) }
        var sub = [Int](repeating: start, count: d)
        func rules(_ sub: [Int]) -> [AxisRule] {
            (0..<d).map { jumps[$0].isEmpty ? AxisRule(midpoints: sub[$0]) : AxisRule(cells: 1, sub: sub[$0] / 4, points: 4, breakpoints: jumps[$0]) }
        }
        // The slow points: a lattice of q^d points off the grids' simple fractions.
        let q = d == 3 ? 3 : 4
        let lattice = (0..<Int(pow(Double(q), Double(d)))).map { i -> [Double] in
            var rest = i
            return (0..<d).map { _ in
                let t = (Double(rest % q) + 0.3719) / Double(q)
                rest /= q
                return t
            }
        }
        let evaluator = BatchEvaluator(graph: graph, outputs: [g], inputs: dimension.variables)
        func averages(_ fast: [AxisRule]) -> [Double] {
            let tensor = FastTensor(fast)
            return lattice.map { x in Self.tensorSum(evaluator, slow: x.map { ([$0], [1.0]) }, fast: tensor, dimension: d) }
        }
        var current = averages(rules(sub))
        for k in 0..<d {
            while true {
                var finer = sub
                finer[k] *= 2
                let finerRules = rules(finer)
                guard finerRules.reduce(1, { $0 * $1.nodes.count }) <= budget else { break }
                let next = averages(finerRules)
                let moved = zip(current, next).map { abs($0 - $1) / max(abs($1), .leastNormalMagnitude) }.max() ?? 0
                if moved <= Self.fastTolerance { break }
                sub = finer
                current = next
            }
        }
        return rules(sub)
    }

    /// Σ over the tensor product of the slow nodes (per axis) and the fast tensor of
    /// w_x w_y g(x, y): ∫ over one cell in x of the average over Y.
    private static func tensorSum(_ evaluator: BatchEvaluator, slow: [(nodes: [Double], weights: [Double])],
                                  fast: FastTensor, dimension d: Int) -> Double {
        let slowCount = slow.reduce(1) { $0 * $1.nodes.count }, f = fast.weights.count, total = slowCount * f
        var columns = [[Double]](repeating: [Double](repeating: 0, count: total), count: 2 * d)
        var wx = [Double](repeating: 1, count: slowCount)
        for k in 0..<d {
            // Slow node i's coordinate k (the last axis fastest), repeated over the fast tensor;
            // the fast tensor's coordinate k, repeated over the slow nodes.
            let inner = slow[(k + 1)..<d].reduce(1) { $0 * $1.nodes.count }, count = slow[k].nodes.count
            columns[k].withUnsafeMutableBufferPointer { out in
                for i in 0..<slowCount {
                    let j = (i / inner) % count
                    wx[i] *= slow[k].weights[j]
                    let v = slow[k].nodes[j]
                    for p in 0..<f { out[i * f + p] = v }
                }
            }
            columns[d + k].withUnsafeMutableBufferPointer { out in
                fast.columns[k].withUnsafeBufferPointer { y in
                    for i in 0..<slowCount { for p in 0..<f { out[i * f + p] = y[p] } }
                }
            }
        }
        let values = evaluator.evaluate(columns)[0]
        var sum = 0.0
        values.withUnsafeBufferPointer { v in
            fast.weights.withUnsafeBufferPointer { w in
                for i in 0..<slowCount {
                    var inner = 0.0
                    for p in 0..<f { inner += w[p] * v[i * f + p] }
                    sum += wx[i] * inner
                }
            }
        }
        return sum
    }
}

/// The points and weights of a tensor rule over Y, flattened (the last axis fastest).
private struct FastTensor {
    let columns: [[Double]]
    let weights: [Double]

    init(_ rules: [AxisRule]) {
        let count = rules.reduce(1) { $0 * $1.nodes.count }
        var columns = [[Double]](repeating: [Double](repeating: 0, count: count), count: rules.count)
        var weights = [Double](repeating: 1, count: count)
        for (k, rule) in rules.enumerated() {
            let inner = rules[(k + 1)...].reduce(1) { $0 * $1.nodes.count }
            for i in 0..<count {
                let j = (i / inner) % rule.nodes.count
                columns[k][i] = rule.nodes[j]
                weights[i] *= rule.weights[j]
            }
        }
        self.columns = columns
        self.weights = weights
    }
}
