import Foundation

/// The homogenised coefficients of a scenario (Section 2.4, Appendix A):
/// π̄(x) = ∫π(x, y) dy (2.33), A_hom(x) = D̄ + Ḡ from the cell problem (A.6)–(A.7) with
/// D = π B⁻¹ (A.1), B̄(x) = π̄ A_hom⁻¹ (A.9), and in 1D the Gromov–Hausdorff constant
/// C̄ = (∫√B dy)² (5.13). π is normalised as π_ε is (∫_Ω π_ε dx = 1), which B̄ does not
/// depend on.
///
/// Every quantity is given on a slow grid of points x_j = (j + ½)/G. Where π(x, y) factorises
/// into a slow and a fast factor and B depends on y only, B̄ is constant (as in the uniform
/// case, (A.11)): the cell problem is solved once and `isConstant` is true (π̄ and A_hom = π̄ B̄⁻¹
/// still depend on x); otherwise the cell problem is solved at every slow point.
public struct EffectiveCoefficients: Sendable, Codable {
    public let dimension: Int
    /// Slow-grid points per axis.
    public let slowPoints: Int
    /// The slow points: [x] in 1D, [x1, x2] in 2D (x1 slowest).
    public let slowGrid: [[Double]]
    /// π̄ at the slow points (normalised with π_ε).
    public let piBar: [Double]
    /// A_hom at the slow points, n×n row-major each.
    public let aHom: [[Double]]
    /// B̄ = π̄ A_hom⁻¹ at the slow points (all equal when `isConstant`).
    public let bBar: [[Double]]
    /// 1D: C̄ = (∫√B dy)² at the slow points; B̄/C̄ ≥ 1, with equality iff π ∝ √B (5.14).
    public let cGH: [Double]?
    /// B̄ does not depend on x.
    public let isConstant: Bool
    /// 2D: cells per side of the unit cell; 1D: nil (closed forms by adaptive quadrature).
    public let resolution: Int?
    /// 2D: max |A_hom(R) − A_hom(R/2)| over entries and slow points, an error estimate
    /// (second-order convergence makes the error at R about a third of it for smooth media).
    public let resolutionDifference: Double?
    public let method: String

    /// B̄⁻¹ = A_hom/π̄ (an entry, row-major) at a point of Ω: exact where B̄ is constant,
    /// periodic (bi)linear interpolation on the slow grid otherwise.
    public func bBarInverse(at x: [Double], entry: Int) -> Double {
        interpolate(x) { aHom[$0][entry] / piBar[$0] }
    }

    private func interpolate(_ x: [Double], _ value: (Int) -> Double) -> Double {
        if isConstant { return value(0) }
        let g = slowPoints
        func bracket(_ t: Double) -> (Int, Int, Double) {
            var s = t * Double(g) - 0.5
            s -= (s / Double(g)).rounded(.down) * Double(g)
            let i = Int(s.rounded(.down)) % g
            return (i, (i + 1) % g, s - s.rounded(.down))
        }
        if dimension == 1 {
            let (i, j, w) = bracket(x[0])
            return (1 - w) * value(i) + w * value(j)
        }
        let (i1, j1, w1) = bracket(x[0]), (i2, j2, w2) = bracket(x[1])
        return (1 - w1) * ((1 - w2) * value(i1 * g + i2) + w2 * value(i1 * g + j2))
            + w1 * ((1 - w2) * value(j1 * g + i2) + w2 * value(j1 * g + j2))
    }
}

/// Why effective coefficients or the Fokker–Planck solvers cannot handle a scenario.
public enum SolverError: Error, CustomStringConvertible, Equatable {
    case fullMediumUnsupported
    case notConverged(String)
    case badOption(String)

    public var description: String {
        switch self {
        case .fullMediumUnsupported:
            return "[medium] B: the cell-problem and Fokker–Planck solvers handle scalar and diagonal media "
                + "(two-point-flux finite volumes); a full 2x2 medium is supported by the sampler only"
        case .notConverged(let what): return what
        case .badOption(let what): return what
        }
    }
}

extension EffectiveCoefficients {
    /// Computes the effective coefficients. 1D: the closed forms of Section 5.2 by adaptive
    /// quadrature (GSL QAG), to ~1e-13. 2D: the cell problem at `resolution` (default 128) and at
    /// half of it, for the error estimate.
    public static func compute(_ s: Scenario, resolution: Int? = nil, slowPoints: Int? = nil) throws -> EffectiveCoefficients {
        if case .full = s.medium, s.dimension == 2 { throw SolverError.fullMediumUnsupported }
        let f = s.lowered()
        let z = s.facts.equilibriumMass
        let constant = try isSeparable(f)
        let g = slowPoints ?? (s.dimension == 1 ? 64 : 8)
        guard g >= 1, g <= 4096 else { throw SolverError.badOption("--slow-points must be from 1 to 4096") }
        let axis = (0..<g).map { (Double($0) + 0.5) / Double(g) }
        let slow: [[Double]] = s.dimension == 1 ? axis.map { [$0] } : axis.flatMap { a in axis.map { [a, $0] } }
        if s.dimension == 1 {
            return try oneDimensional(f, z: z, slow: slow, g: g, constant: constant)
        }
        let r = resolution ?? 128
        guard r >= 8, r % 2 == 0, r <= 4096 else { throw SolverError.badOption("--resolution must be even, from 8 to 4096") }
        return try twoDimensional(f, z: z, slow: slow, g: g, constant: constant, resolution: r)
    }

    /// True when ∂²log π/∂x_i∂y_j vanishes on a grid (π = π0(x) π1(y)) and B depends on y only.
    static func isSeparable(_ f: LoweredFields) throws -> Bool {
        let g = f.graph
        if f.medium.contains(where: { node in f.slowVariables.contains { g.dependsOn(node, variable: $0) } }) {
            return false
        }
        var cross: [NodeID] = []
        do {
            for xs in f.slowVariables {
                let dx = try g.derivative(of: f.logPi, withRespectTo: xs)
                for ys in f.fastVariables { cross.append(try g.derivative(of: dx, withRespectTo: ys)) }
            }
        } catch is ExpressionGraph.NotDifferentiable {
            // A piecewise π: decide from values instead, π(x, y) π(x', y') = π(x, y') π(x', y).
            return try separableByValues(f)
        }
        if cross.allSatisfy({ g.constantValue($0) == 0 }) { return true }
        let vars = f.variables(of: cross + [f.logPi])
        let (_, columns) = LoweredFields.productGrid(variables: vars.count)
        let values = f.evaluate(cross, inputs: vars, columns: columns.map { $0.map { $0 + 0.37 / 1024 } })
        return values.allSatisfy { $0.allSatisfy { abs($0) <= 1e-9 } }
    }

    private static func separableByValues(_ f: LoweredFields) throws -> Bool {
        let n = f.dimension
        let pts = (0..<16).map { (Double($0) + 0.37) / 16 }
        var columns = [[Double]](repeating: [], count: 2 * n)
        // Pairs (x, y) on a 16^n x 16^n grid for the four combinations.
        let xs: [[Double]] = n == 1 ? pts.map { [$0] } : pts.flatMap { a in pts.map { [a, $0] } }
        let x0 = xs[3], y0 = xs[5].map { $0 * 0.9 + 0.05 }
        var points: [([Double], [Double])] = []
        for x in xs { for y in xs { points += [(x, y), (x0, y0), (x, y0), (x0, y)] } }
        for (x, y) in points { for k in 0..<n { columns[k].append(x[k]); columns[n + k].append(y[k]) } }
        let v = f.evaluate([f.pi], inputs: Array(0..<(2 * n)), columns: columns)[0]
        for q in stride(from: 0, to: v.count, by: 4) where abs(v[q] * v[q + 1] - v[q + 2] * v[q + 3]) > 1e-12 * abs(v[q] * v[q + 1]) {
            return false
        }
        return true
    }

    private static func oneDimensional(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int,
                                       constant: Bool) throws -> EffectiveCoefficients {
        let graph = f.graph
        let quad = AdaptiveQuadrature()
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = [], cGH: [Double] = []
        for x in slow {
            func at(_ node: NodeID) -> (Double) -> Double {
                { y in graph.evaluate([node], at: [x[0], y])[0] }
            }
            let p = at(f.pi), b = at(f.medium[0])
            let pb = try quad.integrate(0, 1) { p($0) }.value / z
            let bOverPi = try quad.integrate(0, 1) { b($0) / (p($0) / z) }.value
            let sqrtB = try quad.integrate(0, 1) { b($0).squareRoot() }.value
            // B̄ = π̄ ∫ B/π dy, A_hom = (∫ B/π dy)⁻¹ = π̄ B̄⁻¹; where B̄ is constant, the value at the
            // first slow point serves all (they agree to round-off).
            let bb = constant && !bBar.isEmpty ? bBar[0][0] : pb * bOverPi
            piBar.append(pb)
            bBar.append([bb])
            aHom.append([pb / bb])
            cGH.append(sqrtB * sqrtB)           // (∫ √B dy)²
        }
        return EffectiveCoefficients(
            dimension: 1, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: cGH,
            isConstant: constant, resolution: nil, resolutionDifference: nil,
            method: "closed forms A_hom = (int B/pi dy)^-1, B_bar = pi_bar int B/pi dy, C_gh = (int sqrt(B) dy)^2 by GSL QAG (Gauss-Kronrod 61)")
    }

    private static func twoDimensional(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int, constant: Bool,
                                       resolution r: Int) throws -> EffectiveCoefficients {
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = []
        var difference = 0.0
        var constantBBar: [Double]?
        let diagonalEntries: [NodeID] = f.medium.count == 1 ? [f.medium[0], f.medium[0]] : [f.medium[0], f.medium[1]]
        for x in slow {
            func conductivity(_ res: Int) -> (cond: [[Double]], piMean: Double) {
                let cell = PeriodicGrid(dimension: 2, n: res)
                let y = cell.centres
                let xs = (0..<2).map { [Double](repeating: x[$0], count: cell.count) }
                let v = f.evaluate([f.pi] + diagonalEntries, inputs: [0, 1, 2, 3], columns: xs + y)
                let pi = v[0].map { $0 / z }
                return ((0..<2).map { d in zip(pi, v[1 + d]).map { $0 / $1 } }, pi.reduce(0, +) / Double(cell.count))
            }
            let fine = conductivity(r)
            // π̄ by the midpoint rule on the fine cell grid (spectrally accurate for smooth π).
            let pb = fine.piMean
            if let b = constantBBar {
                let det = b[0] * b[3] - b[1] * b[2]
                piBar.append(pb)
                bBar.append(b)
                aHom.append([pb * b[3] / det, -pb * b[1] / det, -pb * b[2] / det, pb * b[0] / det])
                continue
            }
            let coarse = conductivity(r / 2)
            do {
                let a = try CellProblem(resolution: r, conductivity: fine.cond).homogenisedConductivity().matrix
                let a2 = try CellProblem(resolution: r / 2, conductivity: coarse.cond).homogenisedConductivity().matrix
                difference = max(difference, zip(a, a2).map { abs($0 - $1) }.max() ?? 0)
                let det = a[0] * a[3] - a[1] * a[2]
                let b = [pb * a[3] / det, -pb * a[1] / det, -pb * a[2] / det, pb * a[0] / det]
                piBar.append(pb)
                aHom.append(a)
                bBar.append(b)
                if constant { constantBBar = b }
            } catch let e as ConjugateGradient.NotConverged {
                throw SolverError.notConverged("cell problem at x = \(x): \(e)")
            }
        }
        return EffectiveCoefficients(
            dimension: 2, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: nil,
            isConstant: constant, resolution: r, resolutionDifference: difference,
            method: "cell problem (A.6), two-point-flux finite volumes on an R x R cell grid, energy form (4.8), conjugate gradients")
    }
}
