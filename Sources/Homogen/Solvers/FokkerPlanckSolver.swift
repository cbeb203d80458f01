import Dispatch
import Foundation

/// Structure-preserving finite volumes for the ε-Fokker–Planck equation (2.4)
///
///     ∂t ρ = ∇·(π_ε B_ε⁻¹ ∇(ρ/π_ε)),
///
/// and for the homogenised equation (2.24) ∂t ρ = ∇·(A_hom ∇(ρ/π̄)), both written for
/// f = ρ/π (3.2). On a periodic grid of cells, with mass matrix M = diag(π_i h^d)
/// and the symmetric two-point-flux operator K whose face weights are the harmonic means of
/// k = π B⁻¹ (ε-equation) or A_hom at the face (homogenised equation):
///
/// - mass is conserved to round-off (every face flux leaves one cell and enters the other);
/// - f = 1, i.e. ρ = π, is an exact discrete stationary state (K·1 = 0);
/// - each implicit step solves an M-matrix system, so ρ stays positive;
/// - second order in space for smooth media.
///
/// A full tensor k (a full medium B, or a homogenised A_hom with cross terms) uses the symmetric
/// nine-point (2D) or nineteen-point (3D) scheme instead (`CrossTermWeights`): the same graph-Laplacian form with
/// diagonal edges, so mass conservation, the exact stationary state and the discrete
/// energy–dissipation balance carry over; it is an M-matrix, and ρ provably stays positive, only
/// where k is diagonally dominant — checked up front (`warnings` names the worst face), and a
/// negative density is reported in the result. Its implicit steps are solved by conjugate
/// gradients (no splitting).
///
/// Time stepping is backward Euler, (M + dt K) f_new = M f_old, in 1D as one cyclic
/// tridiagonal solve (factorised once per step length, `CyclicTridiagonalBatch`), in 2D
/// by Lie splitting into the two directions, (M + dt K₁) f* = M f_old, (M + dt K₂) f_new = M f*,
/// each a set of independent cyclic tridiagonal line solves. Splitting keeps all of the above
/// (each half is backward Euler for a gradient flow of its own) and is first order in time,
/// like backward Euler itself. No stability limit: dt is an accuracy choice.
public struct FokkerPlanckSolver {
    public enum Equation: String, Sendable, Codable, CaseIterable {
        case epsilon
        case homogenised
    }

    public struct Options: Sendable {
        public var equation: Equation
        /// Solver cells per ε-period (default 32 in 1D, 16 in 2D, 8 in 3D; the homogenised equation's
        /// default grid is capped by `homogenisedCells`, independent of ε).
        public var resolution: Int?
        /// Output cells per dimension (default: the scenario's [grid] cells).
        public var cells: Int?
        /// Time step (default: the scenario's [time] dt).
        public var dt: Double?
        /// Threads for the 2D line solves (default: all cores). Results do not depend on it.
        public var threads: Int
        /// Effective coefficients for the homogenised equation (computed when nil).
        public var effective: EffectiveCoefficients?
        /// Compute E, ψ* every step and ψ at the output times (off only for timing the stepping).
        public var trackEnergy: Bool

        public init(equation: Equation = .epsilon, resolution: Int? = nil, cells: Int? = nil, dt: Double? = nil,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount, effective: EffectiveCoefficients? = nil,
                    trackEnergy: Bool = true) {
            self.equation = equation; self.resolution = resolution; self.cells = cells; self.dt = dt
            self.threads = threads; self.effective = effective; self.trackEnergy = trackEnergy
        }
    }

    public let scenario: Scenario
    public let options: Options
    public let grid: PeriodicGrid
    public let outputCells: Int
    public let dt: Double
    /// π on the solver grid (π_ε or π̄), cell averages normalised to Σ π_i h^d = 1.
    public let pi: [Double]
    /// The face operator K (weights per direction).
    public let operatorK: FaceOperator
    public let effective: EffectiveCoefficients?
    /// Warnings about the discretisation (the nine- or nineteen-point operator not being an M-matrix).
    public let warnings: [String]
    let rho0: [Double]

    /// Solver cells per ε-period when none are asked for: 32 in 1D, 16 in 2D, 8 in 3D.
    public static func defaultResolution(dimension: TorusDimension) -> Int {
        switch dimension {
        case .one: return 32
        case .two: return 16
        case .three: return 8
        }
    }

    /// The most solver cells per side: 2^22 in 1D (line solves), 4096 in 2D, 256 in 3D (1.7·10⁷ cells).
    static func maximumCells(dimension: TorusDimension) -> Int {
        switch dimension {
        case .one: return 1 << 22
        case .two: return 4096
        case .three: return 256
        }
    }

    /// The solver grid: the smallest multiple of lcm(output cells, 1/ε) with at least
    /// `resolution` cells per ε-period, so that ε-periods and output cells both align with solver cells.
    public static func solverCells(inverseEpsilon: Int, outputCells: Int, resolution: Int) -> Int {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let l = outputCells / gcd(outputCells, inverseEpsilon) * inverseEpsilon
        let target = resolution * inverseEpsilon
        return max(1, (target + l - 1) / l) * l
    }

    /// The cap on the homogenised equation's grid when no resolution is asked for. Its
    /// coefficients π̄ and B̄ vary on the unit scale only, so its grid need not follow ε: it is the
    /// ε-equation's default grid, but at most the smallest multiple of the output cells with at
    /// least 512 (1D), 128 (2D) or 32 (3D) cells per axis. (Following ε, as the ε-equation must,
    /// cost a 3D solve at ε = 1/20 about 125 times the cells: 160³ against 32³, with solutions
    /// within 0.2 %.) `compare` and its ε-study put both equations on the ε-equation's grid
    /// instead, as their distances between the two need one grid.
    public static func homogenisedCells(dimension: TorusDimension, outputCells: Int) -> Int {
        let target: Int
        switch dimension {
        case .one: target = 512
        case .two: target = 128
        case .three: target = 32
        }
        return max(1, (target + outputCells - 1) / outputCells) * outputCells
    }

    /// The fewest cells per side the solver takes (the 1D cyclic solve splits the circle in two
    /// halves of at least two cells).
    public static let minimumCells = 4

    public init(scenario s: Scenario, options: Options = Options()) throws {
        scenario = s
        self.options = options
        let dim = s.dimension, d = dim.count
        let resolution = options.resolution ?? Self.defaultResolution(dimension: dim)
        outputCells = options.cells ?? s.cells
        guard resolution >= 2, resolution <= 4096 else { throw SolverError.badSetting(.solverResolution, "must be from 2 to 4096") }
        // The scenario's own limit on output cells ([grid] cells), so that a flag cannot ask for
        // what a scenario file may not (200³ output cells would take minutes to set up).
        let outputLimit = ScenarioValidation.maximumCells(dim)
        guard outputCells >= 1, outputCells <= outputLimit else {
            throw SolverError.badSetting(.outputCells, "must be from 1 to \(outputLimit) in \(dim)D, not \(outputCells)")
        }
        let epsilonGrid = Self.solverCells(inverseEpsilon: s.inverseEpsilon, outputCells: outputCells, resolution: resolution)
        let n = options.equation == .homogenised && options.resolution == nil
            ? min(epsilonGrid, Self.homogenisedCells(dimension: dim, outputCells: outputCells))
            : epsilonGrid
        let maxCells = Self.maximumCells(dimension: dim)
        guard n <= maxCells else { throw SolverError.gridTooLarge(cellsPerSide: n, limit: maxCells, dimension: dim) }
        guard n >= Self.minimumCells else { throw SolverError.gridTooSmall(cellsPerSide: n) }
        let grid = PeriodicGrid(dimension: dim, n: n)
        self.grid = grid
        dt = options.dt ?? s.time.dt
        guard dt > 0, dt.isFinite else { throw SolverError.badSetting(.dt, "must be positive") }
        // As the scenario's own [time] dt: a step longer than the run is a mistake, not a request.
        guard dt <= s.time.final else {
            throw SolverError.badSetting(.dt, "must not exceed the final time \(s.time.final) (it is \(dt))")
        }
        guard s.time.final / dt <= 1e12 else {
            throw SolverError.badSetting(.dt, "gives final/dt = \(s.time.final / dt) steps, more than 10^12 (it is \(dt))")
        }
        let f = s.lowered()
        let centres = grid.centres
        let n2 = Double(s.inverseEpsilon)
        let fastColumns = centres.map { $0.map { $0 * n2 } }
        let h = grid.h
        // Conductivity k_d at cell centres (ε-equation) and face weights T = k_face h^(d-2).
        let faceScale: Double
        switch dim {
        case .one: faceScale = 1 / h
        case .two: faceScale = 1
        case .three: faceScale = h
        }
        var weights: [[Double]] = []
        var diagonalWeights: [[Double]]?
        var warnings: [String] = []
        // Full tensors: the symmetric nine-point (2D) or nineteen-point (3D) scheme, with the
        // M-matrix check up front. `tensor` returns M = B⁻¹ (row-major) at the points, or nil
        // where B is not positive definite.
        let schemeName = dim == .three ? "nineteen-point" : "nine-point"
        func crossTerms(pi: [Double], _ tensor: ([[Double]]) -> [[Double]?]) throws {
            let w = try CrossTermWeights(grid: grid, pi: pi, faceScale: faceScale) { columns in
                let m = tensor(columns)
                if let bad = m.indices.first(where: { m[$0] == nil || !m[$0]!.allSatisfy(\.isFinite) }) {
                    let x = columns.map { "\($0[bad])" }.joined(separator: ", ")
                    throw SolverError.badMedium("[medium] B is not positive definite at x = (\(x)) "
                                                + "(a face, edge or vertex of the solver grid): B^-1 = \(m[bad].map { "\($0)" } ?? "undefined")")
                }
                return m.map { $0! }
            }
            weights = w.axis
            diagonalWeights = w.diagonal
            if let worst = w.worst {
                warnings.append("the \(schemeName) operator is not an M-matrix (the conductivity is not diagonally dominant "
                                + "everywhere), so positivity of rho is not guaranteed; worst \(worst.description)")
            }
        }
        switch options.equation {
        case .epsilon:
            effective = nil
            let masses = f.cellIntegrals(of: f.pi, cells: n)
            let total = masses.reduce(0, +)
            pi = masses.map { $0 / total / grid.volume }
            if f.mediumKind == .full {
                // k = π B⁻¹(x/ε) with B full.
                try crossTerms(pi: pi) { columns in
                    let v = f.evaluate(f.medium, inputs: dim.variables, columns: columns + columns.map { $0.map { $0 * n2 } })
                    return (0..<columns[0].count).map { i in SymmetricMatrix(upper: v.map { $0[i] }, dimension: d).inverse?.rowMajor }
                }
                break
            }
            let entries: [NodeID] = f.mediumKind == .scalar ? Array(repeating: f.medium[0], count: d) : f.medium
            let b = f.evaluate(entries, inputs: dim.variables, columns: centres + fastColumns)
            // The scenario checks B on its own grid; here at every cell centre, where the scheme
            // uses it (a B = 0.97 − cos(…) negative between the check points ran to the end with a
            // balance residual larger than the energy, and no word).
            for k in 0..<d {
                if let bad = b[k].indices.first(where: { !(b[k][$0] > 0) || !b[k][$0].isFinite || !(1 / b[k][$0]).isFinite }) {
                    let x = centres.map { "\($0[bad])" }.joined(separator: ", ")
                    throw SolverError.badMedium("[medium] B\(f.mediumKind == .scalar ? "" : "[\(k + 1)]") is not positive at x = (\(x)) "
                                                + "(a cell centre of the solver grid): B = \(b[k][bad])")
                }
            }
            for k in 0..<d {
                let cond = zip(pi, b[k]).map { $0 / $1 }
                weights.append((0..<grid.count).map { i in
                    let a = cond[i], c = cond[grid.forward(i, k)]
                    return faceScale * 2 * a * c / (a + c)
                })
            }
        case .homogenised:
            let eff = try options.effective ?? EffectiveCoefficients.compute(s)
            effective = eff
            // π̄ of (2.33): cell averages of ∫π(x, y) dy.
            let piBar = f.fastAverageCellMasses(of: f.pi, cells: n).map { $0 / grid.volume }
            pi = piBar
            if eff.hasCrossTerms {
                // A_hom with cross terms: k = π̄ B̄⁻¹, B̄⁻¹ interpolated on the slow grid.
                try crossTerms(pi: piBar) { columns in
                    (0..<columns[0].count).map { i in
                        let x = columns.map { $0[i] }
                        return (0..<(d * d)).map { eff.bBarInverse(at: x, entry: $0) }
                    }
                }
                break
            }
            // Face weight: harmonic mean of π̄ across the face times B̄⁻¹ at the face, so that the
            // flux discretises π̄ B̄⁻¹ ∇(ρ/π̄) of (2.24).
            for k in 0..<d {
                weights.append((0..<grid.count).map { i in
                    var face = centres.map { $0[i] }
                    face[k] += 0.5 * h
                    let a = piBar[i], b = piBar[grid.forward(i, k)]
                    return faceScale * (2 * a * b / (a + b)) * eff.bBarInverse(at: face, entry: k * d + k)
                })
            }
        }
        operatorK = FaceOperator(grid: grid, weights: weights, diagonalWeights: diagonalWeights)
        self.warnings = warnings
        switch options.equation {
        case .epsilon:
            let r0 = f.cellIntegrals(of: f.rho0, cells: n)
            let m0 = r0.reduce(0, +)
            rho0 = r0.map { $0 / m0 / grid.volume }
        case .homogenised:
            // The weak limit of the well-prepared data ρ0(x, x/ε): ∫ρ0(x, y) dy (2.36).
            // ρ0 = cπ (f constant) starts at π̄ itself, to the bit.
            rho0 = f.graph.constantValue(f.graph.div(f.rho0, f.pi)) != nil ? pi
                : f.fastAverageCellMasses(of: f.rho0, cells: n).map { $0 / grid.volume }
        }
    }
}
