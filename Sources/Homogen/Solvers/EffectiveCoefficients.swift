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
/// still depend on x); otherwise the cell problem is solved at every slow point. Only an exact
/// factorisation (as written, or a cross derivative ∂²log π/∂x_i∂y_j that simplifies to 0) saves
/// the solves: where samples of π merely fail to show its x- and y-dependence mixing, a thin layer
/// between them could, so B̄ is computed at every slow point, and a closed form's values are
/// called constant when they agree to `constancyTolerance`.
public struct EffectiveCoefficients: Sendable, Codable {
    public let dimension: TorusDimension
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
    public private(set) var isConstant: Bool
    /// 2D and 3D: cells per side of the unit cell (nil for the closed forms: 1D, laminates, separable media).
    public let resolution: Int?
    /// 2D and 3D: max |A_hom(R) − A_hom(R/2)| over entries and slow points, an error estimate
    /// (second-order convergence makes the error at R about a third of it for smooth media).
    public let resolutionDifference: Double?
    /// 2D and 3D: the certified bracket L ≤ A_hom ≤ U (Loewner order, so every ⟨A_hom v, v⟩ lies
    /// between ⟨L v, v⟩ and ⟨U v, v⟩) at the slow points, row-major: dual (2D stream-function Q1,
    /// 3D Raviart–Thomas) and primal Q1 energies at `resolution`.
    public let aHomLower: [[Double]]?
    public let aHomUpper: [[Double]]?
    /// 2D and 3D: conjugate-gradient iterations of all cell solves.
    public let cellIterations: Int?
    public let method: String
    /// The cell problem, where a step or kink of π or B (floor, mod, abs, min, max) cuts elements of
    /// the R-grid: why the bracket is NOT certified, naming the point (`interfaceCuttingElements`);
    /// nil otherwise, and for the closed forms.
    public var bracketCaveat: String? = nil
    /// The cell problem at its default resolution, where the bracket is still wider than
    /// `defaultBracketWidth` at the largest resolution the rule takes: how wide, and the flag
    /// that narrows it (nil otherwise, and when the resolution was given).
    public var resolutionCaveat: String? = nil

    /// B̄⁻¹ = A_hom/π̄ (an entry, row-major) at a point of Ω: exact where B̄ is constant,
    /// periodic (bi)linear interpolation on the slow grid otherwise.
    public func bBarInverse(at x: [Double], entry: Int) -> Double {
        interpolate(x) { aHom[$0][entry] / piBar[$0] }
    }

    /// B̄⁻¹ at a point, every entry (row-major d × d): the same values as `bBarInverse(at:entry:)`,
    /// with the point bracketed once for all entries (the geodesic cost evaluates it at millions of
    /// points).
    public func bBarInverse(at x: [Double]) -> [Double] {
        let entries = dimension.count * dimension.count
        guard !isConstant else { return (0..<entries).map { aHom[0][$0] / piBar[0] } }
        let stencil = interpolationStencil(x)
        return (0..<entries).map { entry in combine(stencil) { aHom[$0][entry] / piBar[$0] } }
    }

    /// 1D: C̄ at a point (periodic linear interpolation on the slow grid; exact where constant).
    public func interpolateGH(at x: Double) -> Double {
        guard let c = cGH else { return .nan }
        return interpolate([x]) { c[$0] }
    }

    /// Whether A_hom has off-diagonal entries (beyond 1e-12 of its diagonal, or not a number) at
    /// some slow point: then the homogenised solver needs the nine-point (2D) or nineteen-point (3D) scheme.
    public var hasCrossTerms: Bool {
        let d = dimension.count
        return aHom.contains { a in
            let scale = dimension.axes.map { abs(a[$0 * d + $0]) }.max() ?? 0
            return dimension.axes.contains { i in dimension.axes.contains { j in i != j && !(abs(a[i * d + j]) <= 1e-12 * scale) } }
        }
    }

    private func interpolate(_ x: [Double], _ value: (Int) -> Double) -> Double {
        if isConstant { return value(0) }
        return combine(interpolationStencil(x), value)
    }

    /// Σ weight × value over a stencil's corners, in the order `interpolationStencil` states.
    private func combine(_ stencil: (corners: [Int], weights: [Double]), _ value: (Int) -> Double) -> Double {
        let (corners, weights) = stencil
        switch dimension {
        case .one:
            return weights[0] * value(corners[0]) + weights[1] * value(corners[1])
        case .two:
            return weights[0] * (weights[1] * value(corners[0]) + weights[2] * value(corners[1]))
                + weights[3] * (weights[1] * value(corners[2]) + weights[2] * value(corners[3]))
        case .three:
            var sum = 0.0
            for c in 0..<8 { sum += weights[c] * value(corners[c]) }
            return sum
        }
    }

    /// The slow-grid points around x and their weights in periodic (bi/tri)linear interpolation:
    /// 1D corners (i, j), weights (1 − w, w); 2D corners (i1 i2, i1 j2, j1 i2, j1 j2), weights
    /// (1 − w1, 1 − w2, w2, w1), combined as w'1 (w'2 v00 + w2 v01) + w1 (w'2 v10 + w2 v11); 3D the
    /// eight corners (lexicographic, upper when the bit is set) with their product weights.
    private func interpolationStencil(_ x: [Double]) -> (corners: [Int], weights: [Double]) {
        let g = slowPoints
        func bracket(_ t: Double) -> (Int, Int, Double) {
            var s = t * Double(g) - 0.5
            s -= (s / Double(g)).rounded(.down) * Double(g)
            let i = Int(s.rounded(.down)) % g
            return (i, (i + 1) % g, s - s.rounded(.down))
        }
        switch dimension {
        case .one:
            let (i, j, w) = bracket(x[0])
            return ([i, j], [1 - w, w])
        case .two:
            let (i1, j1, w1) = bracket(x[0]), (i2, j2, w2) = bracket(x[1])
            return ([i1 * g + i2, i1 * g + j2, j1 * g + i2, j1 * g + j2], [1 - w1, 1 - w2, w2, w1])
        case .three:
            let b = x.prefix(3).map(bracket)
            var corners: [Int] = [], weights: [Double] = []
            for corner in 0..<8 {
                var weight = 1.0, flat = 0
                for k in 0..<3 {
                    let upper = corner >> (2 - k) & 1 == 1
                    weight *= upper ? b[k].2 : 1 - b[k].2
                    flat = flat * g + (upper ? b[k].1 : b[k].0)
                }
                corners.append(flat); weights.append(weight)
            }
            return (corners, weights)
        }
    }
}

/// Why effective coefficients or the Fokker–Planck solvers cannot handle a scenario.
public enum SolverError: Error, CustomStringConvertible, Equatable {
    case badMedium(String)
    case notConverged(String)
    /// A solver setting outside its range: which setting, and the range ("must be from 2 to 4096").
    case badSetting(SolverSetting, String)
    /// The solver grid that the resolution and output cells ask for exceeds the solver's limit.
    case gridTooLarge(cellsPerSide: Int, limit: Int, dimension: TorusDimension)
    /// The solver grid has fewer than the `FokkerPlanckSolver.minimumCells` cells per side it needs.
    case gridTooSmall(cellsPerSide: Int)
    /// A method that does not run in this dimension (yet): what, and the dimension.
    case unsupportedDimension(String, TorusDimension)

    public var description: String {
        switch self {
        case .notConverged(let what): return what
        case .badMedium(let what): return what
        case .badSetting(let setting, let range): return "\(setting.description) \(range)"
        case .gridTooLarge(let n, let limit, let d):
            return "the solver grid would need \(n) cells per side (limit \(limit) in \(d)D), a multiple of lcm(output cells, 1/eps) "
                + "with the resolution's cells per eps-period; lower the resolution or the output cells, or choose output cells "
                + "that divide 1/eps or a multiple of it"
        case .gridTooSmall(let n):
            return "the solver grid would have \(n) cells per side, fewer than the \(FokkerPlanckSolver.minimumCells) the solver needs; raise the resolution"
        case .unsupportedDimension(let what, let d):
            return "\(what) does not run in \(d)D yet (in \(d)D today: sample, stationary, and solve and compare for scalar and diagonal media "
                + "whose A_hom has a closed form: laminates and separable media)"
        }
    }
}

extension SolverError {
    /// A setting or the grid it asks for is out of the solver's range.
    public var isOutOfRange: Bool {
        switch self {
        case .badSetting, .gridTooLarge, .gridTooSmall: return true
        case .badMedium, .notConverged, .unsupportedDimension: return false
        }
    }
}

/// The settings of the solvers that a caller chooses (the command line maps each to its flag).
public enum SolverSetting: String, Sendable, Equatable, CustomStringConvertible {
    case solverResolution, outputCells, dt, slowPoints, cellResolution, epsilonStudy

    public var description: String {
        switch self {
        case .solverResolution: return "the Fokker–Planck resolution (solver cells per eps-period)"
        case .outputCells: return "the output cells per axis"
        case .dt: return "the Fokker–Planck time step"
        case .slowPoints: return "the slow-grid points per axis"
        case .cellResolution: return "the cell-problem resolution (cells per side of the unit cell)"
        case .epsilonStudy: return "in the eps -> 0 study,"
        }
    }
}

extension EffectiveCoefficients {
    /// 2D default: the cell resolution starts here and doubles until the certified bracket is
    /// narrow enough (relative width 2%, so that its midpoint is within 1%), up to 512.
    public static let defaultStartResolution = 64
    public static let defaultBracketWidth = 0.02

    /// A bracket wider than this (relative) at the default rule's last resolution: its Romberg
    /// estimate is not to be trusted (an independent review: checkerboards of contrast 100, 1000
    /// and 10⁶ have brackets 84 %, 1080 % and 10⁷ % wide and estimates 3.9 %, 80 % and 50× off √ab),
    /// and the caveat says to quote the bracket.
    public static let untrustedEstimateWidth = 0.2
    public static let defaultMaxResolution = 512
    /// 3D: the same rule from R = 16 up to 64 (the Q1 moments at 64³ take 164 MB).
    public static let defaultStartResolution3D = 16
    public static let defaultMaxResolution3D = 64
    /// 3D: the largest resolution a user may ask for (128³: about 1.5 GB of element moments).
    public static let maxResolution3D = 128

    static func cellResolutionDefaults(_ d: TorusDimension) -> (start: Int, maximum: Int) {
        d == .three ? (defaultStartResolution3D, defaultMaxResolution3D) : (defaultStartResolution, defaultMaxResolution)
    }

    /// Computes the effective coefficients. 1D: the closed forms of Section 5.2 by adaptive
    /// quadrature (GSL QAG), to ~1e-13. 2D and 3D: laminates and separable media by their closed
    /// forms; otherwise the certified bracket and estimate of A_hom from the primal and dual cell
    /// problems at `resolution`, R/2 and R/4 (default: chosen from the bracket, see
    /// `defaultBracketWidth`).
    /// A closed form's quadrature that fails (GSL QAG) names the fields it integrates.
    private static func namingTheFields(_ body: () throws -> EffectiveCoefficients) throws -> EffectiveCoefficients {
        do { return try body() } catch let e as GSLError {
            throw SolverError.badMedium("[equilibrium] pi, [medium] B: a quadrature of the closed form for A_hom cannot be computed "
                                        + "(\(e)): pi or an entry of B nearly vanishes, or is not smooth, along the fast variable; "
                                        + "keep pi and B away from 0")
        }
    }

    /// Relative agreement of a closed form's B̄ over the slow points at which it is called constant
    /// without an exact factorisation (the quadratures' own error is about 1e-13).
    public static let constancyTolerance = 1e-10

    public static func compute(_ s: Scenario, resolution: Int? = nil, slowPoints: Int? = nil) throws -> EffectiveCoefficients {
        let f = s.lowered()
        let separability = try separability(f)
        var e = try compute(s, f, constant: separability == .exact, resolution: resolution, slowPoints: slowPoints)
        if separability == .sampled, e.resolution == nil {
            let first = e.bBar[0], size = first.map(abs).max() ?? 0
            e.isConstant = e.bBar.allSatisfy { b in zip(b, first).allSatisfy { abs($0 - $1) <= constancyTolerance * size } }
        }
        return e
    }

    private static func compute(_ s: Scenario, _ f: LoweredFields, constant: Bool, resolution: Int?,
                                slowPoints: Int?) throws -> EffectiveCoefficients {
        // π normalised so that π̄ is a probability density, ∫∫ π dy dx = 1 (as `compare` and
        // `stationary` normalise π̄); ∫ π_ε dx would make the coefficients depend on ε where π's
        // x-dependence resonates with its y-dependence (B̄ does not depend on the normalisation).
        let z = f.fastAverageMass()
        let g: Int
        switch s.dimension {
        case .one: g = slowPoints ?? 64
        case .two: g = slowPoints ?? 8
        case .three: g = slowPoints ?? 4
        }
        // At most 4096 slow points in all (64² in 2D, 16³ in 3D): each is a cell problem where B̄
        // depends on x, and a mean over the R^d cell grid where it does not (a review's 1000² on a
        // 2D checkerboard ran for more than ten minutes without a word).
        let largest = s.dimension == .one ? 4096 : s.dimension == .two ? 64 : 16
        guard g >= 1, g <= largest else {
            throw SolverError.badSetting(.slowPoints, "must be from 1 to \(largest) in \(s.dimension)D, not \(g) (at most 4096 slow points in all)")
        }
        let axis = (0..<g).map { (Double($0) + 0.5) / Double(g) }
        let slow = (0..<s.dimension.cells(perAxis: g)).map { s.dimension.indices(ofCell: $0, perAxis: g).map { axis[$0] } }
        switch s.dimension {
        case .one:
            return try oneDimensional(f, z: z, slow: slow, g: g, constant: constant)
        case .two:
            if let r = resolution {
                guard r >= 8, r % 2 == 0, r <= 4096 else { throw SolverError.badSetting(.cellResolution, "must be an even number from 8 to 4096") }
            }
            if let k = LaminateFormula.axis(of: f) {
                return try namingTheFields { try laminate(f, z: z, slow: slow, g: g, constant: constant, axis: k) }
            }
            if SeparableFormula.applies(to: f) {
                return try namingTheFields { try separable(f, z: z, slow: slow, g: g, constant: constant) }
            }
            return try cellProblem(f, z: z, slow: slow, g: g, constant: constant, resolution: resolution, dimension: .two)
        case .three:
            if let k = LaminateFormula.axis(of: f) {
                return try namingTheFields { try laminate(f, z: z, slow: slow, g: g, constant: constant, axis: k) }
            }
            if let r = resolution {
                guard r >= 8, r % 2 == 0, r <= maxResolution3D else {
                    throw SolverError.badSetting(.cellResolution, "must be an even number from 8 to \(maxResolution3D) in 3D")
                }
            }
            if SeparableFormula.applies(to: f) {
                return try namingTheFields { try separable(f, z: z, slow: slow, g: g, constant: constant) }
            }
            return try cellProblem(f, z: z, slow: slow, g: g, constant: constant, resolution: resolution, dimension: .three)
        }
    }

    /// 2D, where π and B depend on one fast variable y_k at most: A_hom by the laminate formula
    /// (`LaminateFormula`) at each slow point (once where B̄ is constant), exact to round-off; its
    /// bracket has width zero and there is no cell grid. π̄ = ∫π dy_k / Z by the same quadrature.
    private static func laminate(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int, constant: Bool,
                                 axis k: Int) throws -> EffectiveCoefficients {
        let n = f.dimension.count
        let pieces = PiecewiseMean(graph: f.graph)
        let formula = LaminateFormula(dimension: n, axis: k)
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = []
        var first: (pb: Double, a: SymmetricMatrix)?
        for x in slow {
            func point(_ t: Double) -> [Double] {
                var p = x + [Double](repeating: 0, count: n)
                p[n + k] = t
                return p
            }
            // The mean over y_k = t of h(t), between the fields' jumps; h's error (a medium that
            // is not positive definite) rethrown.
            func mean(_ h: (Double) throws -> Double) throws -> Double {
                try pieces.mean(of: [f.pi] + f.medium, along: n + k, at: point(0), h)
            }
            let pb = try mean { f.graph.evaluate([f.pi], at: point($0))[0] } / z
            let a: SymmetricMatrix
            if constant, let c = first {
                a = (pb / c.pb) * c.a   // B̄ constant: A_hom(x) = π̄(x) B̄⁻¹
            } else {
                let entries = try formula.homogenised({ t in
                    let v = f.graph.evaluate([f.pi] + f.medium, at: point(t))
                    let b = Self.medium(Array(v.dropFirst()), f.mediumKind, dimension: n)
                    guard let inverse = b.inverse else {
                        throw SolverError.badMedium("[medium] B is not positive definite at x = \(x), y\(k + 1) = \(t) (a laminate quadrature point): B = \(b)")
                    }
                    guard v[0] > 0, v[0].isFinite else {
                        throw SolverError.badMedium("[equilibrium] pi is not positive at x = \(x), y\(k + 1) = \(t): \(v[0])")
                    }
                    let d = (v[0] / z) * inverse
                    return (0..<n).map { i in (0..<n).map { j in d[i, j] } }
                }, mean: mean)
                a = SymmetricMatrix(rowMajor: entries, dimension: n)
                if constant { first = (pb, a) }
            }
            aHom.append(a.rowMajor)
            guard let aInverse = a.inverse else {
                throw SolverError.badMedium("A_hom is not positive definite at x = \(x): \(a)")
            }
            bBar.append(constant && !bBar.isEmpty ? bBar[0] : (pb * aInverse).rowMajor)
            piBar.append(pb)
        }
        let layers = f.fastVariables.contains { v in ([f.pi] + f.medium).contains { f.graph.dependsOn($0, variable: v) } }
        return EffectiveCoefficients(
            dimension: f.dimension, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: nil,
            isConstant: constant, resolution: nil, resolutionDifference: nil,
            aHomLower: aHom, aHomUpper: aHom, cellIterations: nil,
            method: layers
                ? "closed form: laminate formula (pi and B depend on y\(k + 1) only; A_kk = <1/D_kk>^-1, A_ik = <D_ik/D_kk> A_kk, "
                    + "A_ij = <D_ij - D_ik D_kj/D_kk> + <D_ik/D_kk><D_jk/D_kk> A_kk, D = pi B^-1), means by GSL QAG (Gauss-Kronrod 61)"
                    + pieces.methodNote + "; exact to round-off"
                : "closed form: pi and B depend on no fast variable, so A_hom = pi B^-1 / Z (normalised pi); exact to round-off")
    }

    /// 2D and 3D, a separable medium (`SeparableFormula`): A_hom diagonal in closed form at each
    /// slow point, exact to round-off; its bracket has width zero and there is no cell grid.
    private static func separable(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int, constant: Bool) throws -> EffectiveCoefficients {
        let n = f.dimension.count
        let pieces = PiecewiseMean(graph: f.graph)
        let formula = SeparableFormula(dimension: n)
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = []
        for x in slow {
            // The mean over y_k = t (the others at 0), between the fields' jumps.
            let (pb, a) = try formula.coefficients(at: x, f, z: z) { k, h in
                try pieces.mean(of: [f.pi] + f.medium, along: n + k, at: x + [Double](repeating: 0, count: n), h)
            }
            piBar.append(pb)
            aHom.append(a)
            bBar.append((0..<(n * n)).map { $0 / n == $0 % n ? pb / a[$0] : 0 })
        }
        return EffectiveCoefficients(
            dimension: f.dimension, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: nil,
            isConstant: constant, resolution: nil, resolutionDifference: nil,
            aHomLower: aHom, aHomUpper: aHom, cellIterations: nil,
            method: "closed form: separable medium (B diagonal with B_kk depending on y_k only, log pi additively separable in y; "
                + "A_kk = c prod_{j!=k} <p_j> / (Z <B_kk/p_k>), pi = c(x) prod_k p_k(x, y_k)), means by GSL QAG (Gauss-Kronrod 61)"
                + pieces.methodNote + "; exact to round-off")
    }

    /// B at one point from the values of the lowered medium entries (`LoweredFields.medium`).
    static func medium(_ v: [Double], _ kind: MediumKind, dimension n: Int) -> SymmetricMatrix {
        switch kind {
        case .scalar: return .diagonal([Double](repeating: v[0], count: n))
        case .diagonal: return .diagonal(v)
        case .full: return SymmetricMatrix(upper: v, dimension: n)
        }
    }

    /// Whether B depends on y only and π = π0(x) π1(y).
    enum Separability: Equatable {
        /// As written (`factorsSeparate`), or ∂²log π/∂x_i∂y_j simplifying to 0.
        case exact
        /// Only on samples: ∂²log π/∂x_i∂y_j vanishing on a grid, or (π piecewise)
        /// π(x, y) π(x', y') = π(x, y') π(x', y) on a grid of pairs. A layer thinner than the grid
        /// can hide a mixing, so this saves no cell problem.
        case sampled
        case no
    }

    static func separability(_ f: LoweredFields) throws -> Separability {
        let g = f.graph
        if f.medium.contains(where: { node in f.slowVariables.contains { g.dependsOn(node, variable: $0) } }) {
            return .no
        }
        if g.factorsSeparate(f.pi, into: [f.slowVariables, f.fastVariables]) { return .exact }
        var cross: [NodeID] = []
        do {
            for xs in f.slowVariables {
                let dx = try g.derivative(of: f.logPi, withRespectTo: xs)
                for ys in f.fastVariables { cross.append(try g.derivative(of: dx, withRespectTo: ys)) }
            }
        } catch is ExpressionGraph.NotDifferentiable {
            // A piecewise π: decide from values instead, π(x, y) π(x', y') = π(x, y') π(x', y).
            return try separableByValues(f) ? .sampled : .no
        }
        if cross.allSatisfy({ g.constantValue($0) == 0 }) { return .exact }
        let vars = f.variables(of: cross + [f.logPi])
        let (_, columns) = LoweredFields.productGrid(variables: vars.count)
        let values = f.evaluate(cross, inputs: vars, columns: columns.map { $0.map { $0 + 0.37 / 1024 } })
        return values.allSatisfy { $0.allSatisfy { abs($0) <= 1e-9 } } ? .sampled : .no
    }

    private static func separableByValues(_ f: LoweredFields) throws -> Bool {
        let dim = f.dimension, n = dim.count
        let m = n == 3 ? 8 : 16   // points per axis: (m^n)² pairs
        let pts = (0..<m).map { (Double($0) + 0.37) / Double(m) }
        var columns = [[Double]](repeating: [], count: 2 * n)
        // Pairs (x, y) on an m^n x m^n grid for the four combinations.
        let xs = (0..<dim.cells(perAxis: m)).map { dim.indices(ofCell: $0, perAxis: m).map { pts[$0] } }
        let x0 = xs[3], y0 = xs[5].map { $0 * 0.9 + 0.05 }
        var points: [([Double], [Double])] = []
        for x in xs { for y in xs { points += [(x, y), (x0, y0), (x, y0), (x0, y)] } }
        for (x, y) in points { for k in 0..<n { columns[k].append(x[k]); columns[n + k].append(y[k]) } }
        let v = f.evaluate([f.pi], inputs: dim.variables, columns: columns)[0]
        for q in stride(from: 0, to: v.count, by: 4) where abs(v[q] * v[q + 1] - v[q + 2] * v[q + 3]) > 1e-12 * abs(v[q] * v[q + 1]) {
            return false
        }
        return true
    }

    private static func oneDimensional(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int,
                                       constant: Bool) throws -> EffectiveCoefficients {
        let graph = f.graph
        let pieces = PiecewiseMean(graph: graph)
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = [], cGH: [Double] = []
        for x in slow {
            func at(_ node: NodeID) -> (Double) -> Double {
                { y in graph.evaluate([node], at: [x[0], y])[0] }
            }
            let p = at(f.pi), b = at(f.medium[0])
            // A quadrature that fails says where: a π(x, ·) that (nearly) vanishes between the
            // points `check` samples makes ∫B/π dy diverge, so A_hom = (∫B/π dy)⁻¹ is 0.
            func integral(_ what: String, _ g: (Double) -> Double) throws -> Double {
                do { return try pieces.mean(of: [f.pi, f.medium[0]], along: 1, at: [x[0], 0], g) } catch let e as GSLError {
                    let ys = (0..<4096).map { (Double($0) + 0.5) / 4096 }
                    let smallest = ys.min { p($0) < p($1) }!
                    let largest = ys.map(p).max()!
                    // π bounded away from 0 on the grid: the integrand itself defeated the quadrature.
                    guard p(smallest) < 1e-6 * largest else {
                        throw SolverError.badMedium(
                            "[equilibrium] pi, [medium] B: the integral \(what) at x = \(x[0]) cannot be computed (\(e)); pi lies in "
                            + "[\(String(format: "%.3g", p(smallest))), \(String(format: "%.3g", largest))] on a 4096-point grid, so B or pi "
                            + "varies too sharply (or is not finite) somewhere in y for adaptive quadrature")
                    }
                    throw SolverError.badMedium(
                        "[equilibrium] pi, [medium] B: the integral \(what) at x = \(x[0]) cannot be computed (\(e)); pi(x, y) is "
                        + "smallest near y = \(String(format: "%.4f", smallest)) (\(String(format: "%.3g", p(smallest))) on a 4096-point grid, "
                        + "largest \(String(format: "%.3g", ys.map(p).max()!))): where pi vanishes the integral of B/pi diverges and "
                        + "A_hom = (int B/pi dy)^-1 is 0, which the homogenised equation (2.24) does not allow; keep pi away from 0")
                }
            }
            let pb = try integral("int pi dy", p) / z
            let bOverPi = try integral("int B/pi dy", { b($0) / (p($0) / z) })
            let sqrtB = try integral("int sqrt(B) dy", { b($0).squareRoot() })
            // B̄ = π̄ ∫ B/π dy, A_hom = (∫ B/π dy)⁻¹ = π̄ B̄⁻¹; where B̄ is constant, the value at the
            // first slow point serves all (they agree to round-off).
            let bb = constant && !bBar.isEmpty ? bBar[0][0] : pb * bOverPi
            piBar.append(pb)
            bBar.append([bb])
            aHom.append([pb / bb])
            cGH.append(sqrtB * sqrtB)           // (∫ √B dy)²
        }
        return EffectiveCoefficients(
            dimension: .one, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: cGH,
            isConstant: constant, resolution: nil, resolutionDifference: nil,
            aHomLower: nil, aHomUpper: nil, cellIterations: nil,
            method: "closed forms A_hom = (int B/pi dy)^-1, B_bar = pi_bar int B/pi dy, C_gh = (int sqrt(B) dy)^2 by GSL QAG (Gauss-Kronrod 61)"
                + pieces.methodNote)
    }

    /// 2D and 3D: at each slow point (once where B̄ is constant), the Q1 cell problem for A = π B⁻¹
    /// (primal, an upper bound U_R ≥ A_hom) and the dual problem for C = A⁻¹ = B/π (its discrete
    /// tensor C_R ≥ A_hom⁻¹ gives the lower bound L_R = C_R⁻¹ ≤ A_hom; in 2D by a Q1 stream
    /// function, in 3D by Raviart–Thomas fluxes: `CellBounds`), at R, R/2 and R/4. The estimate is the mean of the Romberg-extrapolated bounds
    /// (64X_R − 20X_{R/2} + X_{R/4})/45 (sixth order for smooth media, whose bounds have error
    /// expansions in even powers of h), moved into the certified bracket [L_R, U_R] (`CellBounds.intoBracket`)
    /// (for non-smooth media, e.g. the checkerboard, the bounds converge like h^{2α}, α < 1, and the
    /// bracket is what certifies the estimate).
    static func cellProblem(_ f: LoweredFields, z: Double, slow: [[Double]], g: Int, constant: Bool,
                                    resolution: Int?, dimension: TorusDimension) throws -> EffectiveCoefficients {
        let d = dimension.count
        var piBar: [Double] = [], aHom: [[Double]] = [], bBar: [[Double]] = []
        var lower: [[Double]] = [], upper: [[Double]] = []
        var difference = 0.0, iterations = 0
        var constantResult: (a: SymmetricMatrix, l: SymmetricMatrix, u: SymmetricMatrix)?
        func bounds(_ x: [Double], _ r: Int) throws -> CellBounds {
            do {
                let b = try CellBounds(f, z: z, x: x, resolution: r)
                iterations += b.iterations
                return b
            } catch let e as ConjugateGradient.NotConverged {
                throw SolverError.notConverged("cell problem at x = \(x), resolution \(r): \(e)")
            }
        }
        // The resolution: as given, or doubled from the start at the first slow point until the
        // bracket's relative width max_i (U_ii − L_ii)/L_ii is at most `defaultBracketWidth`.
        let defaults = cellResolutionDefaults(dimension)
        var r = resolution ?? defaults.start
        var firstLevels: [CellBounds]?
        func levels(_ x: [Double]) throws -> [CellBounds] {
            // R/4 (when at least 8), R/2, R: the Romberg table of the bounds.
            try (r / 4 >= 8 ? [r / 4, r / 2, r] : [r / 2, r]).map { try bounds(x, $0) }
        }
        if resolution == nil {
            var l = try levels(slow[0])
            while l.last!.relativeWidth > defaultBracketWidth, r < defaults.maximum {
                r *= 2
                l = Array(l.suffix(2)) + [try bounds(slow[0], r)]
            }
            firstLevels = l
        }
        for (k, x) in slow.enumerated() {
            // π̄ by the midpoint rule on the fine cell grid (spectrally accurate for smooth π).
            let pb = try fastAverage(f, of: f.pi, at: x, cells: r, dimension: dimension) / z
            let result: (a: SymmetricMatrix, l: SymmetricMatrix, u: SymmetricMatrix)
            if let c = constantResult {
                result = c
            } else {
                let l = try k == 0 && firstLevels != nil ? firstLevels! : levels(x)
                let fine = l[l.count - 1], coarse = l[l.count - 2]
                for (a, b) in [(fine.upper, coarse.upper), (fine.lower, coarse.lower)] {
                    for e in 0..<(d * d) { difference = max(difference, abs(a.rowMajor[e] - b.rowMajor[e])) }
                }
                result = (CellBounds.estimate(l), fine.lower, fine.upper)
                if constant { constantResult = result }
            }
            // Where B̄ is constant, A_hom(x) = π̄(x) B̄⁻¹ with B̄ = π̄(x0) A_hom(x0)⁻¹ from the first slow point.
            let scale = constant ? pb / (piBar.first ?? pb) : 1
            let a = scale * result.a
            guard let inverse = a.inverse else {
                throw SolverError.notConverged("cell problem at x = \(x): the estimate of A_hom is not positive definite: \(a)")
            }
            aHom.append(a.rowMajor)
            lower.append((scale * result.l).rowMajor)
            upper.append((scale * result.u).rowMajor)
            bBar.append(constant && !bBar.isEmpty ? bBar[0] : (pb * inverse).rowMajor)
            piBar.append(pb)
        }
        let method = dimension == .two
            ? "cell problem (A.6) by conforming Q1 finite elements on an R x R cell grid: primal energy (4.8) "
                + "(upper bound) and dual stream-function energy (lower bound), estimate = mean of the bounds "
                + "Romberg-extrapolated from R/4, R/2 and R, conjugate gradients with an FFT Green-operator preconditioner"
            : "cell problem (A.6) on an R x R x R cell grid: primal energy (4.8) by conforming trilinear Q1 elements "
                + "(upper bound) and dual energy by divergence-free Raviart-Thomas fluxes (lower bound), estimate = mean "
                + "of the bounds Romberg-extrapolated from R/4, R/2 and R, conjugate gradients with FFT Green-operator preconditioners"
        var result = EffectiveCoefficients(
            dimension: dimension, slowPoints: g, slowGrid: slow, piBar: piBar, aHom: aHom, bBar: bBar, cGH: nil,
            isConstant: constant, resolution: r, resolutionDifference: difference,
            aHomLower: lower, aHomUpper: upper, cellIterations: iterations, method: method)
        if resolution == nil {
            // The rule stops at the largest default resolution; the bracket may still be wide there,
            // at the first slow point (where the rule looked) or at another.
            let widths = zip(lower, upper).map { l, u in
                CellBounds.relativeWidth(lower: SymmetricMatrix(rowMajor: l, dimension: d), upper: SymmetricMatrix(rowMajor: u, dimension: d))
            }
            if let widest = widths.max(), widest > defaultBracketWidth {
                let user = dimension == .three ? maxResolution3D : 4096
                result.resolutionCaveat = String(format: "the certified bracket is %.3g%% wide at R = %d (the default rule doubles R "
                                                 + "from %d while the bracket is wider than %g%%, up to %d)", 100 * widest, r,
                                                 defaults.start, 100 * defaultBracketWidth, defaults.maximum)
                    + (r < user ? "; --resolution \(2 * r)\(2 * r < user ? " (up to \(user))" : ", the most it takes,") narrows it" : "")
                    + (widest > Self.untrustedEstimateWidth
                        ? "; at this width the Romberg estimate extrapolates levels that are not in their asymptotic regime and "
                            + "may lie anywhere in the bracket (a contrast-1000 checkerboard's was 80% high): quote the bracket"
                        : isSmoothInY(f) ? "" : "; where pi or B jumps, the bounds converge slowly and the estimate between them is "
                            + "the better figure")
            }
        }
        if let cut = interfaceCuttingElements(f, resolution: r) {
            result.bracketCaveat = "an interface of pi or B (a step or kink of floor, mod, abs, min or max) cuts elements of the "
                + "R-grid (\(cut)), so the bracket is NOT certified: the element moments there carry a quadrature error that "
                + "the bracket does not include, and that can exceed its width (independent reviews: 5.5% for walls 0.0025 wide "
                + "at R = 512; a laminate along (1, 2) left its exact value 3e-5 outside at R = 512); put the interfaces on "
                + "element edges (a resolution that is a multiple of the layer pattern) or smooth them"
        }
        return result
    }

    /// The relative width of a bracket in every direction, max_v ⟨(U − L) v, v⟩ / ⟨L v, v⟩ (row-major
    /// d×d bounds, as `aHomLower`, `aHomUpper`).
    public static func bracketWidth(lower: [Double], upper: [Double], dimension d: Int) -> Double {
        CellBounds.relativeWidth(lower: SymmetricMatrix(rowMajor: lower, dimension: d), upper: SymmetricMatrix(rowMajor: upper, dimension: d))
    }

    /// Where π or an entry of B has a step or kink (`JumpLocator`) along a fast variable y_k that
    /// is not on an edge of the R-grid — tried on lines through 3^(d−1) points of the other fast
    /// variables, the slow ones at a generic point — a description of the first one; nil when every
    /// one lies on an edge (grid-aligned checkerboards and laminates: the fields are smooth on
    /// every element, and the bracket is as certified as for smooth media). A tilted laminate or
    /// an inclusion has steps off the edges on almost every line.
    static func interfaceCuttingElements(_ f: LoweredFields, resolution r: Int) -> String? {
        let d = f.dimension.count, locator = JumpLocator(graph: f.graph)
        let offsets = [0.1234, 0.4321, 0.7654]
        for node in [f.pi] + f.medium {
            for k in 0..<d {
                let others = (0..<d).filter { $0 != k }
                for combination in 0..<Int(pow(3.0, Double(others.count))) {
                    var point = LoweredFields.genericPoint(f.dimension)
                    var rest = combination
                    for j in others { point[d + j] = offsets[rest % 3]; rest /= 3 }
                    let jumps = locator.jumps(of: [node], along: f.fastVariables[k], at: point)
                    let names = f.variableNames
                    let line = others.map { "\(names[f.fastVariables[$0]]) = \(point[d + $0])" }.joined(separator: ", ")
                    if !jumps.certified { return "the steps along \(names[f.fastVariables[k]]) could not all be located\(line.isEmpty ? "" : " at \(line)")" }
                    // Off an edge by more than 4e-9: beyond a spurious leaf beside a step (within 2 × 2⁻³⁰,
                    // `JumpLocator.resolution`), and far below anything the element moments would show.
                    if let p = jumps.points.first(where: { abs($0 * Double(r) - ($0 * Double(r)).rounded()) > 4e-9 * Double(r) }) {
                        return "at \(names[f.fastVariables[k]]) = \(p)\(line.isEmpty ? "" : " on the line \(line)"), not a multiple of 1/\(r)"
                    }
                }
            }
        }
        return nil
    }

    /// True when π and every entry of B are differentiable in each fast variable (no floor, mod,
    /// abs, min or max on the way to y), as the expression graph decides.
    static func isSmoothInY(_ f: LoweredFields) -> Bool {
        ([f.pi] + f.medium).allSatisfy { node in
            f.fastVariables.allSatisfy { (try? f.graph.derivative(of: node, withRespectTo: $0)) != nil }
        }
    }

    /// ∫ field(x, y) dy over the unit cell by the midpoint rule on `cells` per axis.
    private static func fastAverage(_ f: LoweredFields, of field: NodeID, at x: [Double], cells r: Int,
                                    dimension: TorusDimension) throws -> Double {
        let d = dimension.count
        let axis = (0..<r).map { (Double($0) + 0.5) / Double(r) }
        let slab = dimension.cells(perAxis: r) / r
        let xs = (0..<d).map { [Double](repeating: x[$0], count: slab) }
        // One x1-slab of y at a time (memory stays at R^(d−1) points in 3D).
        var ys = [[Double]](repeating: [Double](repeating: 0, count: slab), count: d)
        for c in 0..<slab {
            let index = dimension.indices(ofCell: c, perAxis: r)
            for a in 1..<d { ys[a][c] = axis[index[a]] }
        }
        var total = 0.0
        for i in 0..<r {
            ys[0] = [Double](repeating: axis[i], count: slab)
            total += f.evaluate([field], inputs: Array(0..<(2 * d)), columns: xs + ys)[0].reduce(0, +)
        }
        return total / Double(dimension.cells(perAxis: r))
    }
}

/// The certified bracket L ≤ A_hom ≤ U (Loewner order) of the cell problem at one slow point x,
/// from the primal Q1 problem for A = π B⁻¹ and a dual problem for C = A⁻¹ = B / π: in 2D the Q1
/// stream-function problem for Jᵀ A⁻¹ J (see `BilinearCellProblem`), in 3D the divergence-free
/// Raviart–Thomas problem (`RaviartThomasCellProblem`). The bracket is certified up to the
/// quadrature of the medium's element moments (exact for media piecewise polynomial on the
/// elements, h^6 for smooth media).
struct CellBounds {
    let lower: SymmetricMatrix
    let upper: SymmetricMatrix
    let iterations: Int

    /// The estimate of A_hom from the levels R/4 (optional), R/2, R: the mean of the bounds,
    /// Romberg-extrapolated — (4X_R − X_{R/2})/3, or (64X_R − 20X_{R/2} + X_{R/4})/45 with three
    /// levels — with its diagonal clipped into the finest bracket, then moved into it in every
    /// direction (`intoBracket`).
    static func estimate(_ levels: [CellBounds]) -> SymmetricMatrix {
        let fine = levels[levels.count - 1], d = fine.lower.dimension
        let sums = levels.map { zip($0.upper.rowMajor, $0.lower.rowMajor).map { $0 + $1 } }
        var a = [Double](repeating: 0, count: d * d)
        for e in 0..<(d * d) {
            if levels.count == 3 {
                let x2: Double = 64 * sums[2][e], x1: Double = 20 * sums[1][e]
                a[e] = (0.5 / 45) * (x2 - x1 + sums[0][e])
            } else {
                a[e] = (0.5 / 3) * (4 * sums[1][e] - sums[0][e])
            }
        }
        for i in 0..<d { a[i * d + i] = min(max(a[i * d + i], fine.lower[i, i]), fine.upper[i, i]) }
        return intoBracket(SymmetricMatrix(rowMajor: a, dimension: d), lower: fine.lower, upper: fine.upper)
    }

    /// E itself where L ≤ E ≤ U in Loewner order (to round-off, 10⁻¹³ of U's largest entry);
    /// otherwise E moved toward the bracket's centre M = (L + U)/2 just far enough to lie in the
    /// bracket in every direction. The matrices in the bracket form a convex set that holds M, so
    /// the admissible part of the segment from E to M is an interval [s*, 1]; s* by bisection on
    /// the smallest eigenvalues of E(s) − L and U − E(s). (Clipping the diagonal alone left a
    /// review's estimates outside the bracket along (1, 1, 0)/√2 and (1, 1, 1)/√3, below a lower
    /// bound that was exact.)
    static func intoBracket(_ e: SymmetricMatrix, lower l: SymmetricMatrix, upper u: SymmetricMatrix) -> SymmetricMatrix {
        let d = e.dimension, allowance = 1e-13 * (u.rowMajor.map(abs).max() ?? 1)
        func inside(_ m: SymmetricMatrix) -> Bool {
            let above = SymmetricMatrix(rowMajor: zip(m.rowMajor, l.rowMajor).map { $0 - $1 }, dimension: d).eigenvalues.first ?? .nan
            let below = SymmetricMatrix(rowMajor: zip(u.rowMajor, m.rowMajor).map { $0 - $1 }, dimension: d).eigenvalues.first ?? .nan
            return above >= -allowance && below >= -allowance
        }
        if inside(e) { return e }
        func toward(_ s: Double) -> SymmetricMatrix {
            SymmetricMatrix(rowMajor: (0..<(d * d)).map { (1 - s) * e.rowMajor[$0] + s * 0.5 * (l.rowMajor[$0] + u.rowMajor[$0]) }, dimension: d)
        }
        var outside = 0.0, admissible = 1.0
        for _ in 0..<50 {
            let s = 0.5 * (outside + admissible)
            if inside(toward(s)) { admissible = s } else { outside = s }
        }
        return toward(admissible)
    }

    /// The bracket's relative width in every direction, max_v ⟨(U − L) v, v⟩ / ⟨L v, v⟩: the largest
    /// generalised eigenvalue of U − L against L (GSL). On the diagonal alone (max_i (U_ii −
    /// L_ii)/L_ii, as before) the width of an anisotropic bracket along another direction went
    /// unmeasured (a review asked for every direction after a tilted laminate's A₁₂ came out 1 % off).
    var relativeWidth: Double { Self.relativeWidth(lower: lower, upper: upper) }

    static func relativeWidth(lower: SymmetricMatrix, upper: SymmetricMatrix) -> Double {
        let gap = SymmetricMatrix(rowMajor: zip(upper.rowMajor, lower.rowMajor).map { $0 - $1 }, dimension: lower.dimension)
        let widest = gap.generalisedEigenvalues(relativeTo: lower).max() ?? .nan
        return widest.isNaN ? .infinity : widest
    }

    /// Gauss points per axis and element for the element moments: 3 on fine grids, more on
    /// coarse ones, so that the moments stay exact to round-off for smooth media there too (at
    /// least 128 points per axis in 2D, 64 in 3D). With 3 points at R = 8, the moments of
    /// B = 2 + 1.5 sin 2π(y1 + 2y2) were off by enough that the "certified" upper bound fell
    /// 3.3e-5 below A_hom (a black-box review).
    static func quadraturePoints(resolution r: Int, dimension: TorusDimension) -> Int {
        let perAxis = dimension == .three ? 64 : 128
        return max(3, (perAxis + r - 1) / r)
    }

    init(_ f: LoweredFields, z: Double, x: [Double], resolution r: Int) throws {
        switch f.dimension {
        case .one: preconditionFailure("CellBounds: 1D has closed forms")
        case .two:
            let (l, u, n) = try Self.twoDimensional(f, z: z, x: x, resolution: r)
            lower = SymmetricMatrix(rowMajor: l.rowMajor, dimension: 2)
            upper = SymmetricMatrix(rowMajor: u.rowMajor, dimension: 2)
            iterations = n
        case .three:
            // One problem's element moments in memory at a time (164 MB and 44 MB at 64³).
            let q = Self.quadraturePoints(resolution: r, dimension: .three)
            let u = try TrilinearCellProblem(resolution: r, quadraturePoints: q) { Self.media(f, z: z, x: x, dual: false) }.homogenisedTensor()
            let c = try RaviartThomasCellProblem(resolution: r, quadraturePoints: q) { Self.media(f, z: z, x: x, dual: true) }
                .homogenisedResistivity()
            guard let l = c.tensor.inverse else {
                throw SolverError.notConverged("dual cell problem at x = \(x), resolution \(r): C_h is not positive definite: \(c.tensor)")
            }
            upper = u.tensor
            lower = l
            iterations = u.iterations + c.iterations
        }
    }

    /// 3D: an evaluator of A = π B⁻¹ (primal) or C = B / π (dual) at columns (y1, y2, y3), 6
    /// numbers per point in upper order, checking π > 0 and B positive definite (leading minors).
    private static func media(_ f: LoweredFields, z: Double, x: [Double], dual: Bool)
        -> (([Double], [Double], [Double]) throws -> [Double]) {
        let entries = f.medium, kind = f.mediumKind
        let batch = BatchEvaluator(graph: f.graph, outputs: [f.pi] + entries, inputs: [0, 1, 2, 3, 4, 5])
        return { y1, y2, y3 in
            let xs = (0..<3).map { [Double](repeating: x[$0], count: y1.count) }
            let v = batch.evaluate(xs + [y1, y2, y3])
            var out = [Double](repeating: 0, count: 6 * y1.count)
            for i in y1.indices {
                let b: (Double, Double, Double, Double, Double, Double)
                switch kind {
                case .scalar: b = (v[1][i], 0, 0, v[1][i], 0, v[1][i])
                case .diagonal: b = (v[1][i], 0, 0, v[2][i], 0, v[3][i])
                case .full: b = (v[1][i], v[2][i], v[3][i], v[4][i], v[5][i], v[6][i])
                }
                // Cofactors of B (upper order), the determinant and the leading minors.
                let c11 = b.3 * b.5 - b.4 * b.4, c12 = b.2 * b.4 - b.1 * b.5, c13 = b.1 * b.4 - b.2 * b.3
                let c22 = b.0 * b.5 - b.2 * b.2, c23 = b.1 * b.2 - b.0 * b.4, c33 = b.0 * b.3 - b.1 * b.1
                let det = b.0 * c11 + b.1 * c12 + b.2 * c13
                guard b.0 > 0, c33 > 0, det > 0, det.isFinite, c11.isFinite, c22.isFinite, c12.isFinite, c13.isFinite, c23.isFinite else {
                    throw SolverError.badMedium(
                        "[medium] B is not positive definite at x = \(x), y = (\(y1[i]), \(y2[i]), \(y3[i])) (a cell-problem quadrature point): B = [[\(b.0), \(b.1), \(b.2)], [\(b.1), \(b.3), \(b.4)], [\(b.2), \(b.4), \(b.5)]]")
                }
                let p = v[0][i] / z
                guard p > 0, p.isFinite else {
                    throw SolverError.badMedium("[equilibrium] pi is not positive at x = \(x), y = (\(y1[i]), \(y2[i]), \(y3[i])): \(v[0][i])")
                }
                let values = dual
                    ? [b.0 / p, b.1 / p, b.2 / p, b.3 / p, b.4 / p, b.5 / p]
                    : [c11, c12, c13, c22, c23, c33].map { p * $0 / det }
                for k in 0..<6 { out[6 * i + k] = values[k] }
            }
            return out
        }
    }

    /// 2D: the primal and stream-function dual Q1 problems; returns (lower, upper, iterations).
    private static func twoDimensional(_ f: LoweredFields, z: Double, x: [Double], resolution r: Int) throws -> (Matrix2, Matrix2, Int) {
        let entries = f.medium
        func media(_ y1: [Double], _ y2: [Double]) throws -> (pi: [Double], b: [Matrix2]) {
            let xs = (0..<2).map { [Double](repeating: x[$0], count: y1.count) }
            let v = f.evaluate([f.pi] + entries, inputs: [0, 1, 2, 3], columns: xs + [y1, y2])
            var b: [Matrix2] = []
            b.reserveCapacity(y1.count)
            for i in y1.indices {
                let m: Matrix2
                switch entries.count {
                case 1: m = .diagonal(v[1][i], v[1][i])
                case 2: m = .diagonal(v[1][i], v[2][i])
                default: m = Matrix2(a11: v[1][i], a12: v[2][i], a22: v[3][i])
                }
                guard m.isPositiveDefinite, m.a11.isFinite, m.a12.isFinite, m.a22.isFinite else {
                    throw SolverError.badMedium(
                        "[medium] B is not positive definite at x = \(x), y = (\(y1[i]), \(y2[i])) (a cell-problem quadrature point): B = \(m)")
                }
                guard v[0][i] > 0, v[0][i].isFinite else {
                    throw SolverError.badMedium("[equilibrium] pi is not positive at x = \(x), y = (\(y1[i]), \(y2[i])): \(v[0][i])")
                }
                b.append(m)
            }
            return (v[0].map { $0 / z }, b)
        }
        // Primal: A = π B⁻¹. Dual: C = Jᵀ A⁻¹ J = Jᵀ B J / π.
        let q = quadraturePoints(resolution: r, dimension: .two)
        let primal = try BilinearCellProblem(resolution: r, quadraturePoints: q) { y1, y2 in
            let m = try media(y1, y2)
            return zip(m.pi, m.b).map { $0 * $1.inverse }
        }
        let dual = try BilinearCellProblem(resolution: r, quadraturePoints: q) { y1, y2 in
            let m = try media(y1, y2)
            return zip(m.pi, m.b).map { (1 / $0) * $1.rotatedQuarterTurn }
        }
        let u = try primal.homogenisedTensor()
        let c = try dual.homogenisedTensor()
        // A_hom⁻¹ = J C_hom Jᵀ, so A_hom = J C_hom⁻¹ Jᵀ ≥ J C_R⁻¹ Jᵀ (J M Jᵀ = rotatedQuarterTurn).
        return (c.tensor.inverse.rotatedQuarterTurn, u.tensor, u.iterations + c.iterations)
    }
}
