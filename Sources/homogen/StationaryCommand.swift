import ArgumentParser
import Foundation
import Homogen

struct StationaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationary",
        abstract: "Estimate the stationary density from particles (pi_eps and pi_bar) with error bars; Metropolised (MALA) or Euler–Maruyama.",
        discussion: """
            Runs the particles over [time] final, discards the first 20% (burn-in), records every --record-every steps,
            and estimates cell probabilities with batch-means standard errors, against the exact pi_eps (output grid)
            and pi_bar (one cell per eps-period). --dt-sweep runs Euler–Maruyama at dt, dt/2, dt/4, dt/8 and fits the
            order of the bias of the fast observable cos(2 pi x1/eps).
            """)

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @Option(help: "em (Euler–Maruyama, biased by O(dt)) or metropolis (MALA, exactly invariant; 'mala' is accepted too).")
    var scheme: SchemeKind = .metropolis

    @Option(help: "Time step (default: the scenario's [time] dt).")
    var dt: Double?

    @Flag(help: "Run Euler–Maruyama at dt, dt/2, dt/4, dt/8 and report the bias of cos(2 pi x1/eps) with the fitted order.")
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

    func run() throws {
        let s = try sampling.apply(to: try Scenario.load(path: scenario))
        var o = StationaryEstimator.Options()
        o.scheme = scheme
        o.dt = dt
        if let threads = sampling.threads { o.threads = threads }
        o.batches = batches
        o.recordEvery = recordEvery
        o.allowCoarseTimeStep = sampling.allowCoarseDt
        let folder = out ?? defaultRunFolder(s, "stationary")
        try OutputFolder.check(folder, estimatedBytes: OutputFolder.estimate(s, columns: 6))
        let estimator = try StationaryEstimator(scenario: s, options: o)
        if let shard {
            let parts = shard.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let k = parts[0], let n = parts[1],
                  let range = estimator.plan.blocks(ofShard: k, of: n) else {
                throw ValidationError("--shard must be K/N with 0 <= K < N <= \(estimator.plan.blockCount) blocks, not '\(shard)'")
            }
            try StationaryPartialFolder.write(try estimator.runPartial(blocks: range, shard: (k, n)), to: folder)
            print("shard \(k)/\(n): blocks \(range); partial result in \(folder)/\(StationaryPartialFolder.fileName)")
            return
        }
        let r = merge.isEmpty ? try estimator.run() : try estimator.finish(try merge.map(StationaryPartialFolder.read))
        var sweep: DtSweep?
        if dtSweep {
            sweep = try DtSweep.run(s, options: o, base: dt ?? s.time.dt)
        }
        try StationaryRunFolder.write(r, sweep: sweep, to: folder)
        print("scenario \(s.name): \(s.dimension)D, eps = \(s.epsilonText), \(s.particles.count) particles, scheme \(r.scheme.rawValue), "
              + "dt = \(r.dt), \(r.steps) steps, burn-in \(r.burnInSteps) steps (first 20%)")
        if let a = r.acceptanceRate { print(String(format: "acceptance rate %.4f", a)) }
        for (name, g) in [("pi_eps (output grid)", r.fine), ("pi_bar (one cell per eps-period)", r.coarse)] {
            print(String(format: "%@: %d cells, Hotelling test on %d merged cells p = %.3g, total variation %.2e, 95%% intervals covering %.0f%%",
                         name, g.cells, g.testCells, g.chi2PValue, g.totalVariation, 100 * g.coverage))
            for w in g.worstCells.prefix(3) {
                print(String(format: "   cell %4d: estimate %.5f  exact %.5f  se %.1e  z %+.2f", Int(w[0]), w[1], w[2], w[3], w[4]))
            }
        }
        for k in r.observables.indices {
            print(String(format: "%@: mean %.5f (exact %.5f), tau_int %.3g, ESS %.3g", r.observables[k], r.observableMeans[k],
                         r.observableExact[k], r.tauInt[k], r.ess[k]))
        }
        if let w = r.w2PiEps { print(String(format: "W2(estimate, pi_eps) = %.3e", w)) }
        if let sweep {
            print("Euler–Maruyama bias of \(s.dimension == 1 ? "cos(2 pi x/eps)" : "cos(2 pi x1/eps)") against dt:")
            for (h, b, se) in zip(sweep.dts, zip(sweep.bias, sweep.standardError)).map({ ($0, $1.0, $1.1) }) {
                print(String(format: "  dt = %.3e: bias %+.3e (se %.1e)", h, b, se))
            }
            print(String(format: "  fitted order %.3f", sweep.order)
                  + (sweep.orderStandardError.map { String(format: " ± %.3f (standard error)", $0) } ?? ""))
            if !sweep.biasesSignificant {
                print("  warning: some biases are below twice their standard error: the fitted order is not a measurement "
                      + "(use more particles or a longer run)")
            }
        }
        print(formatSeconds(r.seconds) + "; run folder: " + folder)
    }
}
