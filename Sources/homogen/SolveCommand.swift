import ArgumentParser
import Foundation
import Homogen

/// Options shared by `solve` and `bench-solve`.
struct SolverOptionGroup: ParsableArguments {
    @Option(help: "Which equation: epsilon (2.4) or homogenised (2.24).")
    var equation: FokkerPlanckSolver.Equation = .epsilon

    @Option(parsing: .unconditional, help: "Output cells per dimension (default: [grid] cells).", transform: parseCount)
    var cells: Int?

    @Option(parsing: .unconditional, help: "Solver cells per epsilon-period (default 32 in 1D, 16 in 2D, 8 in 3D; the homogenised equation by default on at most 512, 128 or 32 cells per side, whatever eps).", transform: parseCount)
    var resolution: Int?

    @Option(parsing: .unconditional, help: "Time step of the implicit solver (default: the scenario's [time] dt).", transform: parsePositive)
    var dt: Double?

    @Option(parsing: .unconditional, help: "Threads for the 2D and 3D line solves (default: all cores).", transform: parseCount)
    var threads: Int?

    func options() -> FokkerPlanckSolver.Options {
        var o = FokkerPlanckSolver.Options(equation: equation, resolution: resolution, cells: cells, dt: dt)
        if let threads { o.threads = max(1, threads) }
        return o
    }
}

extension FokkerPlanckSolver.Equation: ExpressibleByArgument {}
extension TorusDimension: ExpressibleByArgument {}

struct SolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve the epsilon- or homogenised Fokker–Planck equation and write densities, energy and dissipation to a run folder.")

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @OptionGroup var solver: SolverOptionGroup

    @Option(help: "Run folder to create (default: runs/NAME-solve-EQUATION-TIMESTAMP).")
    var out: String?

    @Flag(name: [.short, .long], help: "No progress bar.")
    var quiet = false

    func run() throws {
        Interrupts.install("solve", safePoints: false)
        let s = try Scenario.load(path: scenario)
        let folder = out ?? defaultRunFolder(s, "solve-\(solver.equation.rawValue)")
        try OutputFolder.check(folder, estimatedBytes: OutputFolder.estimate(s, columns: 4))
        // The set-up (cell averages, face weights, and for the homogenised equation the effective
        // coefficients) can take seconds in 3D: say so before it starts.
        if !quiet {
            printError("solve: setting up the \(solver.equation.rawValue) equation"
                       + (solver.equation == .homogenised ? " (effective coefficients, grid and initial data)" : " (grid and initial data)"))
        }
        let setUpStart = Date()
        let fp = try FokkerPlanckSolver(scenario: s, options: solver.options())
        let setUp = Date().timeIntervalSince(setUpStart)
        for w in fp.warnings { printError("solve: warning: \(w)") }
        if let note = conventionNote(s) { printError("solve: note: \(note)") }
        let fraction = ProgressFraction()
        let bar = quiet ? nil : ProgressBar(label: "solving", progress: { fraction.value })
        let result = try fp.run { fraction.value = $0 }
        bar?.finish()
        for w in result.warnings where !fp.warnings.contains(w) { printError("solve: warning: \(w)") }
        if let w = result.balanceWarning { printError("solve: warning: \(w)") }
        let summary = try SolveRunFolder.write(result, to: folder)
        // The homogenised equation does not oscillate: its cells per ε-period say nothing.
        let perPeriod = result.equation == .epsilon ? " (\(summary.cellsPerEpsilonPeriod) per eps-period)" : ""
        print("scenario \(s.name): \(s.dimension)D, eps = \(s.epsilonText), \(result.equation.rawValue) equation, "
              + "\(result.solverCells) solver cells\(s.dimension == .one ? "" : " per side")\(perPeriod), "
              + "\(result.steps) steps of dt = \(result.dt)")
        print("     t         energy            psi       psi_star  balance_resid    min_rho")
        for o in summary.outputs {
            print(String(format: "%6.4g  %13.6e  %13.6e  %13.6e  %13.6e  %9.4g", o.t, o.energy ?? .nan, o.psi ?? .nan,
                         o.psiStar ?? .nan, o.balanceResidual ?? .nan, o.minimumDensity))
        }
        print(String(format: "mass drift %.2e, ", result.massDrift) + formatSeconds(result.seconds) + " stepping, "
              + formatSeconds(setUp) + " set-up")
        print("run folder: \(folder)")
    }
}

/// A fraction in [0, 1] shared between a running solver and the progress bar.
final class ProgressFraction: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0.0
    var value: Double {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

struct BenchSolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-solve",
        abstract: "Time the Fokker–Planck solver on the peer benchmark problems (fp_scipy.py 1 and 2, scripts/fp_scipy_3d.py).",
        discussion: """
            1D: bench-1d medium at eps = 1/64, 2048 cells, 1000 steps to t = 1, rho0 = 1 + 0.9 cos(2 pi x).
            2D: bench-2d medium at eps = 1/16, 256 x 256 cells, 1000 steps to t = 0.1, rho0 = 1 + 0.9 cos(2 pi x1) cos(2 pi x2).
            3D: bench-3d medium at eps = 1/8, 64 x 64 x 64 cells, 100 steps to t = 0.01 (use --steps 100), rho0 = 1 + 0.9 cos cos cos.
            Prints the stepping seconds (after set-up), the mass drift and the smallest final density.
            scripts/bench-solver.sh runs it beside the peer and compares both with a fine reference.
            """)

    @Argument(help: "1, 2 or 3.")
    var dimension: TorusDimension

    @Option(help: "Time steps (default 1000, as the peer).")
    var steps = 1000

    @Option(parsing: .unconditional, help: "Solver cells per eps-period (default 32 in 1D, 16 in 2D, 8 in 3D: the peers' grids).", transform: parseCount)
    var resolution: Int?

    @Option(help: "Write the final density, on the peer's grid, to this file (one value per line, x1 slowest).")
    var saveDensity: String?

    @Option(parsing: .unconditional, help: "Threads for the 2D and 3D line solves (default: all cores).", transform: parseCount)
    var threads: Int?

    @Flag(inversion: .prefixedNo, help: "Track the free energy and dissipation every step (the peer does not; off by default).")
    var energy = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be positive") }
    }

    func run() throws {
        let (s, defaultResolution) = try BenchmarkProblems.solverProblem(dimension: dimension)
        var o = FokkerPlanckSolver.Options(resolution: resolution ?? defaultResolution, dt: s.time.final / Double(steps),
                                           trackEnergy: energy)
        if let threads { o.threads = max(1, threads) }
        let r = try FokkerPlanckSolver(scenario: s, options: o).run()
        let final = r.snapshots.last!
        print("homogen-fv dim=\(dimension) cells=\(r.solverCells) steps=\(r.steps) seconds=\(String(format: "%.4f", r.seconds)) "
              + "mass_drift=\(String(format: "%.2e", r.massDrift)) min_rho=\(String(format: "%.4f", final.minimumDensity))")
        if let saveDensity {
            try AtomicFile.write(Data((final.density.map { "\($0)" }.joined(separator: "\n") + "\n").utf8), to: saveDensity)
        }
    }
}
