import ArgumentParser
import Foundation
import Homogen

/// Options shared by the commands that run the sampler.
struct SamplerOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: "Number of particles (overrides [particles] count).", transform: parseCount)
    var particles: Int?

    @Option(parsing: .unconditional, help: "Random seed (overrides [particles] seed).", transform: parseSeed)
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Worker threads (default: all cores). Results do not depend on it.", transform: parseCount)
    var threads: Int?

    @Flag(help: "Run even when dt > eps^2 * lambda_min(B) / 10 (the cell is then not resolved).")
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

    func samplerOptions(keepPositions: Bool = false, scheme: SchemeKind = .em) -> ParticleSampler.Options {
        var o = ParticleSampler.Options()
        o.scheme = scheme
        if let threads { o.threads = threads }
        o.allowCoarseTimeStep = allowCoarseDt
        o.keepPositions = keepPositions
        return o
    }
}

extension SchemeKind: ExpressibleByArgument {
    /// "em" or "metropolis" (also "mala", its older name).
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["em", "metropolis"] }
}

/// `--scheme`, the particle scheme of `sample`, `compare` and `bench`.
struct SchemeOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("em (Euler–Maruyama) or metropolis (the Euler–Maruyama step as a proposal, accepted or rejected so that pi_eps stays exactly invariant; backward-Ito only; 'mala' is accepted too).", valueName: "scheme"))
    var scheme: SchemeKind?

    /// The scheme to run: Euler–Maruyama unless given.
    var kind: SchemeKind { scheme ?? .em }
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

/// The sampler's time step, `--dt`, overriding the scenario's [time] dt (the rule of thumb
/// dt ≤ ε² λ_min(B) / 10 still applies unless --allow-coarse-dt).
struct TimeStepOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Sampler time step (default: the scenario's [time] dt).", valueName: "dt"))
    var dt: Double?

    func validate() throws {
        if let dt, !(dt > 0 && dt.isFinite) { throw ValidationError("--dt must be positive, not \(dt)") }
    }

    /// The scenario at the step to sample with.
    func apply(to s: Scenario) throws -> Scenario {
        guard let dt else { return s }
        return try s.replacing(time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: dt))
    }
}

/// A duration for reports: "12.3 s", or in milliseconds below a second ("0.00 s" said nothing).
func formatSeconds(_ seconds: Double) -> String {
    seconds >= 1 ? String(format: "%.2f s", seconds) : String(format: "%.1f ms", seconds * 1000)
}
