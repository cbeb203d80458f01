import ArgumentParser
import Foundation
import Homogen

struct StationaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationary",
        abstract: "Estimate the stationary density from particles against the exact pi_eps, with error bars; Metropolised (MALA) or Euler–Maruyama.",
        discussion: """
            Runs the particles over --final (default: [time] final), discards the burn-in (--burn-in, default the first
            20%), records every --record-every steps, and estimates cell probabilities with batch-means standard errors.
            They are tested against the exact cell masses of pi_eps on the output grid and on one cell per eps-period
            (the coarse-grained pi_eps); the coarse-grained pi_eps against pi_bar is reported as the homogenisation error
            at this eps (exact, not a test). A warning (and a flag in summary.json) says when the particles did not start
            at pi_eps and the burn-in is shorter than 5 tau_int or the run after it shorter than 50 tau_int. --dt-sweep
            runs the scheme (Euler–Maruyama when it is metropolis, which has no bias) at dt, dt/2, dt/4, dt/8 and fits
            the order of the bias of cos(2 pi x1/eps), with its standard error, when the biases stand out of the noise.
            """)

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @Option(help: "metropolis (the default: MALA, exactly invariant; 'mala' is accepted too), weak2 (biased by O(dt^2)) or em (Euler–Maruyama, biased by O(dt)).")
    var scheme: SchemeKind = .metropolis

    @Option(help: "Time step (default: the scenario's [time] dt).")
    var dt: Double?

    @Option(help: ArgumentHelp("Length of the run (default: the scenario's [time] final).", valueName: "T"))
    var final: Double?

    @Option(help: ArgumentHelp("Time discarded before recording (default: the first 20% of the run).", valueName: "T"))
    var burnIn: Double?

    @Flag(help: "Run the scheme (Euler–Maruyama for metropolis) at dt, dt/2, dt/4, dt/8 and report the bias of cos(2 pi x1/eps) with the fitted order.")
    var dtSweep = false

    @OptionGroup var sampling: SamplerOptionGroup

    @Option(help: "Batches (groups of particles) for the batch-means standard errors.")
    var batches = 100

    @Option(help: "Record the positions every this many steps.")
    var recordEvery = 5

    @Option(help: "Run folder to create (default: runs/NAME-stationary-TIMESTAMP).")
    var out: String?

    @Option(help: "Run only shard K of N of the particle blocks and write its partial result (DIR/partial.json) for --merge.")
    var shard: String?

    @Option(parsing: .upToNextOption, help: "Combine the partial results of these shard folders (same scenario and options) instead of running.")
    var merge: [String] = []

    @Option(help: "Write a checkpoint (OUT.checkpoint) every this many seconds; SIGINT/SIGTERM write one and stop.")
    var checkpointEvery: Double?

    @Option(help: "Resume from a checkpoint folder (OUT.checkpoint), with the same scenario and options; the run folder defaults to OUT.")
    var resume: String?

    func validate() throws {
        if let checkpointEvery, !(checkpointEvery > 0) { throw ValidationError("--checkpoint-every must be positive") }
        // Flags that the other mode would silently drop.
        if shard != nil, !merge.isEmpty { throw ValidationError("--shard runs one shard and --merge combines finished ones: give one of them") }
        if shard != nil, dtSweep {
            throw ValidationError("--dt-sweep runs whole estimates at several steps; it does not apply to one --shard (run it on the merged estimate's scenario without --shard)")
        }
        if !merge.isEmpty, checkpointEvery != nil || resume != nil {
            throw ValidationError("--merge combines finished shards; it does not take --checkpoint-every or --resume")
        }
    }

    func run() throws {
        let s = try sampling.apply(to: try Scenario.load(path: scenario))
        var o = StationaryEstimator.Options()
        o.scheme = scheme
        o.dt = dt
        o.final = final
        o.burnIn = burnIn
        if let threads = sampling.threads { o.threads = threads }
        o.batches = batches
        o.recordEvery = recordEvery
        o.allowCoarseTimeStep = sampling.allowCoarseDt
        var named = out
        if named == nil, let resume, resume.hasSuffix(".checkpoint") { named = String(resume.dropLast(".checkpoint".count)) }
        let folder = named ?? defaultRunFolder(s, "stationary")
        try OutputFolder.check(folder, estimatedBytes: OutputFolder.estimate(s, columns: 6))
        let estimator = try StationaryEstimator(scenario: s, options: o)
        var policy: ParticleSampler.CheckpointPolicy?
        if checkpointEvery != nil || resume != nil {
            policy = .init(directory: resume ?? folder + ".checkpoint", interval: checkpointEvery ?? 60, resume: resume != nil)
        }
        Interrupts.install("stationary", safePoints: true)
        Interrupts.checkpointAdvice = checkpointEvery == nil && resume == nil
            ? "pass --checkpoint-every SECONDS: Ctrl-C then writes a checkpoint, and --resume continues from it (docs/scaling.md)"
            : nil
        defer { if let policy, FileManager.default.fileExists(atPath: folder) { try? FileManager.default.removeItem(atPath: policy.directory) } }
        if let shard {
            let parts = shard.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let k = parts[0], let n = parts[1],
                  let range = estimator.plan.blocks(ofShard: k, of: n) else {
                throw ValidationError("--shard must be K/N with 0 <= K < N <= \(estimator.plan.blockCount) blocks, not '\(shard)'")
            }
            try StationaryPartialFolder.write(try estimator.runPartial(blocks: range, shard: (k, n), checkpoint: policy), to: folder)
            print("shard \(k)/\(n): blocks \(range); partial result in \(folder)/\(StationaryPartialFolder.fileName)")
            return
        }
        let r = merge.isEmpty ? try estimator.run(checkpoint: policy) : try estimator.finish(try merge.map(StationaryPartialFolder.read))
        var sweep: DtSweep?
        if dtSweep {
            sweep = try DtSweep.run(s, options: o, base: dt ?? s.time.dt)
        }
        let dependence = try HomogenisationError.epsilonDependence(r.scenario)
        try StationaryRunFolder.write(r, sweep: sweep, epsilonDependence: dependence, to: folder)
        report(r, sweep: sweep, dependence: dependence)
        fflush(stdout)   // the report first, then the warnings, also when both go to one file
        for w in StationaryRunFolder.warnings(r, sweep: sweep) { printError("stationary: warning: " + w) }
        print(formatSeconds(r.seconds) + "; run folder: " + folder)
    }

    private func report(_ r: StationaryResult, sweep: DtSweep?, dependence: [HomogenisationError]) {
        let s = r.scenario
        print("scenario \(s.name): \(s.dimension)D, eps = \(s.epsilonText), \(s.particles.count) particles, scheme \(r.scheme.rawValue), "
              + "dt = \(r.dt), \(r.steps) steps (t = \(number(Double(r.steps) * r.dt))), burn-in \(r.burnInSteps) steps "
              + "(t = \(number(Double(r.burnInSteps) * r.dt)), \(r.burnInRule))")
        if let a = r.acceptanceRate { print(String(format: "acceptance rate %.4f", a)) }
        let c = r.runLength
        print((c.startedAtPiEps ? "started at pi_eps (no burn-in needed)"
               : String(format: "started off pi_eps (total variation %.2g); burn-in %.3g tau_int", c.initialTotalVariation, c.burnInOverTauInt))
              + String(format: ", run after the burn-in %.3g tau_int (tau_int = %.3g, the largest of the observables'%@)",
                       c.runOverTauInt, c.tauInt, c.tauIntRough ? String(format: "; rough below %.0f tau_int", RunLengthCheck.runFactor) : ""))
        let axis = s.dimension == .one ? "" : " per axis"
        for (name, g) in [("pi_eps, output grid", r.fine), ("coarse-grained pi_eps, one cell per eps-period", r.coarse)] {
            // The merged cells of the test: testCells per axis (6 x 6 in 2D).
            let merged = s.dimension.axes.map { _ in "\(g.testCells)" }.joined(separator: " x ")
            let total = s.dimension.cells(perAxis: g.cells)
            let largest = g.maxZCells == 0 ? "largest |z| not tested (no cell has 10 independent samples per batch)"
                : String(format: "largest |z| p = %.3g", g.maxZPValue)
                + (g.maxZCells < total ? " over the \(g.maxZCells) cells with 10 independent samples per batch" : "")
            let repeated = g.cells == r.fine.cells && r.fineHotellingRepeatsCoarse
            print(String(format: "particles vs %@ (%d cells%@): Hotelling test on %@ merged cells p = %.3g%@, %@, "
                         + "total variation %.2e, 95%% intervals covering %.0f%%",
                         name, g.cells, axis, merged, g.pValue, repeated ? " (the coarse test's cells: counted once)" : "",
                         largest, g.totalVariation, 100 * g.coverage))
            for w in g.worstCells.prefix(3) {
                print(String(format: "   cell %4d: estimate %.5f  exact %.5f  se %.1e  z %+.2f", Int(w[0]), w[1], w[2], w[3], w[4]))
            }
        }
        let p = r.testPValues.min()!, threshold = StationaryResult.significanceLevel / Double(r.testPValues.count)
        let tests = r.testPValues.count == 4 ? "four" : "three"
        print(r.consistentWithPiEps
              ? String(format: "the particles match pi_eps (smallest p = %.3g >= %.3g: level %.2g, Bonferroni over the %@ tests)",
                       p, threshold, StationaryResult.significanceLevel, tests)
              : String(format: "the particles DIFFER from pi_eps (smallest p = %.3g < %.3g: level %.2g, Bonferroni over the %@ tests)",
                       p, threshold, StationaryResult.significanceLevel, tests))
        let h = r.homogenisationError
        print(String(format: "homogenisation error at eps = %@ (coarse-grained pi_eps vs pi_bar, exact; not a test): total variation %.3e, "
                     + "max relative cell difference %.3g%%, chi-square distance %.3e", s.epsilonText, h.totalVariation,
                     100 * h.maxRelativeCellDifference, h.chiSquareDistance))
        if let z = h.largestDifferenceInStandardErrors {
            print(String(format: "   largest cell difference = %.3g standard errors of this run: %@", z,
                         z >= 3 ? "resolved by these particles" : "below the resolution of these particles"))
        }
        if dependence.count > 1 {
            var line = "   against eps:"
            // Total variations below 1e-12 are round-off (π_ε coarse-grains to π̄ exactly, as for a
            // π whose fast factor averages out on every cell): "0", and no order from them.
            let roundOff = 1e-12
            for (k, d) in dependence.enumerated() {
                line += d.totalVariation < roundOff ? String(format: " eps = 1/%d: 0 to round-off", d.inverseEpsilon)
                    : String(format: " eps = 1/%d: %.3e", d.inverseEpsilon, d.totalVariation)
                if k > 0, dependence[k - 1].totalVariation >= roundOff, d.totalVariation >= roundOff {
                    // The order in ε: log(TV ratio) / log(ε ratio).
                    let previous = dependence[k - 1]
                    line += String(format: " (order %.2f)", Foundation.log(previous.totalVariation / d.totalVariation)
                                   / Foundation.log(Double(d.inverseEpsilon) / Double(previous.inverseEpsilon)))
                }
                line += k + 1 < dependence.count ? ";" : ""
            }
            print(line + " (total variation)")
        }
        for k in r.observables.indices {
            print(String(format: "%@: mean %.5f (exact %.5f), tau_int %.3g, ESS %.3g", r.observables[k], r.observableMeans[k],
                         r.observableExact[k], r.tauInt[k], r.ess[k]))
        }
        if let w = r.w2PiEps { print(String(format: "W2(estimate, pi_eps) = %.3e", w)) }
        if let sweep {
            let name = sweep.scheme == .em ? "Euler–Maruyama" : "\(sweep.scheme.rawValue) (weak order \(sweep.scheme.weakOrder))"
            print("\(name) bias of \(sweep.observable) against dt (the observable whose bias changes most with dt):")
            for (h, b, se) in zip(sweep.dts, zip(sweep.bias, sweep.standardError)).map({ ($0, $1.0, $1.1) }) {
                print(String(format: "  dt = %.3e: bias %+.3e (se %.1e, %@)", h, b, se, abs(b) >= 2 * se ? "significant" : "not significant"))
            }
            if let order = sweep.order, let se = sweep.orderStandardError {
                print(String(format: "  fitted order %.3f ± %.3f (standard error)", order, se))
            } else {
                print("  fitted order: none — not every bias stands out of the noise (|bias| < 2 se), so a slope would not be an order")
            }
        }
    }

    private func number(_ x: Double) -> String { String(format: "%.6g", x) }
}
