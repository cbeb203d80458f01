import Foundation

/// Whether the ε-PDE solution that `compare` tests the particles against is accurate enough for
/// the run: its discretisation error must be small against the Monte Carlo noise of N particles,
/// or a correct sampler is called different (and a wrong one may be called consistent).
///
/// The solver (`FokkerPlanckSolver`) is second order in space and first order in time (backward
/// Euler). A solve S_k on n 2^k solver cells per axis and step dt / 2^k is checked against S_{k+1}: when
/// refining halves both errors or better, the error of S_k is at most twice the difference,
///
///     e_k ≤ 2 (m_k − m_{k+1})   (cell masses on the output grid),
///
/// and that bound is judged as the sampler's bias is (`TestedScales`): the shift λ = N Σ e²/p it
/// would give the run's chi-square statistics, at every output time and every scale from the output
/// grid to four cells per axis, must stay below κ √(2(k − 1)) with κ = 1/16 — a quarter of the
/// sampler's share, so that the two errors together shift a test by at most about half a null
/// standard deviation. S_k is then the reference. If not, the check refines (R and dt together) up
/// to `maximumRefinements` times; past that the finest solve is the reference and the report
/// says it is not converged.
public struct ReferenceCheck {
    /// One solve checked against the next finer one.
    public struct Level: Codable, Sendable, Equatable {
        /// Requested cells per ε-period, the solver's cells per axis, and its step.
        public let resolution: Int
        public let solverCells: Int
        public let dt: Double
        /// The bound's largest λ / allowed shift over output times and scales (at most 1: passes).
        public let ratio: Double
        /// Where that largest ratio is: output time and coarsening (output cells merged per axis).
        public let worstTime: Double
        public let worstCoarsening: Int
        /// Largest |e| of a cell mass (probability units).
        public let largestError: Double
        public var passes: Bool { ratio <= 1 }
    }

    public struct Report: Codable, Sendable, Equatable {
        /// The reference used: cells per ε-period, solver cells per axis and step.
        public let resolution: Int
        public let solverCells: Int
        public let dt: Double
        /// True when the reference's error bound is small against the run's noise.
        public let passed: Bool
        /// Every solve checked, coarsest first.
        public let levels: [Level]
        /// The particle count N whose noise the error is judged against.
        public let particles: Int
        /// Seconds of all ε-PDE solves (the reference included).
        public let seconds: Double
        /// Why the refinement stopped short of a passing solve, when the solver cannot refine
        /// further (its grid limits).
        public let stoppedBecause: String?
    }

    /// κ: the largest shift of a chi-square statistic, in null standard deviations, that the
    /// reference's error may cause.
    public static let tolerance = 1.0 / 16

    public let scenario: Scenario
    /// N: the particles of the run.
    public let particles: Int

    public init(scenario: Scenario, particles: Int) {
        self.scenario = scenario
        self.particles = particles
    }

    /// Refinements allowed past the first solve: 4 in 1D (cheap line solves), 1 in 2D (each costs
    /// about 8 times the previous solve), 1 in 3D (each costs about 16 times the previous one).
    public static func maximumRefinements(dimension: TorusDimension) -> Int {
        switch dimension {
        case .one: return 4
        case .two: return 1
        case .three: return 1
        }
    }

    /// Solves (through `solve(resolution, dt)`), refining until the error bound passes or the
    /// refinements run out; returns the reference and the report.
    public func run(resolution r0: Int, dt dt0: Double, maximumRefinements: Int? = nil,
                    solve: (Int, Double) throws -> FokkerPlanckResult) throws -> (FokkerPlanckResult, Report) {
        let limit = maximumRefinements ?? Self.maximumRefinements(dimension: scenario.dimension)
        var resolution = r0, dt = dt0
        var current = try solve(resolution, dt)
        var seconds = current.seconds
        var levels: [Level] = []
        var stopped: String?
        for _ in 0...limit {
            // Twice the solver's own cells per axis (a multiple of ε-periods and output cells, so the
            // finer grid nests in the coarser and its solution averages onto it exactly).
            let finerResolution = 2 * current.solverCells / scenario.inverseEpsilon
            let finer: FokkerPlanckResult
            do {
                finer = try solve(finerResolution, dt / 2)
            } catch let e as SolverError where e.isOutOfRange {
                stopped = "the solver cannot refine to \(finerResolution) cells per period: \(e)"
                break
            }
            seconds += finer.seconds
            let level = judge(current, finer, resolution: resolution)
            levels.append(level)
            if level.passes {
                return (current, Report(resolution: resolution, solverCells: current.solverCells, dt: dt, passed: true,
                                        levels: levels, particles: particles, seconds: seconds, stoppedBecause: nil))
            }
            resolution = finerResolution; dt /= 2
            current = finer
        }
        return (current, Report(resolution: resolution, solverCells: current.solverCells, dt: dt, passed: false,
                                levels: levels, particles: particles, seconds: seconds, stoppedBecause: stopped))
    }

    /// The error bound 2 (m_coarse − m_fine) of `coarse`, judged at every output time and scale.
    public func judge(_ coarse: FokkerPlanckResult, _ fine: FokkerPlanckResult, resolution: Int) -> Level {
        let s = scenario
        let volume = s.dimension.volume(side: 1 / Double(s.cells))
        var worst = (ratio: -Double.infinity, time: 0.0, coarsening: 1)
        var largest = 0.0
        for k in s.time.outputs.indices {
            let a = coarse.snapshots[k].density, b = fine.snapshots[k].density
            let error = zip(a, b).map { 2 * ($0 - $1) * volume }
            largest = max(largest, error.map(abs).max() ?? 0)
            for c in TestedScales.coarsenings(cells: s.cells) {
                let groups = TestedScales.Groups(cells: s.cells, dimension: s.dimension, coarsening: c,
                                                 particles: particles) { max(b[$0] * volume, 0) }
                let e = groups.sum(error)
                var lambda = 0.0
                for g in 0..<groups.count where groups.probability[g] > 0 {
                    lambda += Double(particles) * e[g] * e[g] / groups.probability[g]
                }
                let ratio = lambda / TestedScales.threshold(groups: groups.count, tolerance: Self.tolerance)
                if ratio > worst.ratio { worst = (ratio, s.time.outputs[k], c) }
            }
        }
        return Level(resolution: resolution, solverCells: coarse.solverCells, dt: coarse.dt, ratio: worst.ratio,
                     worstTime: worst.time, worstCoarsening: worst.coarsening, largestError: largest)
    }
}
