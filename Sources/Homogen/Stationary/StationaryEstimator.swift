import Foundation

/// Estimates the stationary density of the ε-diffusion from particles: ergodic averages over many
/// particles and long times after a burn-in, histograms at two resolutions (the output grid and
/// one cell per ε-period, each against the exact masses of π_ε on its cells), standard errors per
/// cell by batch means, integrated autocorrelation times and effective sample sizes; beside them
/// the homogenisation error at this ε (coarse-grained π_ε against π̄, no particles involved).
///
/// A composition of the particle engine: a `ParticleRun` with the chosen scheme — `metropolis` (MALA, π_ε
/// exactly invariant) or `em` (Euler–Maruyama, invariant measure π_ε + O(dt)) — on a
/// `RecordingSchedule` (burn-in, then a record every `recordEvery` steps), and a
/// `BatchMeansRecorder` per worker. The batches are groups of particles (particle p in batch
/// p mod B): the particles are independent, so the batch means are exactly independent whatever
/// the time correlation of each trajectory.
public struct StationaryEstimator {
    public struct Options: Sendable {
        public var scheme: SchemeKind = .metropolis
        /// Time step (default: the scenario's [time] dt).
        public var dt: Double?
        public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        /// Batches (groups of particles) for the batch-means standard errors.
        public var batches: Int = 100
        /// Record the positions every this many steps.
        public var recordEvery: Int = 5
        /// Run Euler–Maruyama even above the time-step rule.
        public var allowCoarseTimeStep = false
        /// Length of the run (default: the scenario's [time] final).
        public var final: Double?
        /// Time discarded before recording (default: `burnInFraction` of the run).
        public var burnIn: Double?
        public init() {}
    }

    public let scenario: Scenario
    public let options: Options
    public let dt: Double
    public let steps: Int
    /// Steps discarded before recording: `Options.burnIn`, by default the first fifth of the run.
    public let burnInSteps: Int
    /// How the burn-in was chosen, for reports.
    public let burnInRule: String
    private let schedule: RecordingSchedule
    private let particleRun: ParticleRun

    /// The default burn-in: the first 20% of the run is discarded.
    public static let burnInFraction = 0.2

    /// `scenario`'s [time] final is replaced by `options.final` when given (the estimator's
    /// `scenario` is the one that ran).
    public init(scenario given: Scenario, options: Options = Options()) throws {
        self.options = options
        dt = options.dt ?? given.time.dt
        guard dt > 0, dt.isFinite else { throw StationaryError.badSetting("the time step must be positive, not \(dt)", .dt) }
        let final = options.final ?? given.time.final
        guard final > 0, final.isFinite, final >= dt else { throw StationaryError.badRunLength(final: final, dt: dt) }
        guard final / dt <= 1e12 else {
            throw StationaryError.badSetting("the time step \(dt) gives final/dt = \(final / dt) steps, more than 10^12", .dt)
        }
        let burnIn = options.burnIn ?? Self.burnInFraction * final
        guard burnIn >= 0, burnIn < final else { throw StationaryError.badBurnIn(burnIn: burnIn, final: final) }
        let s = options.final == nil ? given
            : try given.replacing(time: TimeSettings(final: final, outputs: [final], dt: given.time.dt <= final ? given.time.dt : dt))
        scenario = s
        guard s.particles.convention == .backwardIto else { throw SamplerError.stationaryNeedsBackwardIto(s.particles.convention) }
        guard options.batches >= 2 else { throw StationaryError.badSetting("at least 2 batches are needed, not \(options.batches)", .batches) }
        guard options.recordEvery >= 1 else {
            throw StationaryError.badSetting("the recording interval must be at least 1 step, not \(options.recordEvery)", .recordEvery)
        }
        if options.scheme != .metropolis, dt > ParticleSampler.timeStepLimit(s), !options.allowCoarseTimeStep {
            throw SamplerError.timeStepTooCoarse(dt: dt, limit: ParticleSampler.timeStepLimit(s), epsilon: s.epsilonText,
                                                 smallestEigenvalue: s.facts.mediumSmallestEigenvalue)
        }
        steps = max(1, Int((final / dt).rounded()))
        burnInSteps = min(steps - 1, Int((burnIn / dt).rounded()))
        burnInRule = options.burnIn == nil ? "the first 20% of the run" : "as given"
        guard s.particles.count >= 10 * options.batches else {
            throw StationaryError.badSetting("\(s.particles.count) particles are too few for \(options.batches) batches (10 per batch at least)", .batches)
        }
        // The batch histograms (fine and coarse cells per batch, committed and pending per worker,
        // and their total), refused before any work when they would not fit.
        let cellsPerBatch = Double(s.dimension.cells(perAxis: s.cells) + s.dimension.cells(perAxis: s.inverseEpsilon))
        let gib = cellsPerBatch * Double(options.batches) * 8 * Double(2 * max(1, options.threads) + 1) / 1_073_741_824
        guard gib <= 4 else {
            throw StationaryError.badSetting("the batch histograms would take \(String(format: "%.1f", gib)) GiB (\(options.batches) batches of "
                                             + "\(s.cells) cells per axis in \(s.dimension)D, over 4 GiB); use fewer cells or batches")
        }
        schedule = RecordingSchedule(dt: dt, steps: steps, burnIn: burnInSteps, every: options.recordEvery)
        guard schedule.recordings >= 2 else {
            throw StationaryError.badSetting("too few recordings after the burn-in (\(burnInSteps) of \(steps) steps, a record every "
                                             + "\(options.recordEvery)): lengthen the run, shorten the burn-in or record more often")
        }
        particleRun = try ParticleRun(scenario: s, scheme: options.scheme, schedule: schedule)
    }

    /// Recordings after the burn-in.
    var recordings: Int { schedule.recordings }

    public var plan: BlockPlan { particleRun.plan }

    /// Runs every block; with `checkpoint`, writes checkpoints every `interval` seconds and when
    /// stopped by `ParticleSampler.requestStop()` (then it throws `SamplerError.interrupted`), and
    /// with `resume` continues from the one in its directory — bit-identical to an uninterrupted run.
    public func run(checkpoint: ParticleSampler.CheckpointPolicy? = nil) throws -> StationaryResult {
        try finish([try runPartial(blocks: 0..<plan.blockCount, checkpoint: checkpoint)])
    }

    /// Identifies the run a partial result belongs to: the run fingerprint (scenario, seed,
    /// version, block size) and the estimator's options.
    public func fingerprint() throws -> String {
        try scenario.runFingerprint(blockSize: plan.blockSize)
            + "-\(options.scheme.rawValue)-\(dt)-\(options.batches)-\(options.recordEvery)-\(burnInSteps)"
    }

    /// The accumulators' layout in the batch-means recorder's state.
    private var layout: BatchMeansRecorder.Layout {
        let s = scenario
        return BatchMeansRecorder.Layout(batches: options.batches, fineCells: s.dimension.cells(perAxis: s.cells),
                                         coarseCells: s.dimension.cells(perAxis: s.inverseEpsilon), recordings: recordings,
                                         blockSize: plan.blockSize, observables: BatchMeansRecorder.observables(s.dimension))
    }

    /// Runs the particles of `blocks` only (a shard) and returns the raw accumulators; checkpoints
    /// as `run`.
    public func runPartial(blocks range: Range<Int>, shard: (index: Int, count: Int)? = nil,
                           checkpoint: ParticleSampler.CheckpointPolicy? = nil) throws -> StationaryPartial {
        let s = scenario
        let metropolised = options.scheme.isMetropolised
        // Recorder 0: the batch means; 1 (Metropolised): the moves of every block.
        let makeWorker = { () -> ParticleWorker in
            ParticleWorker(run: particleRun) { scheme in
                [BatchMeansRecorder(dimension: s.dimension, batches: options.batches, fine: s.cells, coarse: s.inverseEpsilon,
                                    recordings: recordings, inverseEpsilon: s.inverseEpsilon, blockSize: plan.blockSize)]
                    + (metropolised ? [AcceptanceRecorder(slots: 1, scheme: scheme)] : [])
            }
        }
        let fp = try fingerprint()
        var previous: Checkpoint?
        if let checkpoint, checkpoint.resume {
            let fresh = makeWorker()
            previous = try Checkpoint.load(from: checkpoint.directory, expecting: .init(
                fingerprint: fp, blockSize: plan.blockSize, blocks: range, dimension: s.dimension.count,
                particlesInBlock: { plan.particles(in: $0) }, committed: fresh.recorders.map(\.committedState),
                pending: fresh.recorders.map(\.pendingState), positionsBytes: nil)).0
        }
        let checkpointing = checkpoint.map {
            ParticleEngine.Checkpointing(interval: $0.interval, directory: $0.directory, fingerprint: fp,
                                         blockSize: plan.blockSize, blocks: range, dt: dt, timeStepControl: nil, positions: nil)
        }
        let outcome = try ParticleEngine.run(blocks: Array(range), threads: options.threads, makeWorker: makeWorker,
                                             resume: previous, checkpointing: checkpointing)
        if outcome.stopped { throw SamplerError.interrupted(checkpoint?.directory) }
        let state = outcome.totals[0]!, moves = metropolised ? outcome.totals[1]!.integers : [0, 0]
        let layout = self.layout
        return StationaryPartial(
            fingerprint: fp, shardIndex: shard?.index ?? 0, shardCount: shard?.count ?? 1,
            firstBlock: range.lowerBound, endBlock: range.upperBound, fineCounts: layout.fineCounts(state),
            coarseCounts: layout.coarseCounts(state), observableSums: layout.series(state), observableMoments: layout.moments(state),
            accepted: moves[0], proposed: moves[1], seconds: outcome.seconds)
    }

    /// Combines partial results covering every block exactly once (any order) into the result:
    /// their accumulators add as recorder states (`RecorderState.+=`: integer counts and exact
    /// sums), so the result equals the single run's bit for bit.
    public func finish(_ partials: [StationaryPartial]) throws -> StationaryResult {
        let fp = try fingerprint()
        guard !partials.isEmpty else { throw StationaryError.partials("no partial results to combine") }
        let layout = self.layout
        for p in partials {
            guard p.firstBlock <= p.endBlock else {
                throw StationaryError.partials("a partial result of blocks \(p.firstBlock)..<\(p.endBlock) (corrupt)")
            }
            guard p.fingerprint == fp else {
                throw StationaryError.partials("a partial result of another run (fingerprint \(p.fingerprint), expected \(fp))")
            }
            guard layout.state(fine: p.fineCounts, coarse: p.coarseCounts, series: p.observableSums, moments: p.observableMoments)
                .hasShape(of: layout.empty) else {
                throw StationaryError.partials("the partial result of blocks \(p.firstBlock)..<\(p.endBlock) does not fit this run's batches, cells or recordings")
            }
        }
        let ordered: [StationaryPartial]
        do {
            ordered = try BlockCoverage.order(partials.map { $0.firstBlock..<$0.endBlock }, blocks: plan.blockCount).map { partials[$0] }
        } catch {
            throw StationaryError.partials(error.description)
        }
        let state = RecorderState.total(ordered.map {
            layout.state(fine: $0.fineCounts, coarse: $0.coarseCounts, series: $0.observableSums, moments: $0.observableMoments)
        })!
        let moves = RecorderState.total(ordered.map { RecorderState(integers: [$0.accepted, $0.proposed]) })!.integers
        let seconds = ordered.reduce(0) { $0 + $1.seconds }
        let n = Double(scenario.particles.count)
        return StationaryResult(
            estimator: self, fineCounts: layout.fineCounts(state), coarseCounts: layout.coarseCounts(state),
            observableSeries: layout.series(state).map { $0.map { $0.value / n } },
            observableMoments: layout.moments(state).map { $0.map(\.value) },
            acceptanceRate: options.scheme == .metropolis ? Double(moves[0]) / Double(max(moves[1], 1)) : nil, seconds: seconds)
    }
}

/// Why a stationary estimate cannot run or its partial results cannot be combined.
/// The estimator setting an error is about, for the command line to name its flag.
public enum StationarySetting: Sendable, Equatable {
    case dt, batches, recordEvery
}

public enum StationaryError: Error, CustomStringConvertible, Equatable {
    /// An estimator setting out of range.
    case badSetting(String, StationarySetting? = nil)
    /// A run length that is not positive and finite, or shorter than one time step.
    case badRunLength(final: Double, dt: Double)
    /// A burn-in that is negative or not shorter than the run.
    case badBurnIn(burnIn: Double, final: Double)
    /// Partial results (shards) that do not combine into one run.
    case partials(String)

    public var description: String {
        switch self {
        case .badSetting(let m, _): return m
        case .badRunLength(let t, let dt):
            return t > 0 && t.isFinite ? "the run (\(t)) is shorter than one time step (\(dt))"
                : "the length of the run must be positive and finite, not \(t)"
        case .badBurnIn(let b, let t):
            return b < 0 || !b.isFinite ? "the burn-in must be a non-negative time, not \(b)"
                : "the burn-in (\(b)) must be shorter than the run (\(t)): nothing would be left to record"
        case .partials(let m): return m
        }
    }
}

/// The raw accumulators of a stationary run over some blocks (a shard), which `finish` combines.
public struct StationaryPartial: Codable, Sendable {
    public let fingerprint: String
    public let shardIndex: Int
    public let shardCount: Int
    public let firstBlock: Int
    public let endBlock: Int
    /// Per batch, per cell: visits (integer-valued).
    public let fineCounts: [[Double]]
    public let coarseCounts: [[Double]]
    /// Per observable, per recording: the sum over the particles.
    public let observableSums: [[ExactSum]]
    /// Per observable: Σ_p S_p² (S_p a particle's sum over the recordings) and Σ_{p,t} g².
    public let observableMoments: [[ExactSum]]
    public let accepted: Int
    public let proposed: Int
    public let seconds: Double
}
