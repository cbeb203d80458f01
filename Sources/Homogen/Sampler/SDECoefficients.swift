/// The coefficients of the ε-SDE (2.5)–(2.6) in forward-Itô form, compiled into one tape:
///
///     dX = [ B_ε⁻¹ ∇log π_ε + c ∇·B_ε⁻¹ ] dt + σ dW,   σσᵀ = 2 B_ε⁻¹,
///
/// with c = 1 for the paper's backward-Itô reading (DESIGN §1), 1/2 for Stratonovich and 0
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
    public let dimension: Int
    public let noise: Noise

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
        case "scalar":
            let inv = g.div(one, f.medium[0])
            b = dimension == 1 ? [[inv]] : [[inv, g.constant(0)], [g.constant(0), inv]]
        case "diagonal":
            b = [[g.div(one, f.medium[0]), g.constant(0)], [g.constant(0), g.div(one, f.medium[1])]]
        default:
            guard convention != .stratonovich else { throw SamplerError.stratonovichNeedsDiagonalMedium }
            let (m11, m12, m22) = (f.medium[0], f.medium[1], f.medium[2])
            let det = g.sub(g.mul(m11, m22), g.mul(m12, m12))
            let off = g.unary(.neg, g.div(m12, det))
            b = [[g.div(m22, det), off], [off, g.div(m11, det)]]
        }

        var outputs: [NodeID] = []
        let gradLogPi = try (0..<dimension).map { try D(f.logPi, $0) }
        for i in 0..<dimension {
            var drift = g.constant(0)
            for j in 0..<dimension {
                drift = g.add(drift, g.mul(b[i][j], gradLogPi[j]))
                if c != 0, g.constantValue(b[i][j]) == nil {
                    drift = g.add(drift, g.scale(c, try D(b[i][j], j)))
                }
            }
            outputs.append(drift)
        }
        let two = g.constant(2)
        if f.mediumKind == "full" {
            let l11 = g.unary(.sqrt, g.mul(two, b[0][0]))
            let l21 = g.div(g.mul(two, b[1][0]), l11)
            let l22 = g.unary(.sqrt, g.sub(g.mul(two, b[1][1]), g.mul(l21, l21)))
            outputs += [l11, l21, l22]
            noise = .cholesky
        } else {
            outputs += (0..<dimension).map { g.unary(.sqrt, g.mul(two, b[$0][$0])) }
            noise = .diagonal
        }
        if logDensity { outputs.append(f.logPi) }
        tape = Tape(graph: g, outputs: outputs, inputs: Array(0..<(2 * dimension)))
    }
}

/// Why the sampler cannot run a scenario.
public enum SamplerError: Error, CustomStringConvertible, Equatable {
    case notDifferentiable(String)
    case stratonovichNeedsDiagonalMedium
    case timeStepTooCoarse(dt: Double, limit: Double, epsilon: String, smallestEigenvalue: Double)
    case notFinite(step: Int, time: Double, block: Int)
    case initialDensityAboveBound(bound: Double, value: Double)
    case tooMuchMemory(String)
    /// Stopped by a signal after writing a checkpoint to the folder (if any).
    case interrupted(String?)

    public var description: String {
        switch self {
        case .notDifferentiable(let what):
            return "\(what) is not differentiable, but the sampler's drift needs the derivatives of B and π "
                + "(use a smooth expression for the sampler; abs, floor, mod, min and max are fine in [initial])"
        case .stratonovichNeedsDiagonalMedium:
            return "[particles] convention: 'stratonovich' is defined from B alone only for scalar and diagonal media; "
                + "use 'backward-ito' or 'ito' with a full medium"
        case .timeStepTooCoarse(let dt, let limit, let eps, let lam):
            return "[time] dt = \(dt) does not resolve the cell: the rule is dt <= epsilon^2 * lambda_min(B) / 10 = "
                + "(\(eps))^2 * \(lam) / 10 = \(limit); lower dt, or pass --allow-coarse-dt to run anyway"
        case .notFinite(let step, let time, let block):
            return "the particle state became NaN or infinite at time step \(step) (t = \(time)) in block \(block); "
                + "nothing was written (a smaller dt usually cures this)"
        case .initialDensityAboveBound(let bound, let value):
            return "[initial] the density reached \(value), above the rejection-sampling bound \(bound) "
                + "(1.25 times its maximum on the check grid): it varies on a scale finer than that grid"
        case .tooMuchMemory(let what):
            return what
        case .interrupted(let folder):
            return "interrupted" + (folder.map { "; checkpoint written to \($0): continue with --resume \($0)" } ?? "")
        }
    }
}
