import ArgumentParser
import Foundation
import Homogen

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Run the particle sampler (the weak order-2 scheme by default, Euler–Maruyama or Metropolised; backward-Itô SDE) and write histograms to a run folder.")

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @OptionGroup var sampling: SamplerOptionGroup

    @OptionGroup var timeStep: TimeStepOptionGroup

    @OptionGroup var scheme: SchemeOptionGroup

    @Option(help: "Run folder to create (default: runs/NAME-sample-TIMESTAMP).")
    var out: String?

    @Flag(help: "Also write the particle positions at each output time (positions_NNN.npy).")
    var positions = false

    @Flag(name: [.short, .long], help: "No progress bar.")
    var quiet = false

    @Option(help: "Run only shard K of N (K from 0): a deterministic range of particle blocks, written as a partial run folder for `homogen merge`.")
    var shard: String?

    @Option(help: "Write a checkpoint (OUT.checkpoint) every this many seconds; SIGINT/SIGTERM write one and stop.")
    var checkpointEvery: Double?

    @Option(help: "Resume from a checkpoint folder (OUT.checkpoint); the run folder defaults to OUT.")
    var resume: String?

    func validate() throws {
        _ = try parsedShard()
        if let checkpointEvery, !(checkpointEvery > 0) { throw ValidationError("--checkpoint-every must be positive") }
    }

    func parsedShard() throws -> (index: Int, count: Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, k >= 0, k < n else {
            throw ValidationError("--shard must be K/N with 0 <= K < N, not '\(shard)'")
        }
        return (k, n)
    }

    func run() throws {
        let s = try sampling.apply(to: try Scenario.load(path: scenario))
        var folder = out
        if folder == nil, let resume, resume.hasSuffix(".checkpoint") { folder = String(resume.dropLast(".checkpoint".count)) }
        let target = folder ?? defaultRunFolder(s, "sample")
        var policy: ParticleSampler.CheckpointPolicy?
        if checkpointEvery != nil || resume != nil {
            policy = .init(directory: resume ?? target + ".checkpoint", interval: checkpointEvery ?? 60, resume: resume != nil)
        }
        Interrupts.install("sample", safePoints: true)
        Interrupts.checkpointAdvice = checkpointEvery == nil && resume == nil
            ? "pass --checkpoint-every SECONDS: Ctrl-C then writes a checkpoint, and --resume continues from it (docs/scaling.md)"
            : nil
        try SampleCommand.sampleAndReport(s, out: target, positions: positions, quiet: quiet, sampling: sampling, timeStep: timeStep,
                                          scheme: scheme.kind, shard: try parsedShard(), checkpoint: policy)
        if let policy { try? FileManager.default.removeItem(atPath: policy.directory) }
    }

    static func sampleAndReport(_ s: Scenario, out: String?, positions: Bool, quiet: Bool,
                                sampling: SamplerOptionGroup, timeStep: TimeStepOptionGroup, scheme: SchemeKind = .standard,
                                shard: (index: Int, count: Int)? = nil,
                                checkpoint: ParticleSampler.CheckpointPolicy? = nil) throws {
        // Everything that can be refused without sampling is refused before the time-step pilots:
        // the run folder, the memory, the scheme's convention, the shard.
        let folder = out ?? defaultRunFolder(s, "sample")
        try OutputFolder.check(folder, estimatedBytes: OutputFolder.estimate(s, columns: 2 * s.dimension.count + 2, positions: positions))
        var options = sampling.samplerOptions(keepPositions: positions, scheme: scheme)
        var unchecked = options
        unchecked.allowCoarseTimeStep = true
        let plan = try ParticleSampler(scenario: s, options: unchecked).plan
        var blocks: Range<Int>?
        if let shard {
            guard let range = plan.blocks(ofShard: shard.index, of: shard.count) else {
                throw ValidationError("--shard \(shard.index)/\(shard.count): the run has only \(plan.blockCount) blocks of \(plan.blockSize) particles")
            }
            blocks = range
        }
        var saved: Checkpoint.Saved?
        if let checkpoint, checkpoint.resume {
            saved = try Checkpoint.precheck(directory: checkpoint.directory, scenario: s, blockSize: plan.blockSize, scheme: scheme)
        }
        let (s, control) = try timeStep.choose(s, allowCoarse: sampling.allowCoarseDt, threads: sampling.threads, quiet: quiet,
                                               scheme: scheme, resuming: saved)
        var checkpoint = checkpoint
        checkpoint?.timeStepControl = control
        if control?.passed == true { options.allowCoarseTimeStep = true }   // measured: the rule of thumb is moot
        let sampler = try ParticleSampler(scenario: s, options: options)
        // The header before the work, so that a long run says at once what it is doing.
        print("scenario \(s.name): \(s.dimension)D, eps = \(s.epsilonText), \(s.particles.count) particles, "
              + "\(sampler.stepCount) steps of dt = \(s.time.dt), convention \(s.particles.convention.rawValue), scheme \(scheme.rawValue)")
        var result = try runSampler(sampler, quiet: quiet, blocks: blocks, checkpoint: checkpoint)
        result.timeStepControl = control
        Provenance.resolve("particles", "\(s.particles.count)")
        Provenance.resolve("seed", "\(s.particles.seed)")
        Provenance.resolve("threads", "\(result.threads)")
        Provenance.resolve("dt", "\(s.time.dt)")
        Provenance.resolve("scheme", scheme.rawValue)
        let summary = try SampleRunFolder.write(result, to: folder, shard: shard)
        if let shard { print("shard \(shard.index)/\(shard.count): blocks \(result.blockRange), \(result.particlesInRange) particles") }
        if let acceptance = summary.acceptance {
            // Metropolised: the moves accepted over the interval ending at each output time.
            print("     t   particles  acceptance (accepted/proposed since the previous output)  file")
            for (o, a) in zip(summary.outputs, acceptance) {
                let rate = a.rate.map { String(format: "%.5f", $0) } ?? "      -"
                print(String(format: "%6.4g  %10d  ", o.t, o.particles) + rate
                      + "  " + "\(a.accepted)/\(a.proposed)".padding(toLength: 48, withPad: " ", startingAt: 0) + o.histogram)
            }
        } else {
            print("     t   particles  file")
            for o in summary.outputs {
                print(String(format: "%6.4g  %10d  ", o.t, o.particles) + o.histogram)
            }
        }
        print(TimeStepOptionGroup.note(result, fromFolder: false).line)
        print(formatSeconds(result.seconds) + String(format: " on %d threads", result.threads)
              + (result.steps == 0 ? " (no steps: every output time is t = 0)"
                 : String(format: ", %.2f ns per particle-step", result.nsPerParticleStep)
                    + (result.resumedParticleSteps > 0 ? " (the part after the checkpoint)" : "")))
        print("run folder: \(folder)")
    }
}
