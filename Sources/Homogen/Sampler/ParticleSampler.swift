import CKernels
import Foundation

/// The particle sampler of the ε-SDE on the torus: N particles from ρ0, stepped by a scheme
/// (Euler–Maruyama by default) to the output times, with particle counts per output cell (and,
/// optionally, every position) at each output time. A composition of the particle engine: a
/// `ParticleRun` (plan, coefficients, scheme, `TimeSchedule`), a `HistogramRecorder` and a
/// `PositionRecorder` per worker, and `ParticleEngine` for threads, checkpoints and stops.
///
/// Block b of `BlockSize` particles is driven by its own GSL stream seeded from (seed, b), so the
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

        var previous: Checkpoint?
        if let checkpoint, checkpoint.resume {
            let (c, data) = try Checkpoint.load(from: checkpoint.directory, fingerprint: fingerprint, blockSize: plan.blockSize,
                                                blocks: range, outputs: outs, cells: cellCount,
                                                positionsBytes: options.keepPositions ? positionCount * 8 : nil,
                                                metropolised: metropolised)
            previous = c
            if let data, let positions { Self.decode(data, into: positions, count: positionCount) }
        }
        let done = Set(previous?.completed ?? [])
        let todo = range.filter { !done.contains($0) }
        var resumeStates: [Int: Checkpoint.BlockState] = [:]
        for state in previous?.inProgress ?? [] { resumeStates[state.block] = state }

        var run = particleRun
        run.progress = progress
        let makeWorker = { () -> ParticleWorker in
            let histograms = HistogramRecorder(cells: scenario.cells, dimension: dim, records: outs)
            var recorders: [ParticleRecorder] = [histograms]
            if let positions {
                recorders.append(PositionRecorder(buffer: positions, particles: n, firstParticle: firstParticle, dimension: dim))
            }
            return ParticleWorker(run: run, recorders: recorders, histograms: histograms,
                                  acceptanceRecords: metropolised ? outs : nil)
        }
        let checkpointing = checkpoint.map { policy in
            ParticleEngine.Checkpointing(interval: policy.interval) { workers, completed, inProgress in
                var counts = previous?.counts ?? [[Double]](repeating: [Double](repeating: 0, count: cellCount), count: outs)
                for w in workers {
                    for (k, c) in w.histograms!.committedByRecord.enumerated() { for i in 0..<cellCount { counts[k][i] += c[i] } }
                }
                var moves: [Int]?
                if metropolised {
                    var m = previous?.acceptance ?? [Int](repeating: 0, count: 2 * outs)
                    for w in workers { for (i, c) in w.acceptance!.committed.enumerated() { m[i] += c } }
                    moves = m
                }
                let data = positions.map { Self.encode($0, count: positionCount) }
                let c = Checkpoint(fingerprint: fingerprint, blockSize: plan.blockSize, firstBlock: range.lowerBound,
                                   endBlock: range.upperBound, completed: completed, counts: counts,
                                   positionsHash: data.map { Checkpoint.hash($0) }, inProgress: inProgress, acceptance: moves)
                try c.write(to: policy.directory, positions: data)
            }
        }
        let outcome = try ParticleEngine.run(blocks: todo, threads: options.threads, makeWorker: makeWorker,
                                             resume: resumeStates, completed: previous?.completed ?? [],
                                             checkpointing: checkpointing)
        if outcome.stopped { throw SamplerError.interrupted(checkpoint?.directory) }

        var totals = [Double](repeating: 0, count: outs * cellCount)
        for w in outcome.workers { for (i, c) in w.histograms!.committed.enumerated() { totals[i] += c } }
        if let previous { for k in 0..<outs { for i in 0..<cellCount { totals[k * cellCount + i] += previous.counts[k][i] } } }
        var moves: [Int]?
        if metropolised {
            var m = previous?.acceptance ?? [Int](repeating: 0, count: 2 * outs)
            for w in outcome.workers { for (i, c) in w.acceptance!.committed.enumerated() { m[i] += c } }
            moves = m
        }
        let snapshots = (0..<outs).map { k in
            SampleResult.Snapshot(
                time: scenario.time.outputs[k], counts: Array(totals[k * cellCount..<(k + 1) * cellCount]),
                positions: positions.map { Array(UnsafeBufferPointer(start: $0 + k * n * d, count: n * d)) },
                moves: moves.map { SampleResult.Moves(accepted: $0[2 * k], proposed: $0[2 * k + 1]) })
        }
        let proposals = outcome.workers.reduce(0) { $0 + $1.proposals }
        let drawn = todo.reduce(0) { $0 + plan.particles(in: $1) }
        return SampleResult(
            scenario: scenario, threads: outcome.workers.count, blockSize: plan.blockSize, blocks: plan.blockCount,
            blockRange: range, particlesInRange: n, steps: stepCount, seconds: outcome.seconds,
            initialAcceptanceRate: proposals == 0 ? 1 : Double(drawn) / Double(proposals),
            vectorKernels: hk_uses_avx2() != 0 ? "avx2+fma" : "baseline", snapshots: snapshots, scheme: options.scheme)
    }

    private static func encode(_ p: UnsafeMutablePointer<Double>, count: Int) -> Data {
        var bytes = Data(count: count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for i in 0..<count { raw.storeBytes(of: p[i].bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
        }
        return bytes
    }

    private static func decode(_ data: Data, into p: UnsafeMutablePointer<Double>, count: Int) {
        data.withUnsafeBytes { raw in
            for i in 0..<count {
                p[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
            }
        }
    }
}
