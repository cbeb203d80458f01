import ArgumentParser
import Foundation
import Homogen

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "The main job: particles vs the eps-Fokker–Planck solution vs the homogenised limit, with W2 and p-values.")

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @OptionGroup var comparison: CompareOptionGroup

    func run() throws {
        try comparison.runAndReport(try Scenario.load(path: scenario))
    }
}

/// Options of `compare` (and `demo`, which runs it on the embedded scenario).
struct CompareOptionGroup: ParsableArguments {
    @Option(help: "Run folder to create (default: runs/NAME-compare-TIMESTAMP).")
    var out: String?

    @Option(help: "Comma-separated epsilons for the eps -> 0 study, e.g. 1/4,1/8,1/16 (PDEs only).")
    var epsilons: String?

    @Option(parsing: .unconditional, help: "Number of particles (overrides [particles] count).", transform: parseParticleCount)
    var particles: Int?

    @Option(parsing: .unconditional, help: "Random seed (overrides [particles] seed).", transform: parseSeed)
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Maximum bootstrap draws per test (default: enough for a smallest p-value of alpha/(2m), m the number of tests; the sequential test stops early when the particles clearly agree).", transform: parseCount)
    var bootstrap: Int?

    @Option(help: "Level alpha of the verdict: the chance of calling correct particles different at any output time (Holm over all tests).")
    var significance = 0.01

    @Flag(help: "Exit with status 3 when the particles differ from the eps-PDE at some output time (for scripts and CI gates).")
    var strict = false

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).", transform: parseCount)
    var threads: Int?

    @Option(parsing: .unconditional, help: "eps-Fokker–Planck solver cells per eps-period to start from (default 32 in 1D, 16 in 2D, 8 in 3D); refined with --solver-dt while the solution's error is not small against the run's noise.", transform: parseCount)
    var resolution: Int?

    @Option(parsing: .unconditional, help: "Fokker–Planck time step to start from (default: the scenario's [time] dt).", transform: parsePositive)
    var solverDt: Double?

    @Flag(help: "Use --resolution and --solver-dt as given: no check of the eps-PDE reference against a finer solve (faster, but its error is unknown).")
    var skipReferenceCheck = false

    @OptionGroup var timeStep: TimeStepOptionGroup

    @OptionGroup var scheme: SchemeOptionGroup

    @Flag(help: "Sample even when dt > eps^2 * lambda_min(B) / 10.")
    var allowCoarseDt = false

    @Option(help: "Use the particles of this sample run folder (e.g. merged from shards) instead of sampling.")
    var sample: String?

    @Flag(help: "Also draw the figures (python3 analysis/plot_compare.py).")
    var plot = false

    @Flag(name: [.short, .long], help: "No progress messages.")
    var quiet = false

    func validate() throws {
        // At 10 ms a draw of 10⁵ particles, 10⁵ draws per output time is already hours.
        if let bootstrap, bootstrap < 9 || bootstrap > 100_000 { throw ValidationError("--bootstrap must be from 9 to 100000") }
        if !(significance > 0 && significance < 1) { throw ValidationError("--significance must be in (0, 1), not \(significance)") }
        if let particles, particles < 2 { throw ValidationError("--particles must be at least 2") }
        _ = try parsedEpsilons()
    }

    func parsedEpsilons() throws -> [Int] {
        guard let epsilons else { return [] }
        // Checked here, before any work: a value the study cannot use used to surface after the
        // whole run (a duplicate made the rate's fit fail), or to trap (1/eps beyond Int).
        let limit = 1_000_000
        let values = try epsilons.split(separator: ",", omittingEmptySubsequences: false).map { part -> Int in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { throw ValidationError("--epsilons: an empty item in '\(epsilons)'") }
            let pieces = text.split(separator: "/")
            let value: Double?
            if pieces.count == 2, let a = Double(pieces[0]), let b = Double(pieces[1]), b != 0 { value = a / b } else { value = Double(text) }
            guard let v = value, v >= 1 / Double(limit), v <= 1, abs(1 / v - (1 / v).rounded()) < 1e-9 else {
                throw ValidationError("--epsilons: '\(text)' is not a number in [1e-6, 1] with 1/epsilon an integer")
            }
            return Int((1 / v).rounded())
        }
        if let twice = values.first(where: { v in values.filter { $0 == v }.count > 1 }) {
            throw ValidationError("--epsilons: 1/\(twice) appears twice; the rate is fitted over distinct values")
        }
        return values
    }

    func runAndReport(_ s: Scenario) throws {
        let o = try comparisonOptions()
        let comparison = try Comparison(scenario: s, options: o)
        let sc = comparison.scenario
        let folder = out ?? defaultRunFolder(sc, "compare")
        try OutputFolder.check(folder, estimatedBytes: OutputFolder.estimate(sc, columns: 2 * sc.dimension.count + 5))
        let progress = SamplerProgress(total: sc.particles.count)
        // Ctrl-C or SIGTERM stops the pilots or the sampler within a step (exit 130); the pilots
        // done so far stay in their journal for the next run. After them, it stops at once.
        Interrupts.install("compare", safePoints: true)
        Interrupts.checkpointAdvice = nil
        var bar: ProgressBar?
        let result = try comparison.run(stage: { text in
            if !text.hasPrefix("time step") && !text.hasPrefix("sampling") { Interrupts.stopImmediately() }
            bar?.finish()
            bar = nil
            if !quiet {
                printError("compare: \(text)")
                if text.hasPrefix("sampling") { bar = ProgressBar(label: "sampling", progress: { progress.fraction }) }
            }
        }, samplerProgress: progress, timeStepTrial: { t in
            if !quiet { printError(TimeStepOptionGroup.describe(t)) }
        })
        bar?.finish()
        for w in result.epsilonSolution.warnings { printError("compare: warning (epsilon equation): \(w)") }
        for w in result.homogenisedSolution.warnings { printError("compare: warning (homogenised equation): \(w)") }
        for w in result.distanceWarnings { printError("compare: warning: \(w)") }
        // The values chosen for options left at their defaults, for summary.json's provenance.
        Provenance.resolve("particles", "\(sc.particles.count)")
        Provenance.resolve("seed", "\(sc.particles.seed)")
        Provenance.resolve("threads", "\(result.sample.threads)")
        Provenance.resolve("dt", "\(result.sample.scenario.time.dt)")
        Provenance.resolve("scheme", result.sample.scheme.rawValue)
        Provenance.resolve("bootstrap", "\(result.bootstrapRepetitions)")
        Provenance.resolve("solver-dt", "\(result.epsilonSolution.dt)")
        Provenance.resolve("solver-cells", "\(result.epsilonSolution.solverCells)")
        printTable(result)   // the table first: the numbers are on screen even if writing the folder fails
        let stepNote = TimeStepOptionGroup.note(result.sample, fromFolder: sample != nil)
        print(stepNote.line)
        let referenceNote = Self.note(result.referenceCheck, solution: result.epsilonSolution)
        print(referenceNote.line)
        if let acceptance = AcceptanceInterval.list(result.sample) {
            for a in acceptance where a.proposed > 0 {
                print(String(format: "acceptance in (%g, %g]: %.5f (%d of %d moves)", a.from, a.to, a.rate!, a.accepted, a.proposed))
            }
        }
        for r in result.rows { print(String(format: "t = %g: ", r.t) + VerdictText.row(r, significance: result.significance)) }
        if let study = result.epsilonStudy {
            print("eps -> 0 at t = \(study.time):")
            for (e, v) in zip(study.epsilons, study.w2EpsilonHomogenised) { print("  eps = \(e): W2(eps, hom) = \(String(format: "%.4e", v))") }
            if let rate = study.fittedRate {
                print(String(format: "  fitted rate: W2 ~ eps^%.3f", rate)
                      + (study.rateStandardError.map { String(format: " (standard error %.3f)", $0) } ?? ""))
            }
        }
        let summary = try CompareRunFolder.write(result, to: folder)
        print("distances: \(summary.distanceMethod)")
        print(formatSeconds(result.seconds) + "; run folder: " + folder)
        if plot { drawFigures(folder) }
        try printVerdict(result, flags: stepNote.flag + referenceNote.flag + (conventionNote(result.scenario).map { "; " + $0 } ?? ""))
    }

    /// `--plot`: analysis/plot_compare.py on the run folder, found beside the working directory or
    /// above the executable (a checkout's .build/release/homogen). A missing script or a failed
    /// plot is a warning: the run folder is written, and the verdict and exit status stand.
    private func drawFigures(_ folder: String) {
        let relative = "analysis/plot_compare.py"
        var candidates = [FileManager.default.currentDirectoryPath + "/" + relative]
        if var dir = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            for _ in 0..<4 { candidates.append(dir.appendingPathComponent(relative).path); dir.deleteLastPathComponent() }
        }
        guard let script = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            printError("compare: warning: --plot: \(relative) not found (looked in the working directory and above the executable); "
                       + "no figures drawn (python3 \(relative) \(folder) draws them from a checkout)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, folder]
        do {
            try p.run()
            p.waitUntilExit()
            if p.terminationStatus != 0 { printError("compare: warning: --plot: \(script) failed (status \(p.terminationStatus)); no figures drawn") }
        } catch {
            printError("compare: warning: --plot: cannot run python3 (\(error.localizedDescription)); no figures drawn")
        }
    }

    /// The library's options from the flags.
    private func comparisonOptions() throws -> Comparison.Options {
        var o = Comparison.Options()
        o.particles = particles
        o.seed = seed
        if let threads { o.threads = max(1, threads) }
        o.bootstrap = bootstrap
        o.significance = significance
        o.solverResolution = resolution
        o.solverDt = solverDt
        o.checkReference = !skipReferenceCheck
        o.epsilonStudy = try parsedEpsilons()
        o.allowCoarseTimeStep = allowCoarseDt
        o.samplerDt = timeStep.dt
        o.checkTimeStep = !timeStep.skipDtCheck
        o.sampleFolder = sample
        o.scheme = scheme.kind
        o.timeStepJournal = (TimeStepJournal.defaultDirectory, buildGitCommit ?? "unknown")
        if let sample, let given = scheme.scheme {
            throw ValidationError("--scheme \(given.rawValue) applies to sampling; with --sample the particles of \(sample) are used as they were sampled")
        }
        if let sample, let dt = timeStep.dt {
            throw ValidationError("--dt \(dt) applies to sampling; with --sample the particles of \(sample) are used at the step they were sampled with")
        }
        return o
    }

    /// The table of distances and p-values per output time, and the metric-grid lines.
    private func printTable(_ result: Comparison.Result) {
        let sc = result.scenario
        print("scenario \(sc.name): \(sc.dimension)D, eps = \(sc.epsilonText), \(sc.particles.count) particles, "
              + "scheme \(result.sample.scheme.rawValue), dt = \(result.sample.scenario.time.dt), "
              + "B_bar \(result.effective.isConstant ? "constant" : "depends on x")")
        print("     t  W2(part,eps)  p-value  chi2 p  MC floor  W2(part,hom)  W2(eps,hom)  Wbar(eps,hom)  W_GH(eps,hom)  N(floor=W2(eps,hom))")
        // "<=" marks an upper bound (Peyre's or the coupling one), where the solutions differ below the back-and-forth resolution.
        func f(_ v: Double?, bound: Bool? = nil) -> String {
            guard let v else { return String(repeating: " ", count: 12) + "-" }
            guard bound == true else { return String(format: "%13.4e", v) }
            let text = "<=" + String(format: "%.4e", v)
            return String(repeating: " ", count: max(0, 13 - text.count)) + text
        }
        for r in result.rows {
            print(String(format: "%6.4g  %12.4e  %7.3f  %6.3f  %8.2e  %12.4e", r.t, r.w2ParticlesEpsilon, r.pValueParticlesEpsilon,
                         r.chi2PValueParticlesEpsilon, r.w2MonteCarloFloor, r.w2ParticlesHomogenised)
                  + " " + f(r.w2EpsilonHomogenised, bound: r.w2EpsilonHomogenisedIsUpperBound) + "  "
                  + f(r.w2BarEpsilonHomogenised, bound: r.w2BarEpsilonHomogenisedIsUpperBound) + "  " + f(r.wGhEpsilonHomogenised)
                  + (r.particlesForSignal.map { String(format: "  %20.2g", $0) } ?? String(repeating: " ", count: 21) + "-"))
        }
        for r in result.rows {
            guard let g = r.metricGrid else { continue }
            func f(_ v: Double?) -> String { v.map { String(format: "%.4e", $0) } ?? "-" }
            let grid = [String](repeating: "\(g.cells)", count: result.scenario.dimension.count).joined(separator: "x")
            print("t = \(String(format: "%g", r.t)), metric grid \(grid) (cell centres, exact transport; compare only within this line): "
                  + "W2 \(f(g.w2)), Wbar \(f(g.wBar)), W_GH \(f(g.wGH))")
        }
        if let e = result.rows.last?.marginalErrorEpsilonHomogenised, let w = result.rows.last?.w2EpsilonHomogenised, w > 0 {
            print(String(format: "W2(eps,hom): back-and-forth on the solver grid, marginal error %.1e of W2 (H^-1) at the last time", e))
        }
        print("MC floor: mean W2 of exact samples of the eps-PDE at this N; it falls like N^-1/2, so a signal s needs about "
              + "N (floor/s)^2 particles (last column) to rise above it")
    }

    /// The verdict line (the run's flags appended); with --strict a rejection becomes exit status 3.
    private func printVerdict(_ result: Comparison.Result, flags: String) throws {
        let differing = result.rows.filter { !$0.consistent }.map { String(format: "%g", $0.t) }
        if differing.isEmpty {
            print(String(format: "verdict: the particles agree with the eps-PDE at every output time (level %g, Holm over %d tests)",
                         result.significance, 2 * result.rows.count) + flags)
        } else {
            print(String(format: "verdict: the particles DIFFER from the eps-PDE at t = %@ (level %g, Holm over %d tests)",
                         differing.joined(separator: ", "), result.significance, 2 * result.rows.count) + flags)
            if let caveat = result.sample.timeStepControl?.extrapolationCaveat { print("note: " + caveat) }
            if strict { throw ComparisonDiffers() }
        }
    }
}

extension CompareOptionGroup {
    /// What the check says of the ε-PDE reference: a line for the table, and a flag for the verdict
    /// ("" when it passed).
    static func note(_ check: ReferenceCheck.Report?, solution: FokkerPlanckResult) -> (line: String, flag: String) {
        guard let check else {
            return (String(format: "eps-PDE reference: %d solver cells per axis, dt = %g, NOT checked (--skip-reference-check): "
                           + "its error is unknown", solution.solverCells, solution.dt),
                    "; the eps-PDE reference was NOT checked")
        }
        // The grids' own cells per period: a grid rounded up to fit the output grid has more than
        // the resolution asked for (27 cells at eps = 1/3 for 8 asked: 9 per period), and the
        // resolution asked is named only then.
        let inverseEpsilon = Double(solution.scenario.inverseEpsilon)
        let steps = check.levels.map { String(format: "%g cells/period, dt %g: %.2g", Double($0.solverCells) / inverseEpsilon, $0.dt, $0.ratio) }
        let perPeriod = Double(check.solverCells) / inverseEpsilon
        let asked = perPeriod == Double(check.resolution) ? "" : String(format: "; %d asked, rounded up to fit the output cells", check.resolution)
        let head = String(format: "eps-PDE reference: %g cells per period (%d solver cells per axis%@), dt = %g; ", perPeriod,
                          check.solverCells, asked, check.dt)
        // Not one finer solve was possible (an output grid that already takes the solver's finest
        // grid): the error is unmeasured, and neither flag can lower it.
        if check.levels.isEmpty {
            return (head + "its error is NOT measured: " + (check.stoppedBecause ?? "no finer solve") + String(format: " (solves %.1f s)", check.seconds),
                    "; the eps-PDE reference's error is NOT measured (its grid, set by the output grid's cells, is the finest the "
                    + "solver takes: fewer [grid] cells allow the check)")
        }
        let line = head
            + (check.passed ? "its error is at most " + String(format: "%.2g", check.levels.last!.ratio) + " of the allowed shift"
                : "NOT converged against the noise of \(check.particles) particles")
            + " (error bound over allowed shift, from twice the resolution and half the step: " + steps.joined(separator: "; ")
            + (check.stoppedBecause.map { "; " + $0 } ?? "") + String(format: "; solves %.1f s)", check.seconds)
        return (line, check.passed ? "" : "; the eps-PDE reference is NOT converged against this run's noise (raise --resolution, lower --solver-dt)")
    }
}

/// `compare --strict` found particles that differ from the ε-PDE: exit status 3.
struct ComparisonDiffers: Error, CustomStringConvertible {
    static let exitCode: Int32 = 3
    var description: String { "the particles differ from the eps-PDE (--strict)" }
}
