import ArgumentParser
import Foundation
import Homogen

/// Options shared by the commands that run the sampler.
struct SamplerOptionGroup: ParsableArguments {
    @Option(help: "Number of particles (overrides [particles] count).")
    var particles: Int?

    @Option(help: "Random seed (overrides [particles] seed).")
    var seed: UInt64?

    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
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

    func samplerOptions(keepPositions: Bool = false) -> ParticleSampler.Options {
        var o = ParticleSampler.Options()
        if let threads { o.threads = threads }
        o.allowCoarseTimeStep = allowCoarseDt
        o.keepPositions = keepPositions
        return o
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A default run folder name: runs/NAME-COMMAND-YYYYMMDD-HHMMSS.
func defaultRunFolder(_ s: Scenario, _ command: String) -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    f.timeZone = TimeZone(identifier: "UTC")
    return "runs/\(s.name)-\(command)-\(f.string(from: Date()))"
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
