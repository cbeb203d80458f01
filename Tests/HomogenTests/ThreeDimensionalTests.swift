import Foundation
@testable import Homogen
import XCTest

/// The torus in three dimensions, against exact results: scenario files and their errors, the
/// d×d matrix algebra (symmetric functions of the eigenvalues, inverses, the symbolic Cholesky
/// factor of the SDE's noise), the sampler's stationary law (chi-square against π_ε for every
/// scheme, with a power check), shards and resume bit for bit, the Fokker–Planck solver (π_ε
/// stationary and mass to round-off; a separable Fourier mode decaying by the scheme's own
/// amplification factor to round-off and by the PDE's to O(h² + dt)), and the closed forms of the
/// cell problem (separable media: the diagonal of harmonic means; laminates: between the Reuss and
/// Voigt bounds).
final class ThreeDimensionalTests: XCTestCase {
    override func tearDown() {
        ParticleEngine.clearStopRequest()
        super.tearDown()
    }

    /// A 3D scenario; `medium` is the TOML value of B.
    private func scenario(medium: String = #"["2 + sin(2*pi*y1)", "3 + cos(2*pi*y2)", "1.5 + 0.5*sin(2*pi*y3)"]"#,
                          pi: String = "1", initial: String = #"f = "1""#, epsilon: String = "1/2",
                          final: Double = 0.03, outputs: String = "[0.03]", dt: Double = 5e-5,
                          count: Int = 40000, cells: Int = 4) -> String {
        """
        name = "test-3d"
        description = "test"
        dimension = 3
        epsilon = "\(epsilon)"
        [medium]
        B = \(medium)
        [equilibrium]
        pi = "\(pi)"
        [initial]
        \(initial)
        [time]
        final = \(final)
        outputs = \(outputs)
        dt = \(dt)
        [particles]
        count = \(count)
        seed = 11
        [grid]
        cells = \(cells)
        """
    }

    /// A full medium that varies in the cell along every fast variable, positive definite
    /// (diagonally dominant: 2 − 0.5 > 0.3 + 0.2 and 1.5 > 0.2 + 0.1).
    private let fullMedium = #"[["2 + 0.5*sin(2*pi*y1)", "0.3*cos(2*pi*y2)", "0.2"], ["0.3*cos(2*pi*y2)", "2", "0.1*sin(2*pi*y3)"], ["0.2", "0.1*sin(2*pi*y3)", "1.5"]]"#
    private let oscillatoryPi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2)) * (1 + 0.3*sin(2*pi*(x3 + y3)))"

    // MARK: - scenarios

    func testScenarioFilesIn3D() throws {
        let diagonal = try Scenario(toml: scenario())
        XCTAssertEqual(diagonal.dimension, .three)
        guard case .diagonal(let b) = diagonal.medium else { return XCTFail("diagonal medium") }
        XCTAssertEqual(b.count, 3)
        let full = try Scenario(toml: scenario(medium: fullMedium))
        guard case .full(let upper) = full.medium else { return XCTFail("full medium") }
        XCTAssertEqual(upper.map(\.description), ["2 + 0.5*sin(2*pi*y1)", "0.3*cos(2*pi*y2)", "0.2", "2", "0.1*sin(2*pi*y3)", "1.5"])
        // The resolved text is itself the same scenario.
        XCTAssertEqual(ScenarioRecord(try Scenario(toml: full.tomlText)), ScenarioRecord(full))
        // The eigenvalue range of B over the cell: within Gershgorin's discs (row 1: centre ≥ 1.5,
        // radius ≤ 0.5; row 2: 2 ± 0.4; row 3: 1.5 ± 0.3).
        XCTAssertGreaterThan(full.facts.mediumSmallestEigenvalue, 1.0)
        XCTAssertLessThan(full.facts.mediumLargestEigenvalue, 3.0)

        assertScenarioError(scenario(medium: #"["2", "3"]"#), key: "[medium] B", contains: "must have 3 entries in 3D")
        assertScenarioError(scenario(medium: #"[["2", "0.1", "0"], ["0.1", "2", "0"], ["0", "0.2", "2"]]"#), key: "[medium] B",
                            contains: "is not symmetric: B[2][3] = 0.0 but B[3][2] = 0.2")
        assertScenarioError(scenario(medium: #"[["2", "0"], ["0", "2"], ["0", "0"]]"#), key: "[medium] B[1]",
                            contains: "must be a list of 3 strings")
        assertScenarioError(scenario(medium: #"[["1", "0", "0.9"], ["0", "1", "0.9"], ["0.9", "0.9", "1"]]"#), key: "[medium] B",
                            contains: "is not positive definite")
        assertScenarioError(scenario().replacingOccurrences(of: "dimension = 3", with: "dimension = 4"), key: "dimension",
                            contains: "must be 1, 2 or 3, not 4")
    }

    // MARK: - matrices

    /// [[4, 1, 0], [1, 3, 1], [0, 1, 2]]: trace 9, sum of principal 2×2 minors 11 + 8 + 5 = 24,
    /// determinant 18 — the three symmetric functions of the eigenvalues.
    /// Fields of three variables are checked on 96 points per axis (a multiple of 2, 3, 4, 6, 8),
    /// where 101 missed zeros on the planes x1 = ½ and y1 = ½: π = (1 + cos 2πx1)(…) and
    /// B11 = 1 + cos 2πy1 passed `check` (π ≥ 3.4e-4, λ_min = 4.4e-4) and ran.
    func testZerosAtSimpleFractionsAreFound() throws {
        assertScenarioError(scenario(pi: "(1 + cos(2*pi*x1)) * (1 + 0.3*cos(2*pi*y1)*sin(2*pi*y3))"), key: "[equilibrium] pi",
                            contains: "at x1 = 0.5")
        assertScenarioError(scenario(medium: #"["1 + cos(2*pi*y1) + 0*y2*y3", "2", "2"]"#), key: "[medium] B",
                            contains: "y1 = 0.5")
        XCTAssertEqual(LoweredFields.productGrid(variables: 3).perAxis, 96)
        XCTAssertEqual(LoweredFields.productGrid(variables: 2).perAxis, 1024)
    }

    func testSymmetricMatrixIn3D() throws {
        // Generalised eigenvalues of A v = λ B v: with B = diag(1, 2, 4) and A = diag(3, 2, 8) they
        // are 3, 1, 2; with B = I the ordinary ones; a B that is not positive definite gives NaN.
        for (x, y) in zip(SymmetricMatrix.diagonal([3, 2, 8]).generalisedEigenvalues(relativeTo: .diagonal([1, 2, 4])), [1.0, 2, 3]) {
            XCTAssertEqual(x, y, accuracy: 1e-14)
        }
        let g = SymmetricMatrix(rowMajor: [4, 1, 0, 1, 3, 1, 0, 1, 2], dimension: 3)
        for (x, y) in zip(g.generalisedEigenvalues(relativeTo: .diagonal([1, 1, 1])), g.eigenvalues) { XCTAssertEqual(x, y, accuracy: 1e-13) }
        XCTAssertTrue(g.generalisedEigenvalues(relativeTo: .diagonal([1, -1, 1])).allSatisfy(\.isNaN))
        let a = SymmetricMatrix(rowMajor: [4, 1, 0, 1, 3, 1, 0, 1, 2], dimension: 3)
        let e = a.eigenvalues
        XCTAssertEqual(e.reduce(0, +), 9, accuracy: 1e-13)
        XCTAssertEqual(e[0] * e[1] + e[0] * e[2] + e[1] * e[2], 24, accuracy: 1e-12)
        XCTAssertEqual(e.reduce(1, *), 18, accuracy: 1e-12)
        XCTAssertEqual(e, e.sorted())
        let inverse = try XCTUnwrap(a.inverse)
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + a[i, $1] * inverse[$1, j] }
                XCTAssertEqual(product, i == j ? 1 : 0, accuracy: 1e-15)
            }
        }
        let indefinite = SymmetricMatrix(upper: [1, 0, 0.9, 1, 0.9, 1], dimension: 3)
        XCTAssertFalse(indefinite.isPositiveDefinite)
        XCTAssertNil(indefinite.inverse)
        XCTAssertLessThan(indefinite.eigenvalues[0], 0)
        XCTAssertEqual(SymmetricIndex(3).entry(4).0, 1)
        XCTAssertEqual(SymmetricIndex(3).entry(4).1, 2)
        for k in 0..<6 { let (i, j) = SymmetricIndex(3).entry(k); XCTAssertEqual(SymmetricIndex(3).upper(j, i), k) }
    }

    /// The noise of the SDE for a full 3D medium: the symbolic Cholesky factor L of 2B⁻¹ (through
    /// the symbolic adjugate inverse) satisfies L Lᵀ = 2 B⁻¹ at points of the cell, against GSL's inverse.
    func testSymbolicCholeskyOfTheNoiseIn3D() throws {
        let f = try Scenario(toml: scenario(medium: fullMedium)).lowered()
        let g = f.graph
        let b = SDECoefficients.inverse(f.medium, dimension: 3, graph: g)
        let l = SDECoefficients.cholesky(b, scale: g.constant(2), graph: g)
        XCTAssertEqual(l.count, 6)
        for point in [[0.1, 0.2, 0.3, 0.4, 0.55, 0.7], [0.9, 0.05, 0.5, 0.13, 0.81, 0.26]] {
            let v = g.evaluate(l + f.medium, at: point)
            let lower = Array(v[..<6]), medium = SymmetricMatrix(upper: Array(v[6...]), dimension: 3)
            func entry(_ i: Int, _ j: Int) -> Double { j > i ? 0 : lower[i * (i + 1) / 2 + j] }
            let twiceInverse = 2 * medium.inverse!
            for i in 0..<3 {
                for j in 0..<3 {
                    let llt = (0..<3).reduce(0.0) { $0 + entry(i, $1) * entry(j, $1) }
                    XCTAssertEqual(llt, twiceInverse[i, j], accuracy: 1e-14, "(\(i), \(j)) at \(point)")
                }
            }
        }
    }

    // MARK: - sampler

    /// Start from π_ε and stay there for t = 0.03 (ε = 1/2, 8 cells per axis: a quarter ε-period
    /// each, so the fast factors show in the cell masses; several fast relaxation times
    /// ε²/(4π² λ_min(B⁻¹))), with the full medium and a π that oscillates in every fast variable.
    /// Drift derivatives |b'| ≲ 4π²/ε² · 1 ≈ 160, so Euler–Maruyama's relative bias at dt = 5e-5 is
    /// ≲ 8e-3 and adds N Σ p δ² ≲ 4 to X² (511 degrees of freedom); weak2's is O(dt²) and the
    /// Metropolised scheme keeps π_ε exactly. Power: the same particles against π without its fast
    /// factors are rejected.
    func testEveryScheme3DStaysAtPiEps() throws {
        let s = try Scenario(toml: scenario(medium: fullMedium, pi: oscillatoryPi, count: 60000, cells: 8))
        let exact = s.equilibriumCellMasses()
        let slowOnly = try Scenario(toml: scenario(medium: fullMedium, pi: "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.3*sin(2*pi*x3))", cells: 8))
            .equilibriumCellMasses()
        for scheme in [SchemeKind.em, .weak2, .metropolis] {
            let dt = scheme == .metropolis ? 1e-3 : 5e-5
            let run = try s.replacing(time: TimeSettings(final: 0.03, outputs: [0.0, 0.03], dt: dt))
            let r = try ParticleSampler(scenario: run, options: .init(threads: 2, scheme: scheme)).run()
            XCTAssertEqual(r.snapshots[1].counts.count, 512)
            XCTAssertEqual(r.snapshots[1].counts.reduce(0, +), 60000)
            for k in 0..<2 {
                XCTAssertGreaterThan(ChiSquareTest(counts: r.snapshots[k].counts, probabilities: exact).pValue, 1e-3, "\(scheme) t = \(r.snapshots[k].time)")
            }
            XCTAssertLessThan(ChiSquareTest(counts: r.snapshots[1].counts, probabilities: slowOnly).pValue, 1e-6, "\(scheme): power")
        }
    }

    /// `stationary` in 3D (oscillatory-3d, 2·10⁵ particles): the Metropolised estimate (exact
    /// invariance) matches π_ε; Euler–Maruyama at dt = 4e-3, forty times the scenario's step, has
    /// a bias at the ε-scale that the Hotelling test on 2 × 2 × 2 merged cells averages away, and a
    /// largest-|z| test (Bonferroni over the cells with 10 independent samples per batch, valid
    /// under any dependence) rejects it — on the coarse cells: with τ_int measured from the
    /// particles' time averages (0.02 for the fast observable at this step), no output-grid cell
    /// has 10 independent samples per batch.
    func testStationaryIn3DSeesABiasAtTheEpsilonScale() throws {
        let s = try Scenario.load(path: repositoryRoot.appendingPathComponent("scenarios/oscillatory-3d.toml").path)
        var o = StationaryEstimator.Options()
        o.threads = 2
        let exact = try StationaryEstimator(scenario: s, options: o).run()
        XCTAssertTrue(exact.consistentWithPiEps, "\(exact.testPValues)")
        o.scheme = .em
        o.dt = 4e-3
        o.allowCoarseTimeStep = true
        let biased = try StationaryEstimator(scenario: s, options: o).run()
        XCTAssertFalse(biased.consistentWithPiEps, "\(biased.testPValues)")
        XCTAssertLessThan(min(biased.fine.maxZPValue, biased.coarse.maxZPValue), StationaryResult.significanceLevel / Double(biased.testPValues.count),
                          "\(biased.testPValues)")
        XCTAssertGreaterThan(biased.coarse.pValue, StationaryResult.significanceLevel / Double(biased.testPValues.count), "the merged Hotelling test alone would miss it")
        XCTAssertGreaterThan(biased.coarse.maxZCells, 0)
    }

    /// Shards add up to the whole run (counts exactly, positions in block order), and a run
    /// stopped mid-block resumes bit for bit, for every scheme.
    func testShardsAndResumeAreBitIdenticalIn3D() throws {
        let s = try Scenario(toml: scenario(medium: fullMedium, pi: oscillatoryPi, final: 0.002, outputs: "[0.001, 0.002]",
                                            dt: 1e-4, count: 3 * 1024 + 100))
        for scheme in [SchemeKind.em, .weak2, .metropolis] {
            let sampler = try ParticleSampler(scenario: s, options: .init(threads: 2, keepPositions: true, scheme: scheme))
            let full = try sampler.run()
            let parts = try (0..<2).map { try sampler.run(blocks: sampler.plan.blocks(ofShard: $0, of: 2)!) }
            for k in full.snapshots.indices {
                XCTAssertEqual(zip(parts[0].snapshots[k].counts, parts[1].snapshots[k].counts).map { $0 + $1 }, full.snapshots[k].counts, "\(scheme)")
                XCTAssertEqual(parts[0].snapshots[k].positions! + parts[1].snapshots[k].positions!, full.snapshots[k].positions!, "\(scheme)")
            }
            let dir = temporaryPath("interrupt-3d-\(scheme.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            ParticleEngine.requestStop(atBlock: 1, iteration: 7)
            XCTAssertThrowsError(try sampler.run(checkpoint: .init(directory: dir, interval: 1e6)))
            ParticleEngine.clearStopRequest()
            let resumed = try sampler.run(checkpoint: .init(directory: dir, interval: 1e6, resume: true))
            for (a, b) in zip(full.snapshots, resumed.snapshots) {
                XCTAssertEqual(a.counts, b.counts, "\(scheme)")
                XCTAssertEqual(a.positions, b.positions, "\(scheme)")
                XCTAssertEqual(a.moves, b.moves, "\(scheme)")
            }
        }
    }

    // MARK: - Fokker–Planck

    /// Started at π_ε, the 3D ε-solution stays there to round-off; from a peaked density, mass is
    /// conserved to round-off, the density stays positive and the free energy decreases.
    func testFokkerPlanck3DKeepsPiEpsAndMass() throws {
        let s = try Scenario(toml: scenario(pi: oscillatoryPi, final: 0.01, outputs: "[0.005, 0.01]", dt: 1e-3, cells: 4))
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(resolution: 8))
        XCTAssertEqual(solver.grid.n, 16)
        let r = try solver.run()
        let deviation = zip(r.snapshots.last!.solverDensity, solver.pi).map { abs($0 - $1) / $1 }.max()!
        XCTAssertLessThan(deviation, 1e-13)
        XCTAssertLessThan(r.massDrift, 1e-13)
        let peaked = try Scenario(toml: scenario(pi: oscillatoryPi, initial: #"rho = "exp(3*cos(2*pi*x1)*cos(2*pi*x2)*cos(2*pi*x3))""#,
                                                 final: 0.01, outputs: "[0.0, 0.005, 0.01]", dt: 1e-3, cells: 4))
        let p = try FokkerPlanckSolver(scenario: peaked, options: .init(resolution: 8)).run()
        XCTAssertLessThan(p.massDrift, 1e-12)
        XCTAssertGreaterThan(p.minimumDensity, 0)
        XCTAssertLessThan(p.snapshots[2].energy, p.snapshots[1].energy)
        XCTAssertLessThan(p.snapshots[1].energy, p.snapshots[0].energy)
    }

    /// The homogenised solver's data are cell averages of fast averages ∫g(x, y) dy, with rules
    /// that adapt to g (a review's cases, where a fixed rule was silently wrong; exact values by
    /// GSL's adaptive quadrature of the one-dimensional factors):
    /// - ρ0 = 1 + 10⁵ Π_k b(x_k − c_k), b = exp(−2000 sin² π·), a bump of width 0.005 in x: the
    ///   solver's initial density kept 1.0009 of 86.47 in the bump's cell (17 % of the mass lost);
    /// - π = (1 + floor(mod(x1, 1) + 0.3))(1 + 0.3 cos 2πy2), a step in x1 at 0.7: π̄'s x1-marginal
    ///   on 8 cells is 1/1.3 ×5, 1.4/1.3, 2/1.3 ×2 (the cell the step cuts had 6 % too much);
    /// - ρ0 = 1 + 50(1 + ½ cos 2πx2) b₂₀₀(y1 − 0.3), a bump of width 0.02 in y1: its fast mean
    ///   came out 18 % low.
    func testHomogenisedDataFollowSharpFeaturesOfTheFields() throws {
        let quad = AdaptiveQuadrature()
        func bump(_ a: Double, _ c: Double, _ lo: Double, _ hi: Double) throws -> Double {
            let f = { (x: Double) in exp(-a * pow(sin(.pi * (x - c)), 2)) }
            return (lo < c && c < hi) ? try quad.integrate(lo, c, f).value + quad.integrate(c, hi, f).value : try quad.integrate(lo, hi, f).value
        }
        // The bump in x, on the solver's 16³ grid (resolution 4, 1/ε = 4).
        let centre = [0.31, 0.47, 0.53]
        let bumped = try Scenario(toml: scenario(medium: #""1""#, initial: #"rho = "1 + 1e5*exp(-2000*(sin(pi*(x1 - 0.31))^2 + sin(pi*(x2 - 0.47))^2 + sin(pi*(x3 - 0.53))^2))""#,
                                                 epsilon: "1/4", final: 0.001, outputs: "[0.001]", dt: 1e-3, cells: 8))
        let solver = try FokkerPlanckSolver(scenario: bumped, options: .init(equation: .homogenised, resolution: 4))
        let n = solver.grid.n, h = 1 / Double(n)
        let total = try 1 + 1e5 * centre.reduce(1.0) { $0 * (try bump(2000, $1, 0, 1)) }
        let cell = centre.map { Int($0 * Double(n)) }
        let inBump = try (h * h * h + 1e5 * (0..<3).reduce(1.0) { $0 * (try bump(2000, centre[$1], Double(cell[$1]) * h, Double(cell[$1] + 1) * h)) }) / (h * h * h) / total
        let index = (cell[0] * n + cell[1]) * n + cell[2]
        XCTAssertEqual(solver.rho0[index], inBump, accuracy: 1e-4 * inBump)
        XCTAssertEqual(solver.rho0.min()!, 1 / total, accuracy: 1e-4 / total)
        // The step in x1: the solver's π̄ on its 16³ grid, averaged over x2 and x3 (the step cuts
        // cell 11, [0.6875, 0.75), at a fifth).
        let stepped = try Scenario(toml: scenario(medium: #""1""#, pi: "(1 + floor(mod(x1, 1) + 0.3)) * (1 + 0.3*cos(2*pi*y2))", epsilon: "1/4", cells: 8))
        let piBar = try FokkerPlanckSolver(scenario: stepped, options: .init(equation: .homogenised, resolution: 4)).pi
        XCTAssertEqual(piBar.count, 16 * 16 * 16)
        for i in 0..<16 {
            let marginal = piBar[(i * 256)..<((i + 1) * 256)].reduce(0, +) / 256
            XCTAssertEqual(marginal, (i < 11 ? 1 : i == 11 ? 1.8 : 2) / 1.3, accuracy: 1e-12, "cell \(i)")
        }
        // The bump in y1: ρ̄0(x) = 1 + 50(1 + ½ cos 2πx2) m, m = ∫b₂₀₀, cell averages in x2.
        let fast = try Scenario(toml: scenario(medium: #""1""#, initial: #"rho = "1 + 50*(1 + 0.5*cos(2*pi*x2))*exp(-200*sin(pi*(y1 - 0.3))^2)""#,
                                               epsilon: "1/4", cells: 4))
        let m = try bump(200, 0.3, 0, 1)
        let rhoBar = fast.lowered().fastAverageCellMasses(of: fast.lowered().rho0, cells: 4)
        for i in 0..<4 {
            let lo = Double(i) / 4
            let mass = (0.25 * (1 + 50 * m) + 25 * m * (sin(2 * .pi * (lo + 0.25)) - sin(2 * .pi * lo)) / (2 * .pi)) / 16 / (1 + 50 * m)
            for j in 0..<4 { XCTAssertEqual(rhoBar[(j * 4 + i) * 4 + (3 - j)], mass, accuracy: 1e-8 * mass, "x2 cell \(i)") }
        }
    }

    /// B = 1, π = 1, ρ0 = 1 + ½ cos 2πx1 cos 2πx2 cos 2πx3: the mode is an eigenvector of every
    /// line operator, so each step multiplies its cell averages by (1 + dt λ_h)^{-3} exactly,
    /// λ_h = (4/h²) sin²(πh), and the initial cell averages carry (sin πh / πh)³. The solver must
    /// match that to round-off — through the three permuted line solves — and the PDE's
    /// e^{-12π² t} to the scheme's O(h² + dt).
    func testFokkerPlanck3DSeparableModeDecaysExactly() throws {
        let s = try Scenario(toml: scenario(medium: #""1""#, initial: #"rho = "1 + 0.5*cos(2*pi*x1)*cos(2*pi*x2)*cos(2*pi*x3)""#,
                                            epsilon: "1", final: 0.005, outputs: "[0.005]", dt: 1e-4, cells: 16))
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(resolution: 16))
        let n = solver.grid.n, h = 1 / Double(n)
        XCTAssertEqual(n, 16)
        let r = try solver.run()
        let lambda = 4 / (h * h) * pow(sin(Double.pi * h), 2)
        let amplification = pow(1 + 1e-4 * lambda, -3 * Double(r.steps))
        let average = pow(sin(Double.pi * h) / (Double.pi * h), 3)
        let centres = solver.grid.centres
        var worst = 0.0, worstPDE = 0.0
        for i in 0..<solver.grid.count {
            let mode = (0..<3).reduce(0.5) { $0 * cos(2 * Double.pi * centres[$1][i]) }
            let rho = r.snapshots[0].solverDensity[i]
            worst = max(worst, abs(rho - (1 + average * amplification * mode)))
            worstPDE = max(worstPDE, abs(rho - (1 + exp(-12 * Double.pi * Double.pi * 0.005) * mode)))
        }
        XCTAssertEqual(r.steps, 50)
        XCTAssertLessThan(worst, 1e-12)
        // O(h²): 3(πh)²/6 ≈ 0.019 relative from the cell averages and (πh)²/3 · 12π² t ≈ 0.008 from
        // the operator; O(dt): 3 (t/dt) (4π² dt)²/2 ≈ 0.001; about 0.03 of the amplitude 0.5 e^{-0.59} ≈ 0.28.
        XCTAssertLessThan(worstPDE, 0.28 * 0.12)
        XCTAssertGreaterThan(worstPDE, 1e-4)   // the discretisation is seen, so the tolerance means something
    }

    /// The line solves run block by block on any number of threads (x2 lines in place, x3 lines
    /// through transposed slabs; in 2D the x2 lines through one transposed slab): one thread and
    /// three give the same bits, in 3D and in 2D.
    func testLineSolvesDoNotDependOnTheThreadCount() throws {
        let three = try Scenario(toml: scenario(pi: oscillatoryPi, initial: #"rho = "exp(cos(2*pi*x1)*cos(2*pi*x2)*cos(2*pi*x3))""#,
                                                final: 0.004, outputs: "[0.004]", dt: 1e-3, cells: 4))
        let two = try Scenario.load(path: repositoryRoot.appendingPathComponent("scenarios/oscillatory-2d.toml").path)
        for s in [three, two] {
            let runs = try [1, 3].map { try FokkerPlanckSolver(scenario: s, options: .init(resolution: 8, threads: $0)).run() }
            XCTAssertEqual(runs[0].snapshots.last!.solverDensity, runs[1].snapshots.last!.solverDensity, "\(s.dimension)")
        }
    }

    /// A full 3D medium (the nineteen-point scheme): started at π_ε, the ε-solution stays there to
    /// round-off, and from a peaked density mass is conserved to round-off and the free energy
    /// decreases; the homogenised solver, whose A_hom from the 3D cell problem has cross terms,
    /// keeps π̄ and mass the same way.
    func testFokkerPlanck3DFullTensorKeepsPiEpsAndMass() throws {
        let s = try Scenario(toml: scenario(medium: fullMedium, pi: oscillatoryPi, final: 0.004, outputs: "[0.002, 0.004]", dt: 1e-3, cells: 4))
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(resolution: 4))
        XCTAssertNotNil(solver.operatorK.diagonalWeights)
        XCTAssertEqual(solver.operatorK.diagonalWeights?.count, 6)
        XCTAssertTrue(solver.warnings.isEmpty, "\(solver.warnings)")  // diagonally dominant: an M-matrix
        let r = try solver.run()
        XCTAssertLessThan(zip(r.snapshots.last!.solverDensity, solver.pi).map { abs($0 - $1) / $1 }.max()!, 1e-12)
        XCTAssertLessThan(r.massDrift, 1e-13)
        XCTAssertTrue(r.timeStepping.contains("nineteen-point"), r.timeStepping)
        let peaked = try Scenario(toml: scenario(medium: fullMedium, pi: oscillatoryPi,
                                                 initial: #"rho = "exp(3*cos(2*pi*x1)*cos(2*pi*x2)*cos(2*pi*x3))""#,
                                                 final: 0.004, outputs: "[0.0, 0.002, 0.004]", dt: 1e-3, cells: 4))
        for equation in FokkerPlanckSolver.Equation.allCases {
            let run = try FokkerPlanckSolver(scenario: peaked, options: .init(equation: equation, resolution: 4)).run()
            XCTAssertLessThan(run.massDrift, 1e-12, "\(equation)")
            XCTAssertGreaterThan(run.minimumDensity, 0, "\(equation)")
            XCTAssertLessThan(run.snapshots[2].energy, run.snapshots[1].energy, "\(equation)")
            XCTAssertLessThan(run.snapshots[1].energy, run.snapshots[0].energy, "\(equation)")
            XCTAssertTrue(run.timeStepping.contains("nineteen-point"), "\(equation): \(run.timeStepping)")
        }
    }

    /// A positive definite medium whose conductivity is not diagonally dominant: the nineteen-point
    /// operator is not an M-matrix, and the solver says so up front, naming a face and its
    /// entries (B = 2.5 I − (0.6/0.88) 11ᵀ, so that k = B⁻¹ = [[1, 0.6, 0.6], [0.6, 1, 0.6],
    /// [0.6, 0.6, 1]], positive definite: k11 = 1 < |k12| + |k13| = 1.2, axis weights negative).
    func testNineteenPointSchemeWarnsWhereItIsNotAnMMatrix() throws {
        let d = "\(2.5 - 0.6 / 0.88)", o = "\(-0.6 / 0.88)"
        let b = "[[\"\(d)\", \"\(o)\", \"\(o)\"], [\"\(o)\", \"\(d)\", \"\(o)\"], [\"\(o)\", \"\(o)\", \"\(d)\"]]"
        let s = try Scenario(toml: scenario(medium: b, final: 0.002, outputs: "[0.002]", dt: 1e-3, cells: 4))
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(resolution: 4))
        XCTAssertEqual(solver.warnings.count, 1)
        let w = solver.warnings.first ?? ""
        XCTAssertTrue(w.contains("the nineteen-point operator is not an M-matrix"), w)
        // All faces tie (k is constant); the worst named is one of them, with both cross terms.
        XCTAssertTrue(w.contains(" = 1 < |k") && w.contains("| = 1.2 "), w)
        let balanced = try Scenario(toml: scenario(medium: #"[["2", "0.3", "0.2"], ["0.3", "2", "0.1"], ["0.2", "0.1", "1.5"]]"#,
                                                   final: 0.002, outputs: "[0.002]", dt: 1e-3, cells: 4))
        XCTAssertTrue(try FokkerPlanckSolver(scenario: balanced, options: .init(resolution: 4)).warnings.isEmpty)
    }

    /// A constant full conductivity k = B⁻¹ with π = 1 and ρ0 = 1 + ½ cos 2π(x1 + x2 − x3): the
    /// mode is an eigenvector of the translation-invariant nineteen-point operator, with eigenvalue
    /// Σ_a w_a (2 − 2cos θ_a) + Σ_{a<b} w_ab± (2 − 2cos(θ_a ± θ_b)) over h², θ = 2πh (1, 1, −1),
    /// axis weights w_a = k_aa − Σ_b |k_ab| and diagonal weights |k_ab| on the diagonal of
    /// sign k_ab. Each backward-Euler step divides the mode by 1 + dt λ exactly (to the conjugate
    /// gradients' tolerance), and λ approaches the PDE's 4π² qᵀkq, q = (1, 1, −1), at O(h²).
    func testFokkerPlanck3DFullTensorModeDecaysByTheSchemeEigenvalue() throws {
        let b = #"[["2", "0.5", "0.3"], ["0.5", "2", "-0.4"], ["0.3", "-0.4", "1.5"]]"#
        let s = try Scenario(toml: scenario(medium: b, initial: #"rho = "1 + 0.5*cos(2*pi*(x1 + x2 - x3))""#,
                                            epsilon: "1", final: 0.002, outputs: "[0.002]", dt: 1e-4, cells: 16))
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(resolution: 16))
        let n = solver.grid.n, h = 1 / Double(n)
        let k = SymmetricMatrix(upper: [2, 0.5, 0.3, 2, -0.4, 1.5], dimension: 3).inverse!
        let theta = [1.0, 1, -1].map { 2 * Double.pi * h * $0 }
        var lambda = 0.0
        for a in 0..<3 {
            let w = k[a, a] - (0..<3).filter { $0 != a }.reduce(0.0) { $0 + abs(k[a, $1]) }
            lambda += w * (2 - 2 * cos(theta[a]))
            for bb in (a + 1)..<3 {
                let angle = k[a, bb] >= 0 ? theta[a] + theta[bb] : theta[a] - theta[bb]
                lambda += abs(k[a, bb]) * (2 - 2 * cos(angle))
            }
        }
        lambda /= h * h
        let r = try solver.run()
        XCTAssertEqual(r.steps, 20)
        let amplification = pow(1 + 1e-4 * lambda, -Double(r.steps))
        let average = pow(sin(Double.pi * h) / (Double.pi * h), 3)
        let centres = solver.grid.centres
        var worst = 0.0
        for i in 0..<solver.grid.count {
            let mode = 0.5 * cos(2 * Double.pi * (centres[0][i] + centres[1][i] - centres[2][i]))
            worst = max(worst, abs(r.snapshots[0].solverDensity[i] - (1 + average * amplification * mode)))
        }
        XCTAssertLessThan(worst, 1e-10)
        let q = [1.0, 1, -1]
        let exact = 4 * Double.pi * Double.pi * (0..<3).reduce(0.0) { s, a in (0..<3).reduce(s) { $0 + q[a] * k[a, $1] * q[$1] } }
        // O(h²): the largest angle is 2θ = 4πh, (4πh)²/12 ≈ 0.05 relative at n = 16.
        XCTAssertEqual(lambda / exact, 1, accuracy: 0.06)
        XCTAssertNotEqual(lambda / exact, 1, accuracy: 1e-3)
    }

    // MARK: - closed forms

    /// B = diag(b1(y1), b2(y2), b3(y3)), π = 1: the correctors separate and A_hom is the diagonal
    /// of harmonic means of D = B⁻¹, A_kk = ⟨b_k⟩⁻¹; with π = (1 + 0.3 cos 2πy2) the second entry is
    /// B̄_22 = ⟨(3 + cos)/(1 + 0.3 cos)⟩ (trapezoidal rule, spectrally exact for this periodic integrand).
    func testSeparableMediumGivesTheDiagonalOfHarmonicMeans() throws {
        let e = try EffectiveCoefficients.compute(Scenario(toml: scenario()))
        XCTAssertTrue(e.method.contains("separable"), e.method)
        let expected = [1 / 2.0, 0, 0, 0, 1 / 3.0, 0, 0, 0, 1 / 1.5]
        for (a, b) in zip(e.aHom[0], expected) { XCTAssertEqual(a, b, accuracy: 1e-13) }
        XCTAssertEqual(e.aHomLower!, e.aHomUpper!)
        let weighted = try EffectiveCoefficients.compute(Scenario(toml: scenario(pi: "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.3*cos(2*pi*y2))")))
        let m = 4096
        let trapezoid = (0..<m).reduce(0.0) { s, i in
            let c = cos(2 * Double.pi * Double(i) / Double(m))
            return s + (3 + c) / (1 + 0.3 * c) / Double(m)
        }
        XCTAssertEqual(weighted.bBar[0][4], trapezoid, accuracy: 1e-12)
        XCTAssertEqual(weighted.bBar[0][0], 2, accuracy: 1e-13)
        XCTAssertEqual(weighted.bBar[0][8], 1.5, accuracy: 1e-13)
    }


    /// A separable medium with a 1 % layer in b1 (contrast 10, between Gauss–Kronrod nodes):
    /// A11 = ⟨b1⟩⁻¹ = 1/1.09 to round-off (QAG alone gave 1).
    func testSeparableMediumWithAThinLayer() throws {
        let medium = #"["1 + 9*floor(mod(y1 + 0.123, 1) + 0.01)", "3 + cos(2*pi*y2)", "2"]"#
        let e = try EffectiveCoefficients.compute(Scenario(toml: scenario(medium: medium)))
        XCTAssertTrue(e.method.contains("separable") && e.method.contains("jumps"), e.method)
        for (a, b) in zip(e.aHom[0], [1 / 1.09, 0, 0, 0, 1 / 3.0, 0, 0, 0, 0.5]) { XCTAssertEqual(a, b, accuracy: 1e-13) }
    }
    /// A full 3D laminate (π and B depend on y1 only): A_hom by the laminate formula lies between
    /// the Reuss and Voigt bounds ⟨D⁻¹⟩⁻¹ ≤ A_hom ≤ ⟨D⟩ in the Loewner order (checked along 200
    /// directions), and strictly below the Voigt bound along the layers, where the fields vary.
    func testLaminate3DLiesBetweenTheReussAndVoigtBounds() throws {
        let medium = #"[["2 + sin(2*pi*y1)", "0.4*cos(2*pi*y1)", "0.3*sin(2*pi*y1)"], ["0.4*cos(2*pi*y1)", "2", "0.2"], ["0.3*sin(2*pi*y1)", "0.2", "1.5 + 0.5*cos(2*pi*y1)"]]"#
        let s = try Scenario(toml: scenario(medium: medium, pi: "1 + 0.5*cos(2*pi*y1)"))
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertTrue(e.method.contains("laminate"), e.method)
        let a = SymmetricMatrix(rowMajor: e.aHom[0], dimension: 3)
        // The bounds by the trapezoidal rule over y1 (spectrally exact for these periodic fields).
        let f = s.lowered()
        let m = 2048, z = s.facts.equilibriumMass
        var voigt = [Double](repeating: 0, count: 9), reussInverse = voigt
        for i in 0..<m {
            let t = Double(i) / Double(m)
            let v = f.graph.evaluate([f.pi] + f.medium, at: [0.3, 0.3, 0.3, t, 0, 0])
            let d = (v[0] / z) * SymmetricMatrix(upper: Array(v[1...]), dimension: 3).inverse!
            let dInverse = d.inverse!
            for k in 0..<9 { voigt[k] += d.rowMajor[k] / Double(m); reussInverse[k] += dInverse.rowMajor[k] / Double(m) }
        }
        let reuss = SymmetricMatrix(rowMajor: reussInverse, dimension: 3).inverse!
        for k in 0..<200 {
            let theta = Double(k) * 0.7, phi = Double(k) * 1.3
            let v = [sin(theta) * cos(phi), sin(theta) * sin(phi), cos(theta)]
            func form(_ m: SymmetricMatrix) -> Double { (0..<3).reduce(0.0) { s, i in (0..<3).reduce(s) { $0 + m[i, $1] * v[i] * v[$1] } } }
            XCTAssertGreaterThanOrEqual(form(a), form(reuss) * (1 - 1e-12), "v = \(v)")
            XCTAssertLessThanOrEqual(form(a), form(SymmetricMatrix(rowMajor: voigt, dimension: 3)) * (1 + 1e-12), "v = \(v)")
        }
        // Strictly inside for this medium: the fields vary, so neither bound is attained in every direction.
        XCTAssertGreaterThan(SymmetricMatrix(rowMajor: voigt, dimension: 3)[1, 1] - a[1, 1], 1e-4)
    }

    // MARK: - transport and compare

    /// The geodesic ground cost of W̄ in 3D (Dijkstra on the reach-3 metric graph): for a constant
    /// full metric the straight segment is the geodesic, and every pair of centres of a 4³ grid
    /// is joined along a stencil direction, so the squared distances equal the minimum-image
    /// quadratic form ⟨B̄(Δ + k), Δ + k⟩ to round-off; the exact transport between two 3D
    /// cell-centre measures with this cost then equals the one with `TorusCost(metric:)`'s form.
    func testGeodesicCostIn3DIsExactForAConstantMetric() throws {
        let b = SymmetricMatrix(upper: [2, 0.3, -0.2, 1, 0.1, 3], dimension: 3)
        let inverse = b.inverse!.rowMajor
        let cost = try GeodesicTorusCost(cells3D: 4) { _ in inverse }
        let dim = TorusDimension.three
        var worst = 0.0
        for a in 0..<64 {
            for c in 0..<64 {
                let ia = dim.indices(ofCell: a, perAxis: 4), ic = dim.indices(ofCell: c, perAxis: 4)
                var best = Double.infinity
                for image in 0..<27 {
                    let k = dim.indices(ofCell: image, perAxis: 3).map { $0 - 1 }
                    let delta: [Double] = (0..<3).map { a -> Double in Double(ic[a] - ia[a] + 4 * k[a]) / 4 }
                    var form = 0.0
                    for i in 0..<3 { for j in 0..<3 { form += b[i, j] * delta[i] * delta[j] } }
                    best = min(best, form)
                }
                worst = max(worst, abs(cost.squared[a * 64 + c] - best) / max(best, 1e-300))
            }
        }
        XCTAssertLessThan(worst, 1e-12)
        let x = TorusMeasure(cellMasses: (0..<64).map { 1 + 0.5 * sin(Double($0)) }, cells: 4, dimension: 3)
        let y = TorusMeasure(cellMasses: (0..<64).map { 1 + 0.5 * cos(Double($0)) }, cells: 4, dimension: 3)
        let geodesic = try Transport.distance(.points(x), .points(y), cost: .points(cost)).distance
        XCTAssertGreaterThan(geodesic, 0)
        XCTAssertEqual(geodesic, try ExactTransport.distance(x, y, cost: ExplicitCost(dimension: 3, matrix: b)), accuracy: 1e-12)
    }

    /// Densities of n³ cells: a floor plus periodic Gaussian bumps [c1, c2, c3, width, height]
    /// (as make_pot_grid3d_reference.py).
    static func bumps(_ spec: [String: Any], _ n: Int) -> [Double] {
        let floor = spec["floor"] as! Double, bumps = spec["bumps"] as! [[Double]]
        return (0..<(n * n * n)).map { cell in
            let index = TorusDimension.three.indices(ofCell: cell, perAxis: n)
            return bumps.reduce(floor) { v, b in
                let r2 = (0..<3).reduce(0.0) { s, a in
                    var d = abs((Double(index[a]) + 0.5) / Double(n) - b[a]); d = min(d, 1 - d)
                    return s + d * d
                }
                return v + b[4] * exp(-r2 / (2 * b[3] * b[3]))
            }
        }
    }

    /// The 3D back-and-forth W2: densities of one variable give the 2D method's value (the same
    /// one-dimensional problem) and the exact circle value within the grid's 1 %; a translated
    /// bump approaches |v| as the grid is refined; far-apart bumps are within 2 % of POT's exact
    /// emd2 between the cell-centre measures at 16³ (for nearby densities the cell-centre problem
    /// is O(h) away from W2 between the densities, as in 2D: `GridWassersteinTests`).
    func testGridW2In3D() throws {
        let n = 16
        let profile = (0..<n).map { 1 + 0.5 * cos(2 * Double.pi * (Double($0) + 0.5) / Double(n)) }
        let moved = (0..<n).map { 1 + 0.5 * cos(2 * Double.pi * ((Double($0) + 0.5) / Double(n) - 0.1)) }
        for axis in 0..<3 {
            func along(_ f: [Double]) -> [Double] { (0..<(n * n * n)).map { f[TorusDimension.three.indices(ofCell: $0, perAxis: n)[axis]] } }
            let w3 = try GridWasserstein.distance(along(profile), along(moved), shape: [n, n, n]).distance
            let w2 = try GridWasserstein.distance((0..<(n * n)).map { profile[$0 / n] }, (0..<(n * n)).map { moved[$0 / n] }, n1: n, n2: n).distance
            let exact = try Transport.distance(.circleCells(profile), .circleCells(moved)).distance
            // The same one-dimensional problem; the iterations stop on a stall, not at the solution.
            XCTAssertEqual(w3, w2, accuracy: 1e-3 * w2, "axis \(axis)")
            XCTAssertEqual(w3, exact, accuracy: 0.01 * exact, "axis \(axis)")
        }
        let shift = (0.2 * 0.2 + 0.1 * 0.1 + 0.1 * 0.1).squareRoot()
        let errors = try [16, 32].map { m in
            abs(try GridWasserstein.distance(Self.bumps(["floor": 0.0, "bumps": [[0.3, 0.3, 0.3, 0.1, 1.0]]], m),
                                             Self.bumps(["floor": 0.0, "bumps": [[0.5, 0.2, 0.4, 0.1, 1.0]]], m), shape: [m, m, m]).distance - shift)
        }
        XCTAssertLessThan(errors[1], errors[0])
        XCTAssertLessThan(errors[1], 0.05 * shift)
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_grid3d_reference.json")
        let grids = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["grids"] as! [[String: Any]]
        let far = try XCTUnwrap(grids.first { $0["name"] as! String == "bumps" })
        let w = try GridWasserstein.distance(Self.bumps(far["a"] as! [String: Any], 16), Self.bumps(far["b"] as! [String: Any], 16),
                                             shape: [16, 16, 16]).distance
        XCTAssertEqual(w, far["w2"] as! Double, accuracy: 0.02 * (far["w2"] as! Double))
    }

    /// Exact W2 between point clouds of the flat 3D torus (LEMON's network simplex, minimum-image
    /// cost) against POT's `emd2` on the stored cases (make_pot_points3d_reference.py): uniform and
    /// general weights, and clouds that meet across the seam; both solvers are exact, so they agree
    /// to round-off. A non-flat cost on 3D points is refused.
    func testExactTransportBetween3DPointClouds() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_points3d_reference.json")
        let cases = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let a = TorusMeasure(points: c["a"] as! [Double], weights: c["wa"] as? [Double], dimension: 3)
            let b = TorusMeasure(points: c["b"] as! [Double], weights: c["wb"] as? [Double], dimension: 3)
            let w = try Transport.distance(.points(a), .points(b)).distance
            XCTAssertEqual(w, c["w2"] as! Double, accuracy: 1e-9, c["name"] as! String)
        }
        let a = TorusMeasure(points: [0.1, 0.2, 0.3], weights: nil, dimension: 3)
        XCTAssertThrowsError(try Transport.distance(.points(a), .points(a), cost: .metric(.diagonal(1, 2))))
    }

    /// `compare` in 3D at its defaults (time-step control, checked reference, grid W2 bootstrap and
    /// chi-square): the particles of the scenario agree with its ε-PDE; particles of the same run
    /// with π lacking its fast factor are told apart (8 cells per axis, a quarter ε-period each, so
    /// the factor shows in the cell masses; ρ0 = f π_ε carries it from the start).
    func testCompareIn3DAgreesAndHasPower() throws {
        let text = scenario(pi: "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y2))",
                            initial: #"f = "1 + 0.8*cos(2*pi*x1)*cos(2*pi*x3)""#, final: 0.01, outputs: "[0.01]",
                            dt: 1e-4, count: 40000, cells: 8)
        var o = Comparison.Options()
        o.threads = 2
        let right = try Comparison(scenario: Scenario(toml: text), options: o).run()
        XCTAssertTrue(right.consistent, "\(right.rows.map { ($0.pValueParticlesEpsilon, $0.chi2PValueParticlesEpsilon) })")
        XCTAssertTrue(right.referenceCheck!.passed)
        let other = try Scenario(toml: text.replacingOccurrences(of: "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y2))",
                                                                  with: "1 + 0.5*cos(2*pi*x1)"))
        let particles = try ParticleSampler(scenario: other.replacing(time: TimeSettings(final: 0.01, outputs: [0.01], dt: 2e-5)),
                                            options: .init(threads: 2)).run()
        var given = o
        given.checkTimeStep = false
        let wrong = try Comparison(scenario: Scenario(toml: text), options: given).run(particles: particles)
        XCTAssertFalse(wrong.consistent)
    }
}

/// The minimum-image quadratic form of a constant 3D metric between measure points, written out
/// independently of `GeodesicTorusCost`.
private struct ExplicitCost: PointCost {
    let dimension: Int
    let matrix: SymmetricMatrix
    func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        var c = [Double](repeating: 0, count: x.count * y.count)
        for i in 0..<x.count {
            for j in 0..<y.count {
                var best = Double.infinity
                for image in 0..<27 {
                    let k = TorusDimension.three.indices(ofCell: image, perAxis: 3).map { Double($0 - 1) }
                    let d: [Double] = (0..<3).map { a -> Double in y.points[3 * j + a] - x.points[3 * i + a] + k[a] }
                    var form = 0.0
                    for a in 0..<3 { for b in 0..<3 { form += matrix[a, b] * d[a] * d[b] } }
                    best = min(best, form)
                }
                c[i * y.count + j] = best
            }
        }
        return c
    }
}
