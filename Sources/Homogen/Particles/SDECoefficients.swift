/// The coefficients of the ε-SDE (2.5)–(2.6) in forward-Itô form, compiled into one tape:
///
///     dX = [ B_ε⁻¹ ∇log π_ε + c ∇·B_ε⁻¹ ] dt + σ dW,   σσᵀ = 2 B_ε⁻¹,
///
/// with c = 1 for the paper's backward-Itô reading, 1/2 for Stratonovich and 0
/// for Itô, (∇·A)_i = Σ_j ∂_j A_ij, and the chain rule ∇_x[g(x, x/ε)] = ∇_x g + ε⁻¹ ∇_y g.
/// Every derivative is exact (symbolic differentiation in the expression graph, shared
/// subexpressions computed once), never a finite difference.
///
/// Tape inputs: all variables (1D: x, y; 2D: x1, x2, y1, y2). Outputs: the drift
/// components, then the noise: 1D [σ]; 2D scalar or diagonal medium [σ1, σ2] (σ diagonal);
/// 2D full medium [L11, L21, L22], the Cholesky factor of 2B⁻¹ (lower triangular); with
/// `logDensity`, log π last (for the Metropolis–Hastings ratio of MALA).
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
        var b: [[NodeID]]
        switch f.mediumKind {
        case .scalar:
            let inv = g.div(one, f.medium[0])
            let axes = f.dimension.axes
            b = axes.map { i in axes.map { j in i == j ? inv : g.constant(0) } }
        case .diagonal:
            b = [[g.div(one, f.medium[0]), g.constant(0)], [g.constant(0), g.div(one, f.medium[1])]]
        case .full:
            guard convention != .stratonovich else { throw SamplerError.stratonovichNeedsDiagonalMedium }
            let (m11, m12, m22) = (f.medium[0], f.medium[1], f.medium[2])
            let det = g.sub(g.mul(m11, m22), g.mul(m12, m12))
            let off = g.unary(.neg, g.div(m12, det))
            b = [[g.div(m22, det), off], [off, g.div(m11, det)]]
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
            let l11 = g.unary(.sqrt, g.mul(two, b[0][0]))
            let l21 = g.div(g.mul(two, b[1][0]), l11)
            let l22 = g.unary(.sqrt, g.sub(g.mul(two, b[1][1]), g.mul(l21, l21)))
            outputs += [l11, l21, l22]
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
    }
}
