/// The coefficients of the ε-SDE (2.5)–(2.6) in forward-Itô form, compiled into one tape:
///
///     dX = [ B_ε⁻¹ ∇log π_ε + c ∇·B_ε⁻¹ ] dt + σ dW,   σσᵀ = 2 B_ε⁻¹,
///
/// with c = 1 for the paper's backward-Itô reading, 1/2 for Stratonovich and 0
/// for Itô, (∇·A)_i = Σ_j ∂_j A_ij, and the chain rule ∇_x[g(x, x/ε)] = ∇_x g + ε⁻¹ ∇_y g.
/// Every derivative is exact (symbolic differentiation in the expression graph, shared
/// subexpressions computed once), never a finite difference.
///
/// Tape inputs: all variables (1D: x, y; 2D: x1, x2, y1, y2; 3D: x1, x2, x3, y1, y2, y3).
/// Outputs: the drift components, then the noise: a scalar or diagonal medium [σ1, …, σd]
/// (σ diagonal); a full medium the lower triangle of the Cholesky factor L of 2B⁻¹, row by row
/// ([L11, L21, L22] in 2D, [L11, L21, L22, L31, L32, L33] in 3D); with `logDensity`, log π last
/// (for the Metropolis–Hastings ratio of MALA).
public struct SDECoefficients {
    public enum Noise: String, Sendable { case diagonal, cholesky }

    public let tape: Tape
    /// The drift alone, and the noise alone (outputs in the same order as in `tape`): the
    /// supporting points of the weak order-2 scheme read only one of them.
    public let driftTape: Tape
    public let noiseTape: Tape
    public let dimension: TorusDimension
    public let noise: Noise
    /// Whether log π is the tape's last output.
    public let hasLogDensity: Bool

    /// Builds the tape; throws `SamplerError` when a needed derivative does not exist or the
    /// convention is not defined for the medium.
    public init(fields f: LoweredFields, convention: Convention, logDensity: Bool = false) throws {
        let g = f.graph
        let n = Double(f.inverseEpsilon)
        dimension = f.dimension
        let c = convention.divergenceFactor

        // Total derivative along slow coordinate i: ∂_{x_i} + (1/ε) ∂_{y_i}.
        func D(_ node: NodeID, _ i: Int) throws -> NodeID {
            do {
                let slow = try g.derivative(of: node, withRespectTo: f.slowVariables[i])
                let fast = try g.derivative(of: node, withRespectTo: f.fastVariables[i])
                return g.add(slow, g.scale(n, fast))
            } catch let e as ExpressionGraph.NotDifferentiable {
                throw SamplerError.notDifferentiable(e.description)
            }
        }

        // The inverse metric b = B⁻¹ as a symmetric matrix of nodes.
        let one = g.constant(1)
        let axes = f.dimension.axes
        var b: [[NodeID]]
        switch f.mediumKind {
        case .scalar:
            let inv = g.div(one, f.medium[0])
            b = axes.map { i in axes.map { j in i == j ? inv : g.constant(0) } }
        case .diagonal:
            b = axes.map { i in axes.map { j in i == j ? g.div(one, f.medium[i]) : g.constant(0) } }
        case .full:
            guard convention != .stratonovich else { throw SamplerError.stratonovichNeedsDiagonalMedium }
            b = Self.inverse(f.medium, dimension: f.dimension.count, graph: g)
        }

        var outputs: [NodeID] = []
        let gradLogPi = try dimension.axes.map { try D(f.logPi, $0) }
        for i in dimension.axes {
            var drift = g.constant(0)
            for j in dimension.axes {
                drift = g.add(drift, g.mul(b[i][j], gradLogPi[j]))
                if c != 0, g.constantValue(b[i][j]) == nil {
                    drift = g.add(drift, g.scale(c, try D(b[i][j], j)))
                }
            }
            outputs.append(drift)
        }
        let two = g.constant(2)
        if f.mediumKind == .full {
            outputs += Self.cholesky(b, scale: two, graph: g)
            noise = .cholesky
        } else {
            outputs += dimension.axes.map { g.unary(.sqrt, g.mul(two, b[$0][$0])) }
            noise = .diagonal
        }
        let d = dimension.count
        driftTape = Tape(graph: g, outputs: Array(outputs[..<d]), inputs: dimension.variables)
        noiseTape = Tape(graph: g, outputs: Array(outputs[d...]), inputs: dimension.variables)
        if logDensity { outputs.append(f.logPi) }
        hasLogDensity = logDensity
        tape = Tape(graph: g, outputs: outputs, inputs: dimension.variables)
        try Self.checkFinite(outputs, graph: g, fields: f)
    }

    /// The drift and noise at the positions of a uniform grid (2^16 points in 1D, 256² in 2D, 40³
    /// in 3D; y = x/ε), all finite: a cusp of B (B = 0.5 + sqrt(1 + sin 2πy), whose derivative is
    /// 0/0 where 1 + sin 2πy vanishes) passed `check` and made the sampler's state NaN, at any dt.
    /// A cusp between the grid's points is not seen here; the sampler's own NaN check stops there.
    private static func checkFinite(_ outputs: [NodeID], graph: ExpressionGraph, fields f: LoweredFields) throws {
        let d = f.dimension.count, perAxis = d == 1 ? 1 << 16 : d == 2 ? 256 : 40
        let count = f.dimension.cells(perAxis: perAxis), n = Double(f.inverseEpsilon)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: count), count: 2 * d)
        for i in 0..<count {
            var rest = i
            for k in stride(from: d - 1, through: 0, by: -1) {
                let x = Double(rest % perAxis) / Double(perAxis)
                rest /= perAxis
                columns[k][i] = x
                columns[d + k][i] = x * n
            }
        }
        let values = BatchEvaluator(graph: graph, outputs: outputs, inputs: f.dimension.variables).evaluate(columns)
        for output in values {
            if let bad = output.firstIndex(where: { !$0.isFinite }) {
                throw SamplerError.coefficientsNotFinite(position: (0..<d).map { columns[$0][bad] })
            }
        }
    }

    /// B⁻¹ of a full symmetric B given by its upper triangle (`SymmetricIndex`), as nodes: in 2D
    /// [[b22, −b12], [−b12, b11]] / det; in 3D the adjugate (cofactors) over the determinant.
    static func inverse(_ upper: [NodeID], dimension d: Int, graph g: ExpressionGraph) -> [[NodeID]] {
        let index = SymmetricIndex(d)
        func m(_ i: Int, _ j: Int) -> NodeID { upper[index.upper(i, j)] }
        if d == 2 {
            let (m11, m12, m22) = (m(0, 0), m(0, 1), m(1, 1))
            let det = g.sub(g.mul(m11, m22), g.mul(m12, m12))
            let off = g.unary(.neg, g.div(m12, det))
            return [[g.div(m22, det), off], [off, g.div(m11, det)]]
        }
        precondition(d == 3, "SDECoefficients.inverse: a full medium has d = 2 or 3")
        // Cofactor C_ij = (−1)^{i+j} M_ij; for a symmetric B, C is symmetric and B⁻¹ = C / det.
        func cofactor(_ i: Int, _ j: Int) -> NodeID {
            let r = (0..<3).filter { $0 != i }, c = (0..<3).filter { $0 != j }
            let minor = g.sub(g.mul(m(r[0], c[0]), m(r[1], c[1])), g.mul(m(r[0], c[1]), m(r[1], c[0])))
            return (i + j) % 2 == 0 ? minor : g.unary(.neg, minor)
        }
        let cof = (0..<3).map { i in (0..<3).map { j in j >= i ? cofactor(i, j) : NodeID?.none } }
        func c(_ i: Int, _ j: Int) -> NodeID { i <= j ? cof[i][j]! : cof[j][i]! }
        let det = g.add(g.add(g.mul(m(0, 0), c(0, 0)), g.mul(m(0, 1), c(0, 1))), g.mul(m(0, 2), c(0, 2)))
        return (0..<3).map { i in (0..<3).map { j in g.div(c(i, j), det) } }
    }

    /// The lower triangle of the Cholesky factor L of `scale` · b (L Lᵀ = scale · b), row by row
    /// (L11, L21, L22, L31, L32, L33): L_ii = √(s b_ii − Σ_{k<i} L_ik²), L_ij = (s b_ij − Σ_{k<j} L_ik L_jk) / L_jj.
    static func cholesky(_ b: [[NodeID]], scale s: NodeID, graph g: ExpressionGraph) -> [NodeID] {
        let d = b.count
        var l = [[NodeID]](repeating: [], count: d)
        for i in 0..<d {
            for j in 0...i {
                var v = g.mul(s, b[i][j])
                for k in 0..<j { v = g.sub(v, g.mul(l[i][k], l[j][k])) }
                l[i].append(i == j ? g.unary(.sqrt, v) : g.div(v, l[j][j]))
            }
        }
        return l.flatMap { $0 }
    }
}
