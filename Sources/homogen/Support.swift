import ArgumentParser
import Foundation
import Homogen

/// Options shared by the commands that run the sampler.
struct SamplerOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: "Number of particles (overrides [particles] count).", transform: parseParticleCount)
    var particles: Int?

    @Option(parsing: .unconditional, help: "Random seed (overrides [particles] seed).", transform: parseSeed)
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores). Results do not depend on it.", transform: parseCount)
    var threads: Int?

    @Flag(help: "Sample at the step given (--dt, or the scenario's where there is no --dt) even when it is too coarse: above eps^2 * lambda_min(B) / 10, or with a bias the pilot finds not small.")
    var allowCoarseDt = false

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 {
            throw ValidationError("--threads must be from 1 to 1024, not \(threads)")
        }
        if let particles, particles < 1 {
            throw ValidationError("--particles must be positive, not \(particles)")
        }
    }

    /// The scenario with the command-line overrides applied.
    func apply(to s: Scenario) throws -> Scenario {
        let p = ParticleSettings(
            count: particles ?? s.particles.count, seed: seed ?? s.particles.seed, convention: s.particles.convention)
        return try s.replacing(particles: p)
    }

    func samplerOptions(keepPositions: Bool = false, scheme: SchemeKind = .standard) -> ParticleSampler.Options {
        var o = ParticleSampler.Options()
        o.scheme = scheme
        if let threads { o.threads = threads }
        o.allowCoarseTimeStep = allowCoarseDt
        o.keepPositions = keepPositions
        return o
    }
}

extension SchemeKind: ExpressibleByArgument {
    /// "weak2", "em" or "metropolis" (also "mala", its older name).
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["weak2", "em", "metropolis"] }
}

/// `--scheme`, the particle scheme of `sample`, `compare` and `bench`.
struct SchemeOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("weak2 (the default: Kloeden–Platen's explicit weak order-2 scheme), em (Euler–Maruyama) or metropolis (the Euler–Maruyama step as a proposal, accepted or rejected so that pi_eps stays exactly invariant; backward-Ito only; 'mala' is accepted too).", valueName: "scheme"))
    var scheme: SchemeKind?

    /// The scheme to run: the weak order-2 scheme unless given.
    var kind: SchemeKind { scheme ?? .standard }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A default run folder name, unique under concurrency (see `OutputFolder.defaultName`).
func defaultRunFolder(_ s: Scenario, _ command: String) -> String {
    OutputFolder.defaultName(s, command)
}

/// Runs the sampler with a progress bar on standard error.
func runSampler(_ sampler: ParticleSampler, quiet: Bool, blocks: Range<Int>? = nil,
                checkpoint: ParticleSampler.CheckpointPolicy? = nil) throws -> SampleResult {
    let particles = blocks.map { sampler.plan.particles(in: $0) } ?? sampler.scenario.particles.count
    let progress = SamplerProgress(total: particles * max(sampler.stepCount, 1))
    let bar = quiet ? nil : ProgressBar(label: "sampling", progress: { progress.fraction })
    defer { bar?.finish() }
    return try sampler.run(blocks: blocks, progress: progress, checkpoint: checkpoint)
}

/// The sampler's time step: `--dt` and the check of its bias (`TimeStepControl`).
///
/// Without `--dt`, the step is chosen: the scenario's [time] dt (or the rule of thumb
/// ε² λ_min(B)/10 if smaller) is tried first and refined until a coupled dt/dt2 pilot finds its bias
/// small against the run's Monte Carlo noise. With `--dt`, that step is checked and refused if too
/// coarse, naming the step that passes — unless `--allow-coarse-dt`. `--skip-dt-check` skips the
/// pilot (then the step is unchecked, and the output says so).
struct TimeStepOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Sampler time step, checked against the run's Monte Carlo noise by a coupled dt/dt2 pilot (default: chosen by that check, starting from the scenario's [time] dt).", valueName: "dt"))
    var dt: Double?

    @Flag(help: "Do not measure the sampler's time-discretisation bias (no pilot: faster, but the step is unchecked).")
    var skipDtCheck = false

    func validate() throws {
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be positive, not \(dt)") }
    }

    /// The scenario at the step to sample with, and the control's report when the pilot ran;
    /// prints the steps tried unless quiet. `allowCoarse`: use `--dt` even if the pilot finds it
    /// too coarse.
    /// The scenario at the step to sample with, and the control's report (nil when not checked).
    /// `resuming`: what a checkpoint (already checked to be this run's) recorded; its step and
    /// decision are taken without repeating the pilots.
    func choose(_ s: Scenario, allowCoarse: Bool, threads: Int?, quiet: Bool, scheme: SchemeKind = .standard,
                resuming: Checkpoint.Saved? = nil) throws -> (Scenario, TimeStepControl.Report?) {
        func at(_ step: Double) throws -> Scenario {
            do { return try s.replacing(time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: step)) } catch let e as ScenarioError
                where dt != nil && e.key == "[time] dt" {
                // The step came from the command line: name the flag, not the scenario's key.
                throw ValidationError("--dt \(step): \(e.message)")
            }
        }
        if let dt { _ = try at(dt) }   // a --dt the scenario would refuse is refused before any pilot
        if let saved = resuming, let step = saved.dt, saved.timeStepControl != nil || skipDtCheck {
            if let dt, dt != step {
                throw ValidationError("--dt \(dt) differs from the step \(step) the checkpoint was sampled at; resume without --dt")
            }
            var report = saved.timeStepControl
            report?.reused = true
            if !quiet {
                printError("time step: dt = \(step) as the checkpoint recorded it (" + (report.map { _ in "its time-step decision is reused, no pilots" }
                                                                                     ?? "not checked: --skip-dt-check") + ")")
            }
            return (try at(step), report)
        }
        if skipDtCheck {
            if !quiet { printError("time step: dt = \(dt ?? s.time.dt) NOT checked (--skip-dt-check): the sampler's bias is unknown") }
            return (try at(dt ?? s.time.dt), nil)
        }
        let control = TimeStepControl(scenario: s, scheme: scheme,
                                      threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if !quiet {
            printError("time step: a pilot of \(control.pilotParticles) coupled particles (steps dt and dt/2) against the noise of "
                       + "\(s.particles.count) particles")
        }
        let journal = try TimeStepJournal(control: control, requested: dt, build: buildGitCommit ?? "unknown")
        if !quiet, journal.decision != nil {
            printError("time step: the decision measured before for this run is reused (\(journal.path))")
        } else if !quiet, journal.pilotsKept > 0 {
            printError("time step: \(journal.pilotsKept) pilot(s) measured before for this run are reused (\(journal.path))")
        }
        let report: TimeStepControl.Report
        defer {
            if let failure = journal.writeFailure {
                printError("warning: the time-step journal (the cache of the pilots, \(journal.path)) could not be written: \(failure); "
                           + "the pilots are not kept for a rerun or --resume (set HOMOGEN_CACHE_DIR to a writable folder)")
            }
        }
        report = try control.choose(requested: dt, allowCoarse: allowCoarse, journal: journal) { t in
            if !quiet { printError(Self.describe(t)) }
        }
        if !quiet { printError(Self.decision(report)) }
        return (try at(report.dt), report)
    }

    /// One step tried by the pilot.
    static func describe(_ t: TimeStepControl.Trial) -> String {
        guard t.finite else { return String(format: "  dt = %-10.4g the pilot blew up: too coarse", t.dt) }
        guard t.noncentrality.isFinite else {
            return String(format: "  dt = %-10.4g bias unbounded: the local error does not fall over this halving", t.dt)
        }
        return String(format: "  dt = %-10.4g bias shifts chi-square by %9.3g ± %-8.2g (allowed %.3g; t = %g, %d groups of %d^d cells)%@",
                      t.dt, t.noncentrality, t.standardError, t.threshold, t.worstTime, t.groups, t.coarsening,
                      t.passes ? ": passes" : "")
    }

    /// What a run's report says of its time step: a line for the table and a flag for the verdict
    /// ("" when the step passed the check).
    static func note(_ sample: SampleResult, fromFolder: Bool) -> (line: String, flag: String) {
        guard sample.steps > 0 else { return ("time step: no steps (only t = 0)", "") }
        guard let c = sample.timeStepControl else {
            let why = fromFolder ? " (the sample folder has no time-step check)" : " (--skip-dt-check)"
            return ("time step: dt = \(sample.scenario.time.dt) NOT checked" + why
                        + ": the sampler's bias is unknown",
                    "; the sampler's time step was NOT checked")
        }
        let line = decision(c)
        if c.passed { return (line, "") }
        return (line, c.method == .unresolved
                ? "; the sampler's time step is NOT certified (its bias is below what the pilot resolves)"
                : "; the sampler's time step is TOO COARSE for this N (bias not small against the noise)")
    }

    /// The decision, one line.
    static func decision(_ r: TimeStepControl.Report) -> String {
        // A decision from the journal cost this run nothing: its seconds are the run's that measured it.
        let pilots = r.reused ? String(format: "(pilots reused from the journal: %.1f s when measured)", r.seconds)
            : String(format: "(pilots %.1f s)", r.seconds)
        if r.method == .unresolved {
            let coarsest = r.trials.map(\.dt).max() ?? r.dt
            if !r.trials.contains(where: \.resolved) {
                return String(format: "time step: dt = %g NOT certified: the pilots resolved no bias at any step up to %g (%.0f times "
                              + "this one), but their noise is too large to show it small %@",
                              r.dt, coarsest, coarsest / r.dt, pilots)
            }
            return String(format: "time step: dt = %g NOT certified: the pilots lost its bias in their own noise before they could "
                          + "show it small or too large %@", r.dt, pilots)
        }
        let how = r.method == .pilot ? "its own pilot passes"
            : r.method == .none ? "no step certified"
            : (r.ratio ?? 1) > 1 ? String(format: "extrapolated with the measured convergence ratio %.2f per halving", r.ratio!)
            : "extrapolated from a coarser pilot by the ratios measured above it; none is measured at the last halving, "
              + "so none is assumed there (ratio 1)"
        return String(format: "time step: dt = %g (%@; bias at most %.2g of the allowed shift)%@ %@", r.dt, how,
                      r.boundOverThreshold,
                      r.passed ? "" : ", NOT small against the Monte Carlo noise (--allow-coarse-dt)", pilots)
    }
}

/// A duration for reports: "12.3 s", or in milliseconds below a second ("0.00 s" said nothing).
func formatSeconds(_ seconds: Double) -> String {
    seconds >= 1 ? String(format: "%.2f s", seconds) : String(format: "%.1f ms", seconds * 1000)
}

/// For a scenario whose particles follow another convention than backward Itô: the Fokker–Planck
/// equations homogen solves, (2.4) and its limit, are the laws of the backward-Itô dynamics only.
func conventionNote(_ s: Scenario) -> String? {
    let c = s.particles.convention
    guard c != .backwardIto else { return nil }
    return "convention = '\(c.rawValue)' is the particles' only: the eps-PDE (2.4) is the law of the backward-Ito "
        + "dynamics, so \(c.rawValue) particles are expected to differ from it"
}
