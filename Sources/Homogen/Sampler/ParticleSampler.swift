import CKernels
import Foundation

/// The particle sampler of the ε-SDE on the torus: N particles from ρ0, stepped by a scheme
/// (Euler–Maruyama by default) to the output times, with particle counts per output cell (and,
/// optionally, every position) at each output time. A composition of the particle engine: a
/// `ParticleRun` (plan, coefficients, scheme, `TimeSchedule`), a `HistogramRecorder` and a
/// `PositionRecorder` per worker, and `ParticleEngine` for threads, checkpoints and stops.
///
/// Block b of `BlockPlan.blockSize` particles is driven by its own GSL stream seeded from (seed, b), so the
/// result is bit-identical for any number of threads, shards or processes, and across a
/// checkpoint and resume.
public struct ParticleSampler {
    public struct Options: Sendable {
        public var threads: Int
        /// Run even when dt is above the time-step rule (`timeStepLimit`).
        public var allowCoarseTimeStep: Bool
        /// Keep every particle position at each output time.
        public var keepPositions: Bool
        public var scheme: SchemeKind

        public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    allowCoarseTimeStep: Bool = false, keepPositions: Bool = false, scheme: SchemeKind = .standard) {
            self.threads = threads
            self.allowCoarseTimeStep = allowCoarseTimeStep
            self.keepPositions = keepPositions
            self.scheme = scheme
        }
    }

    /// Where and how often a run writes checkpoints, and whether it resumes from one.
    public struct CheckpointPolicy: Sendable {
        public var directory: String
        /// Seconds between checkpoints.
        public var interval: Double
        public var resume: Bool
        /// The time-step decision the run samples with, recorded in the checkpoint so that a resume
        /// takes it instead of repeating the pilots (`Checkpoint.saved`).
        public var timeStepControl: TimeStepControl.Report?
        public init(directory: String, interval: Double, resume: Bool = false) {
            self.directory = directory; self.interval = interval; self.resume = resume
        }
    }

    public let scenario: Scenario
    public let options: Options
    public let plan: BlockPlan
    private let particleRun: ParticleRun
    private let schedule: TimeSchedule

    /// The time-step rule: dt ≤ ε² λ_min(B) / 10, so that one step moves a particle by a small
    /// fraction of a cell (the noise moves it by about √(2 dt / λ_min(B))).
    public static func timeStepLimit(_ s: Scenario) -> Double {
        s.epsilon * s.epsilon * s.facts.mediumSmallestEigenvalue / 10
    }

    public init(scenario: Scenario, options: Options = Options()) throws {
        precondition(options.threads >= 1)
        self.scenario = scenario
        self.options = options
        let limit = Self.timeStepLimit(scenario)
        if scenario.time.dt > limit, !options.allowCoarseTimeStep {
            throw SamplerError.timeStepTooCoarse(
                dt: scenario.time.dt, limit: limit, epsilon: scenario.epsilonText,
                smallestEigenvalue: scenario.facts.mediumSmallestEigenvalue)
        }
        if options.scheme.isMetropolised, scenario.particles.convention != .backwardIto {
            throw SamplerError.metropolisNeedsBackwardIto
        }
        schedule = TimeSchedule(dt: scenario.time.dt, outputs: scenario.time.outputs)
        particleRun = try ParticleRun(scenario: scenario, scheme: options.scheme, schedule: schedule)
        plan = particleRun.plan
        let n = scenario.particles.count, d = scenario.dimension.count, outs = scenario.time.outputs.count
        if options.keepPositions, Double(n * d * outs) * 8 > 8 * 1_073_741_824 {
            throw SamplerError.tooMuchMemory(
                "keeping the positions would take \(n) x \(d) x \(outs) numbers (over 8 GiB); use fewer particles or output times")
        }
        let histogramBytes = Double(scenario.dimension.cells(perAxis: scenario.cells)) * Double(outs * max(1, options.threads)) * 16
        if histogramBytes > 4 * 1_073_741_824 {
            throw SamplerError.tooMuchMemory(
                "the histograms would need \(Int(histogramBytes / 1_048_576)) MiB; use fewer [grid] cells, output times or threads")
        }
    }

    /// The compiled drift and noise (what one step evaluates per particle).
    public var coefficientTape: Tape { particleRun.coefficients.tape }

    /// Number of steps (of positive length) to the last output time.
    public var stepCount: Int { schedule.stepCount }

    /// Asks a running sampler to stop after writing a checkpoint (async-signal-safe: the CLI
    /// calls it from its SIGINT/SIGTERM handler).
    public static func requestStop() { ParticleEngine.requestStop() }

    /// Runs the sampler over all blocks, or over `blocks` only (a shard: its particles are those of
    /// these blocks, and its histograms count only them). `progress`, if given, counts particle-steps.
    /// With `checkpoint`, writes checkpoints (`Checkpoint`) every `interval` seconds and when
    /// stopped by `requestStop()` (then it throws `SamplerError.interrupted`), and with `resume`
    /// continues from the one in its directory.
    public func run(blocks range: Range<Int>? = nil, progress: SamplerProgress? = nil,
                    checkpoint: CheckpointPolicy? = nil) throws -> SampleResult {
        let range = range ?? 0..<plan.blockCount
        precondition(range.lowerBound >= 0 && range.upperBound <= plan.blockCount)
        let dim = scenario.dimension, d = dim.count, outs = scenario.time.outputs.count
        let firstParticle = plan.firstParticle(of: range.lowerBound)
        let n = plan.particles(in: range)
        let positionCount = n * d * outs
        let positions: UnsafeMutablePointer<Double>? = options.keepPositions ? .allocate(capacity: positionCount) : nil
        defer { positions?.deallocate() }
        positions?.initialize(repeating: 0, count: positionCount)
        let cellCount = dim.cells(perAxis: scenario.cells)
        let fingerprint = try scenario.runFingerprint(blockSize: plan.blockSize, scheme: options.scheme)
        let metropolised = options.scheme.isMetropolised

        var run = particleRun
        run.progress = progress
        // Recorder 0: the histograms; 1 (Metropolised): the acceptance per output interval; then the positions.
        let makeWorker = { () -> ParticleWorker in
            ParticleWorker(run: run) { scheme in
                var recorders: [ParticleRecorder] = [HistogramRecorder(cells: scenario.cells, dimension: dim, records: outs)]
                if metropolised { recorders.append(AcceptanceRecorder(slots: outs, scheme: scheme)) }
                if let positions {
                    recorders.append(PositionRecorder(buffer: positions, particles: n, firstParticle: firstParticle, dimension: dim))
                }
                return recorders
            }
        }
        var previous: Checkpoint?
        if let checkpoint, checkpoint.resume {
            let fresh = makeWorker()
            let (c, data) = try Checkpoint.load(from: checkpoint.directory, expecting: .init(
                fingerprint: fingerprint, blockSize: plan.blockSize, blocks: range, dimension: d,
                particlesInBlock: { plan.particles(in: $0) }, committed: fresh.recorders.map(\.committedState),
                pending: fresh.recorders.map(\.pendingState), positionsBytes: options.keepPositions ? positionCount * 8 : nil))
            previous = c
            if let data, let positions { NPY.decodeFloat64(data, into: positions, count: positionCount) }
        }
        let checkpointing = checkpoint.map { policy in
            ParticleEngine.Checkpointing(interval: policy.interval, directory: policy.directory, fingerprint: fingerprint,
                                         blockSize: plan.blockSize, blocks: range, dt: scenario.time.dt,
                                         timeStepControl: policy.timeStepControl,
                                         positions: positions.map { p in { NPY.encodeFloat64(p, count: positionCount) } })
        }
        let outcome = try ParticleEngine.run(blocks: Array(range), threads: options.threads, makeWorker: makeWorker,
                                             resume: previous, checkpointing: checkpointing)
        if outcome.stopped { throw SamplerError.interrupted(checkpoint?.directory) }

        let totals = outcome.totals[0]!.counts
        let moves = metropolised ? outcome.totals[1]!.integers : nil
        let snapshots = (0..<outs).map { k in
            SampleResult.Snapshot(
                time: scenario.time.outputs[k], counts: Array(totals[k * cellCount..<(k + 1) * cellCount]),
                positions: positions.map { Array(UnsafeBufferPointer(start: $0 + k * n * d, count: n * d)) },
                moves: moves.map { SampleResult.Moves(accepted: $0[2 * k], proposed: $0[2 * k + 1]) })
        }
        let proposals = outcome.workers.reduce(0) { $0 + $1.proposals }
        let done = Set(previous?.completed ?? [])
        let drawn = range.filter { !done.contains($0) }.reduce(0) { $0 + plan.particles(in: $1) }
        var result = SampleResult(
            scenario: scenario, threads: outcome.workers.count, blockSize: plan.blockSize, blocks: plan.blockCount,
            blockRange: range, particlesInRange: n, steps: stepCount, seconds: outcome.seconds,
            initialAcceptanceRate: proposals == 0 ? 1 : Double(drawn) / Double(proposals),
            vectorKernels: hk_uses_avx2() != 0 ? "avx2+fma" : "baseline", snapshots: snapshots, scheme: options.scheme)
        if let previous {
            // Schedule iterations include the records, so a block in progress counts at most its steps.
            result.resumedParticleSteps = previous.completed.reduce(0.0) { $0 + Double(plan.particles(in: $1) * stepCount) }
                + previous.inProgress.reduce(0.0) { $0 + Double(plan.particles(in: $1.block) * min($1.iterations, stepCount)) }
        }
        return result
    }
}
