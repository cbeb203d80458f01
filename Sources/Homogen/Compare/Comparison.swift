import Foundation

/// The main job (`homogen compare`): run the particle sampler, the ε-Fokker–Planck solver and
/// the homogenised solver on one scenario and compare them at every output time with
/// Wasserstein-2 distances and statistical tests; optionally repeat the two PDE solves over a
/// list of ε and fit the rate at which the ε-solution approaches the homogenised one.
///
/// 1D: exact distances on the circle, particles against the solvers' fine-grid densities
/// (`CircleWasserstein`), and a parametric-bootstrap p-value. 2D: W2 between the two PDE solutions
/// on the solver grid (which resolves the ε-cell; the ε → 0 study too), and the particles' counts
/// on the output grid against each PDE's output-grid masses, with the bootstrap null computed by
/// the same pipeline; all by the back-and-forth method (`GridWasserstein`), whose convergence
/// diagnostic is kept with the value. In both, a chi-square test on the output-grid counts.
public struct Comparison {
    public struct Options: Sendable {
        public var particles: Int?
        public var seed: UInt64?
        public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        /// The level α of the verdict: the probability of calling correct particles different at
        /// any output time (Holm over every test of the run).
        public var significance = 0.01
        /// The bootstrap's maximum number of draws (default: enough for a smallest p-value of
        /// α / (2m), m the number of tests, well below Holm's smallest threshold α / m).
        public var bootstrap: Int?
        /// The ε-PDE's first resolution (cells per ε-period) and step; refined from there while
        /// `checkReference` finds the solution's error not small against the run's noise.
        public var solverResolution: Int?
        public var solverDt: Double?
        /// Check the ε-PDE reference against a solve at twice the resolution and half the step, and
        /// refine until its error is small against the Monte Carlo noise of the run (`ReferenceCheck`).
        public var checkReference = true
        /// 1/ε values for the ε → 0 study.
        public var epsilonStudy: [Int] = []
        /// Use the particles of this `homogen sample` run folder (for instance merged from shards)
        /// instead of running the sampler; its fingerprint must match the scenario.
        public var sampleFolder: String?
        /// Sample at `samplerDt` even when the time-step check finds it too coarse (or, unchecked,
        /// when it is above the rule of thumb ε² λ_min(B) / 10).
        public var allowCoarseTimeStep = false
        /// The sampler's time step: checked when `checkTimeStep`, else used as is. Default: chosen
        /// by `TimeStepControl` (unchecked: the scenario's [time] dt).
        public var samplerDt: Double?
        /// Measure the sampler's time-discretisation bias against the run's Monte Carlo noise
        /// (`TimeStepControl`) and choose or check the step by it.
        public var checkTimeStep = true
        /// The sampler's scheme (Euler–Maruyama by default; `metropolis` needs the backward-Itô
        /// convention).
        public var scheme: SchemeKind = .standard
        /// Where the time-step control keeps its pilots (`TimeStepJournal`), and the build that
        /// measured them; nil: no journal.
        public var timeStepJournal: (directory: String, build: String)?
        public init() {}
    }

    /// One output time.
    public struct Row: Codable, Sendable {
        public let t: Double
        public let w2ParticlesEpsilon: Double
        public let pValueParticlesEpsilon: Double
        public let chi2PValueParticlesEpsilon: Double
        /// Mean W2 of exact samples of the ε-density: the Monte Carlo floor at this N.
        public let w2MonteCarloFloor: Double
        /// 95% quantile of that bootstrap distribution (the null band).
        public let w2MonteCarloQuantile95: Double
        public let w2ParticlesHomogenised: Double
        public let pValueParticlesHomogenised: Double
        public let w2EpsilonHomogenised: Double
        /// W̄ with cost ⟨B̄Δ, Δ⟩ where B̄ is constant; 1D also where B̄(x) depends on x (exactly, by
        /// a change of variables). 2D with an x-dependent B̄: see `metricGrid`.
        public let w2BarEpsilonHomogenised: Double?
        /// 1D: W_GH with cost C̄|Δ|² (Section 5.2), below W̄ unless π ∝ √B. 2D: see `metricGrid`.
        public let wGhEpsilonHomogenised: Double?
        /// 2D: the distances whose ground cost is not a constant quadratic form, with W2 and W̄ on
        /// the same grid and pipeline, so that their ratios mean something.
        public let metricGrid: MetricGridDistances?
        /// 2D: the back-and-forth method's marginal error for W2(ε-PDE, homogenised) (Ḣ⁻¹, relative
        /// to W2; see `GridWasserstein.Result`).
        public let marginalErrorEpsilonHomogenised: Double?
        /// True when the two solutions differ by less than the back-and-forth method resolves
        /// (`GridWasserstein.Result.belowResolution`, as at t = 0 when both start from the same
        /// density): W2(ε-PDE, homogenised) is then an upper bound (`GridWasserstein`: Peyre's or the coupling one). Nil otherwise.
        public let w2EpsilonHomogenisedIsUpperBound: Bool?
        /// The same for W̄(ε-PDE, homogenised) where the back-and-forth method computed it (2D and
        /// 3D with a constant B̄): the value is W2's upper bound in the metric B̄. Nil otherwise.
        public let w2BarEpsilonHomogenisedIsUpperBound: Bool?
        /// The back-and-forth method's marginal error for W̄(ε-PDE, homogenised), where it
        /// computed it (as `marginalErrorEpsilonHomogenised`).
        public let marginalErrorBarEpsilonHomogenised: Double?
        /// The particles needed for the Monte Carlo floor to fall to W2(ε-PDE, homogenised):
        /// N (floor / signal)², from the floor's N^{-1/2} law (measured on the output grid in 2D:
        /// slope −0.52 over N = 10³…10⁶, docs/compare.md). Above it, the particles resolve the signal.
        /// Nil when the signal is zero.
        public let particlesForSignal: Double?
        /// The verdict at this time: false when a test of the particles against the ε-PDE (W2
        /// bootstrap or cell chi-square) rejects after Holm's correction over all times.
        public var consistent = true
        /// Holm-adjusted p-values of the two tests.
        public var holmPValueParticlesEpsilon = 1.0
        public var holmChi2PValueParticlesEpsilon = 1.0
        /// The test that decided a rejection, if any.
        public var decidedBy: VerdictTest?
        /// Bootstrap draws up to the sequential decision.
        public let bootstrapDraws: Int
    }

    /// The two tests of the particles against the ε-PDE at an output time (their names as the
    /// run folder writes them).
    public enum VerdictTest: String, Codable, Sendable {
        case w2Bootstrap = "W2 bootstrap"
        case chiSquare = "chi-square"
    }

    /// Distances between the cell-centre measures of the metric grid (`metricCells`), all by exact
    /// transport: cell-centre measures overstate W2 between nearby densities (mass moves in whole
    /// cells), so only ratios within this grid are comparable.
    public struct MetricGridDistances: Codable, Sendable {
        public let cells: Int
        /// Periodic quadratic cost |Δ|².
        public let w2: Double
        /// ⟨B̄Δ, Δ⟩ (constant B̄) or the geodesic cost of B̄(x).
        public let wBar: Double?
        /// The Finsler cost φ(Δ) (5.17), where computed.
        public let wGH: Double?
    }

    /// Where a row keeps one back-and-forth distance between the solutions, for `distanceWarnings`.
    struct DistanceStatus {
        let name: String
        let value: (Row) -> Double?
        let isBound: KeyPath<Row, Bool?>
        let marginalError: KeyPath<Row, Double?>
        /// How the bound scales for this distance's metric.
        let scale: String
    }

    public struct EpsilonStudy: Codable, Sendable {
        public let epsilons: [String]
        public let epsilonValues: [Double]
        /// At the last output time.
        public let w2EpsilonHomogenised: [Double]
        /// Least-squares slope of log W2 against log ε (`LinearFit`; two ε at least), and
        /// its standard error (three ε at least).
        public let fittedRate: Double?
        public let rateStandardError: Double?
        public let time: Double
    }

    public let scenario: Scenario
    public let options: Options
    /// How distances are measured in the scenario's dimension (`ComparisonTransport`).
    private let transport: any ComparisonTransport

    public init(scenario: Scenario, options: Options = Options()) throws {
        var s = scenario
        if options.particles != nil || options.seed != nil {
            s = try s.replacing(particles: ParticleSettings(
                count: options.particles ?? s.particles.count, seed: options.seed ?? s.particles.seed,
                convention: s.particles.convention))
        }
        // The solver's step is refused before any sampling (the solver would refuse it after).
        if let h = options.solverDt {
            guard h > 0, h.isFinite, h <= s.time.final else {
                throw SolverError.badSetting(.dt, "must be positive and not exceed the final time \(s.time.final) (it is \(h))")
            }
            guard s.time.final / h <= 1e12 else {
                throw SolverError.badSetting(.dt, "gives final/dt = \(s.time.final / h) steps, more than 10^12 (it is \(h))")
            }
        }
        self.scenario = s
        self.options = options
        self.transport = TransportMethod(s.dimension).strategy(s, threads: options.threads)
    }

    public struct Result: Sendable {
        public let scenario: Scenario
        public let rows: [Row]
        public let effective: EffectiveCoefficients
        public let sample: SampleResult
        public let epsilonSolution: FokkerPlanckResult
        public let homogenisedSolution: FokkerPlanckResult
        /// The check of the ε-PDE reference (nil when not checked).
        public let referenceCheck: ReferenceCheck.Report?
        public let epsilonStudy: EpsilonStudy?
        /// max over consecutive output times of W2(ρ_t, ρ_s)²/|t − s| along the ε-PDE (3.24).
        public let timeContinuityConstant: Double?
        /// The bootstrap's maximum draws, and the level of the verdict.
        public let bootstrapRepetitions: Int
        public let significance: Double
        /// True when the particles agree with the ε-PDE at every output time.
        public var consistent: Bool { rows.allSatisfy(\.consistent) }
        /// What the back-and-forth method did not resolve, for W2(ε-PDE, homogenised) and W̄: the
        /// output times where the value is an upper bound (`GridWasserstein.Result
        /// .belowResolution`), and those where its marginal error is above half the distance (as
        /// `homogen w2 --grid` warns): the two densities differ by less than the solver grid
        /// resolves, and the value may be off by tens of percent. The verdict uses neither.
        public var distanceWarnings: [String] {
            var warnings: [String] = []
            func times(_ rows: [Row]) -> String { rows.map { String(format: "%g", $0.t) }.joined(separator: ", ") }
            for d in [DistanceStatus(name: "W2(eps,hom)", value: { $0.w2EpsilonHomogenised }, isBound: \.w2EpsilonHomogenisedIsUpperBound,
                                     marginalError: \.marginalErrorEpsilonHomogenised, scale: ""),
                      DistanceStatus(name: "Wbar(eps,hom)", value: { $0.w2BarEpsilonHomogenised }, isBound: \.w2BarEpsilonHomogenisedIsUpperBound,
                                     marginalError: \.marginalErrorBarEpsilonHomogenised, scale: ", times the square root of B_bar's largest entry")] {
                let bounds = rows.filter { $0[keyPath: d.isBound] == true }
                if !bounds.isEmpty {
                    warnings.append(d.name + " at t = " + times(bounds)
                                    + ": the two solutions differ by less than the back-and-forth method resolves; the value is the upper "
                                    + "bound, the smaller of 2 |eps - hom|_{H^-1} / sqrt(min density) (Peyre 2018) and sqrt(TV) times the torus' "
                                    + "half-diagonal" + d.scale)
                }
                let unresolved = rows.filter {
                    ($0[keyPath: d.marginalError] ?? 0) > 0.5 && (d.value($0) ?? 0) > 0 && $0[keyPath: d.isBound] != true
                }
                guard let worst = unresolved.compactMap({ $0[keyPath: d.marginalError] }).max() else { continue }
                warnings.append(d.name + " at t = " + times(unresolved)
                    + String(format: ": the back-and-forth marginal error is up to %.2g of the distance, so the value may be off by "
                             + "tens of percent or more (the densities differ by less than the solver grid resolves); the verdict does "
                             + "not use it, and the metric-grid line gives an exact cell-centre value", worst))
            }
            return warnings
        }
        public let seconds: Double
    }

    /// Runs everything; `stage` is told what is being done (for progress messages). With
    /// `particles`, those are compared instead of sampling (their output times and grid must be the
    /// scenario's): e.g. particles of another medium or initial density, to see the verdict reject.
    /// `timeStepTrial` hears of each step the time-step control tries.
    ///
    /// The stages, each a method with its own result: the particles (`particles`), the checked
    /// ε-PDE reference (`reference`), the homogenised solve (`homogenised`), the ground costs of
    /// W̄ and W_GH (`ComparisonTransport.metricCosts`), the distances and tests per output time
    /// (`compareAt`, through the dimension's `ComparisonTransport`), the
    /// verdict (`decide`).
    public func run(stage: ((String) -> Void)? = nil, samplerProgress: SamplerProgress? = nil,
                    particles given: SampleResult? = nil,
                    timeStepTrial: ((TimeStepControl.Trial) -> Void)? = nil) throws -> Result {
        let start = Date()
        let s = scenario
        try checkSolverGrid()
        let sample = try particles(given, stage: stage, progress: samplerProgress, timeStepTrial: timeStepTrial)
        stage?("effective coefficients")
        let effective = try EffectiveCoefficients.compute(s)
        let (eps, referenceCheck) = try reference(effective, stage: stage)
        let hom = try homogenised(effective, stage: stage)
        let epsOnHomGrid = eps.averaged(toSolverCells: hom.solverCells)
        let costs = try transport.metricCosts(effective, stage: stage)
        // Two tests per output time; the smallest bootstrap p-value must lie well below Holm's
        // smallest threshold α / m for a rejection to be possible.
        let tests = 2 * s.time.outputs.count
        let reps = options.bootstrap ?? SequentialMonteCarlo.draws(forSmallestPValue: options.significance / Double(2 * tests))
        stage?("distances and bootstrap (sequential, up to \(reps) draws per time)")
        var rows = try s.time.outputs.indices.map { k in
            try compareAt(k, sample, eps, epsOnHomGrid, hom, effective, SequentialMonteCarlo(maximumDraws: reps), costs)
        }
        Self.decide(&rows, significance: options.significance)
        let study = options.epsilonStudy.isEmpty ? nil : try epsilonStudy(stage)
        return Result(
            scenario: s, rows: rows, effective: effective, sample: sample, epsilonSolution: eps,
            homogenisedSolution: hom, referenceCheck: referenceCheck, epsilonStudy: study, timeContinuityConstant: try transport.timeContinuity(eps),
            bootstrapRepetitions: reps, significance: options.significance, seconds: Date().timeIntervalSince(start))
    }

    /// Stage 1, the particles: the given ones (checked to fit the scenario), a sample folder's, or
    /// a run of the sampler at the step the time-step control chooses.
    private func particles(_ given: SampleResult?, stage: ((String) -> Void)?, progress: SamplerProgress?,
                           timeStepTrial: ((TimeStepControl.Trial) -> Void)?) throws -> SampleResult {
        let s = scenario
        let method = transport.method
        if let given {
            guard given.snapshots.map(\.time) == s.time.outputs, given.scenario.cells == s.cells,
                  given.scenario.dimension == s.dimension, given.particlesInRange == s.particles.count,
                  !method.needsPositions || given.snapshots.allSatisfy({ $0.positions != nil }) else {
                throw ComparisonError.particlesDoNotFit
            }
            return given
        }
        if let folder = options.sampleFolder {
            stage?("reading the particles of \(folder)")
            let sample = try SampleRunFolder.read(folder, scenario: s)
            if method.needsPositions, sample.snapshots.contains(where: { $0.positions == nil }) {
                throw ComparisonError.positionsMissing(folder)
            }
            return sample
        }
        var dt = options.samplerDt ?? s.time.dt
        var control: TimeStepControl.Report?
        if options.checkTimeStep {
            let c = TimeStepControl(scenario: s, scheme: options.scheme, threads: options.threads)
            stage?("time step: a pilot of \(c.pilotParticles) coupled particles (steps dt and dt/2) against the noise of "
                   + "\(s.particles.count) particles")
            let journal = try options.timeStepJournal.map {
                try TimeStepJournal(control: c, requested: options.samplerDt, directory: $0.directory, build: $0.build)
            }
            control = try c.choose(requested: options.samplerDt, allowCoarse: options.allowCoarseTimeStep, journal: journal,
                                   tried: timeStepTrial)
            if let journal, let failure = journal.writeFailure {
                stage?("warning: the time-step journal (\(journal.path)) could not be written: \(failure); the pilots are not "
                       + "kept for a rerun (set HOMOGEN_CACHE_DIR to a writable folder)")
            }
            dt = control!.dt
        }
        let sampled = try s.replacing(time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: dt))
        stage?("sampling \(s.particles.count) particles at dt = \(dt)")
        let sampler = try ParticleSampler(scenario: sampled, options: .init(
            threads: options.threads, allowCoarseTimeStep: options.allowCoarseTimeStep || control?.passed == true,
            keepPositions: method.needsPositions, scheme: options.scheme))
        progress?.expect(total: s.particles.count * max(sampler.stepCount, 1))
        var result = try sampler.run(progress: progress)
        result.timeStepControl = control
        return result
    }

    /// The solver's options for `equation`, at the first resolution and step unless refined.
    private func solverOptions(_ equation: FokkerPlanckSolver.Equation, _ effective: EffectiveCoefficients) -> FokkerPlanckSolver.Options {
        FokkerPlanckSolver.Options(equation: equation, resolution: options.solverResolution, dt: options.solverDt,
                                   threads: options.threads, effective: effective)
    }

    /// The first solver grid, refused before any sampling when it cannot be built (it used to be
    /// refused after the pilots and the sampling).
    private func checkSolverGrid() throws {
        let s = scenario
        let n = FokkerPlanckSolver.solverCells(inverseEpsilon: s.inverseEpsilon, outputCells: s.cells, resolution: firstResolution)
        let limit = FokkerPlanckSolver.maximumCells(dimension: s.dimension)
        guard n <= limit else { throw SolverError.gridTooLarge(cellsPerSide: n, limit: limit, dimension: s.dimension) }
        guard n >= FokkerPlanckSolver.minimumCells else { throw SolverError.gridTooSmall(cellsPerSide: n) }
        // The ε-study's scenarios and grids too (a 1/ε beyond either limit was refused after the
        // whole comparison).
        let largest = Scenario.largestInverseEpsilon(s.dimension)
        for e in options.epsilonStudy {
            guard e <= largest else {
                throw SolverError.badSetting(.epsilonStudy, "1/\(e) is beyond the largest 1/epsilon of \(s.dimension.count)D scenarios, \(largest)")
            }
            let m = FokkerPlanckSolver.solverCells(inverseEpsilon: e, outputCells: s.cells, resolution: firstResolution)
            guard m <= limit else {
                throw SolverError.badSetting(.epsilonStudy, "1/\(e) needs a solver grid of \(m) cells per side, beyond the limit of \(limit) "
                                             + "in \(s.dimension.count)D; choose a smaller 1/epsilon, or lower the resolution or the output cells")
            }
        }
    }

    private var firstResolution: Int { options.solverResolution ?? FokkerPlanckSolver.defaultResolution(dimension: scenario.dimension) }
    private var firstStep: Double { options.solverDt ?? scenario.time.dt }

    /// Stage 2, the ε-PDE reference: solved, and (by default) checked against twice the resolution
    /// and half the step, refined while its error is not small against the particles' noise.
    private func reference(_ effective: EffectiveCoefficients, stage: ((String) -> Void)?) throws
        -> (FokkerPlanckResult, ReferenceCheck.Report?) {
        let s = scenario, r0 = firstResolution, dt0 = firstStep
        guard options.checkReference else {
            stage?("solving the epsilon equation")
            return (try FokkerPlanckSolver(scenario: s, options: solverOptions(.epsilon, effective)).run(), nil)
        }
        stage?("solving the epsilon equation at \(r0) cells per period, dt = \(dt0), checked against twice the resolution "
               + "and half the step (refined while its error is not small against the noise of \(s.particles.count) particles)")
        let (eps, report) = try ReferenceCheck(scenario: s, particles: s.particles.count).run(resolution: r0, dt: dt0) { r, dt in
            var o = solverOptions(.epsilon, effective)
            o.resolution = r; o.dt = dt
            return try FokkerPlanckSolver(scenario: s, options: o).run()
        }
        return (eps, report)
    }

    /// Stage 3, the homogenised solve. Its solution is smooth: it stays at the first resolution and
    /// step. The PDE-against-PDE distances need one grid, so a refined reference (whose grid nests
    /// in the first one, `ReferenceCheck`) is averaged onto it.
    private func homogenised(_ effective: EffectiveCoefficients, stage: ((String) -> Void)?) throws -> FokkerPlanckResult {
        stage?("solving the homogenised equation")
        var o = solverOptions(.homogenised, effective)
        o.resolution = firstResolution
        o.dt = firstStep
        return try FokkerPlanckSolver(scenario: scenario, options: o).run()
    }

    private func seed(_ k: Int, _ salt: UInt64) -> UInt64 {
        BlockSeeds.splitMix64(scenario.particles.seed ^ (salt &* 0x9E37_79B9) ^ UInt64(k))
    }

    /// Stage 5 at output k: the particles against each PDE solution (W2 with its bootstrap p-value,
    /// and the chi-square test against the ε-solution), and the distances between the two
    /// solutions (`epsH`: the ε-solution on the homogenised solve's grid) with each metric.
    private func compareAt(_ k: Int, _ sample: SampleResult, _ eps: FokkerPlanckResult, _ epsH: FokkerPlanckResult,
                           _ hom: FokkerPlanckResult, _ e: EffectiveCoefficients, _ test: SequentialMonteCarlo,
                           _ costs: MetricCosts) throws -> Row {
        let s = scenario
        let snapshot = sample.snapshots[k]
        let outputVolume = s.dimension.volume(side: 1 / Double(s.cells))
        let chi2 = ChiSquareTest(counts: snapshot.counts, probabilities: eps.snapshots[k].density.map { $0 * outputVolume }).pValue
        let pe = try transport.bootstrap(snapshot, against: eps, k, test: test, seed: seed(k, 1))
        let ph = try transport.bootstrap(snapshot, against: hom, k, test: Self.informational(test), seed: seed(k, 2))
        let w2 = try transport.pdeDistance(epsH, hom, k, cost: .flat)!
        let m = try transport.metricDistances(epsH: epsH, eps: eps, hom: hom, k, effective: e, costs: costs, w2: w2)
        let w2eh = w2.distance
        return Row(
            t: s.time.outputs[k], w2ParticlesEpsilon: pe.distance, pValueParticlesEpsilon: pe.pValue, chi2PValueParticlesEpsilon: chi2,
            w2MonteCarloFloor: pe.nullMean, w2MonteCarloQuantile95: pe.nullQuantile95, w2ParticlesHomogenised: ph.distance, pValueParticlesHomogenised: ph.pValue,
            w2EpsilonHomogenised: w2eh, w2BarEpsilonHomogenised: m.wBar, wGhEpsilonHomogenised: m.wGH,
            metricGrid: m.grid, marginalErrorEpsilonHomogenised: w2.marginalError,
            w2EpsilonHomogenisedIsUpperBound: w2.belowResolution ? true : nil,
            w2BarEpsilonHomogenisedIsUpperBound: m.wBarIsUpperBound ? true : nil,
            marginalErrorBarEpsilonHomogenised: m.wBarMarginalError,
            particlesForSignal: w2eh > 0 && !w2.belowResolution ? (Double(s.particles.count) * pow(pe.nullMean / w2eh, 2)).finite : nil,
            bootstrapDraws: pe.drawsToDecision)
    }

    /// The bootstrap of the particles against the homogenised density is not part of the verdict
    /// (the particles are not expected to follow the homogenised limit at finite ε): at most 99 draws,
    /// so that a far-off limit, which no sequential stop ends early, does not cost the full budget.
    static func informational(_ test: SequentialMonteCarlo) -> SequentialMonteCarlo {
        SequentialMonteCarlo(maximumDraws: min(99, test.maximumDraws))
    }

    /// The verdict: Holm's correction over the W2 bootstrap and the chi-square test at every output
    /// time (2T tests), each rejected when its adjusted p-value is ≤ α; a time whose tests are not
    /// rejected is "consistent", and a rejection records which test decided. Data only: the run
    /// folder and the command line word it (`VerdictText`).
    static func decide(_ rows: inout [Row], significance alpha: Double) {
        let raw = rows.flatMap { [$0.pValueParticlesEpsilon, $0.chi2PValueParticlesEpsilon] }
        let adjusted = Holm.adjust(raw)
        for k in rows.indices {
            let w2 = adjusted[2 * k], chi2 = adjusted[2 * k + 1]
            rows[k].holmPValueParticlesEpsilon = w2
            rows[k].holmChi2PValueParticlesEpsilon = chi2
            rows[k].consistent = w2 > alpha && chi2 > alpha
            rows[k].decidedBy = rows[k].consistent ? nil : (chi2 <= w2 ? .chiSquare : .w2Bootstrap)
        }
    }

    /// The grid of the distances whose ground cost is not a constant quadratic form (W_GH with
    /// the Finsler norm φ (5.17), W̄ with the geodesic cost of an x-dependent B̄): the largest
    /// divisor of the output cells up to 16 per axis (8 in 3D: 512 cells), where the cost matrix
    /// and the exact transport stay cheap.
    public static func metricCells(outputCells m: Int, dimension: TorusDimension = .two) -> Int {
        (1...min(dimension == .three ? 8 : 16, m)).last { m % $0 == 0 }!
    }

    private func epsilonStudy(_ stage: ((String) -> Void)?) throws -> EpsilonStudy {
        var values: [Double] = []
        let k = scenario.time.outputs.count - 1
        for n in options.epsilonStudy {
            stage?("epsilon study: eps = 1/\(n)")
            let s = try scenario.replacing(inverseEpsilon: n)
            let effective = try EffectiveCoefficients.compute(s)
            func solve(_ eq: FokkerPlanckSolver.Equation) throws -> FokkerPlanckResult {
                // Both equations on the ε-equation's grid (the distance between them needs one).
                var o = FokkerPlanckSolver.Options(equation: eq, resolution: firstResolution, dt: options.solverDt,
                                                   threads: options.threads, effective: effective)
                o.trackEnergy = false
                return try FokkerPlanckSolver(scenario: s, options: o).run()
            }
            let e = try solve(.epsilon), h = try solve(.homogenised)
            values.append(try transport.pdeDistance(e, h, k, cost: .flat)!.distance)
        }
        let xs = options.epsilonStudy.map { Foundation.log(1 / Double($0)) }
        let ys = values.map { Foundation.log(max($0, 1e-300)) }
        let fit = xs.count >= 2 ? try LinearFit(x: xs, y: ys) : nil
        return EpsilonStudy(
            epsilons: options.epsilonStudy.map { "1/\($0)" }, epsilonValues: options.epsilonStudy.map { 1 / Double($0) },
            w2EpsilonHomogenised: values, fittedRate: fit?.slope, rateStandardError: fit?.slopeStandardError,
            time: scenario.time.outputs[k])
    }
}

private extension Double {
    /// Self when finite, else nil.
    var finite: Double? { isFinite ? self : nil }
}

/// Why a comparison cannot run on the particles it was given.
public enum ComparisonError: Error, CustomStringConvertible, Equatable {
    /// A 1D comparison needs the particle positions, which this sample folder did not keep.
    case positionsMissing(String)
    /// Particles given directly do not have the scenario's output times, grid, dimension or count.
    case particlesDoNotFit

    public var description: String {
        switch self {
        case .positionsMissing(let folder):
            return "\(folder): a 1D comparison needs the particle positions, which this sample run did not keep"
        case .particlesDoNotFit:
            return "the particles given do not have the scenario's output times, grid, dimension and particle count"
        }
    }
}
