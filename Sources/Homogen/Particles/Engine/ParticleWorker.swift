import Foundation

/// One thread's machinery and the block driver: for each block it is handed, draw the initial
/// positions (or restore a checkpointed block), then follow the run's schedule — step with the
/// scheme, record with the recorders — checking in at every step boundary (a safe point) for a
/// pending checkpoint or a stop. Used by one thread at a time.
final class ParticleWorker {
    let block: ParticleBlock
    let scheme: ParticleScheme
    let recorders: [ParticleRecorder]
    /// The recorder whose per-block counts a checkpoint saves (sampling runs).
    let histograms: HistogramRecorder?
    /// Accepted and proposed moves per record, for a Metropolised scheme when asked for.
    let acceptance: AcceptanceRecorder?
    private let run: ParticleRun
    private let initialWorkspace: InitialDensitySampler.Workspace
    /// Held while committing a block and while a checkpoint reads the committed state.
    let lock = NSLock()
    var barrier: CheckpointBarrier?
    /// The checkpoint generation this worker has already checked in for.
    private var seen = 0
    /// Initial-draw proposals of this worker's blocks (fresh and resumed).
    private(set) var proposals = 0

    /// `acceptanceRecords`: with a Metropolised scheme, also book its accepted and proposed moves
    /// per interval between this many records (`acceptance`).
    init(run: ParticleRun, recorders: [ParticleRecorder], histograms: HistogramRecorder?, acceptanceRecords: Int? = nil) {
        self.run = run
        block = ParticleBlock(dimension: run.dimension, capacity: run.plan.blockSize)
        let scheme = run.scheme.make(coefficients: run.coefficients, plan: run.plan, inverseEpsilon: run.inverseEpsilon)
        self.scheme = scheme
        if let records = acceptanceRecords, scheme.acceptance != nil {
            acceptance = AcceptanceRecorder(records: records, scheme: scheme)
        } else {
            acceptance = nil
        }
        self.recorders = recorders + (acceptance.map { [$0] } ?? [])
        self.histograms = histograms
        initialWorkspace = run.initial.makeWorkspace(capacity: run.plan.blockSize)
    }

    /// A safe point: checks in for a pending checkpoint with `state` (the block in progress, if
    /// any). Returns true when the worker must stop (a stop was requested): with checkpoints, only
    /// after its state has been deposited in the final one.
    func atSafePoint(_ state: (() -> Checkpoint.BlockState)?) -> Bool {
        guard let barrier else { return ParticleEngine.stopRequested }
        if ParticleEngine.stopRequested {
            // Wait for the final checkpoint's request, deposit, then stop.
            while barrier.requested.load(ordering: .acquiring) <= seen { Thread.sleep(forTimeInterval: 0.002) }
            barrier.checkIn(seen: &seen) { state?() }
            return true
        }
        barrier.checkIn(seen: &seen) { state?() }
        return false
    }

    /// Runs block `index` to the end of the schedule (continuing from `resume` if given).
    /// Throws `ParticleEngine.Interrupted` when a stop was requested.
    func run(block index: Int, resume: Checkpoint.BlockState?) throws {
        block.start(index, of: run.plan, seed: run.seed)
        for r in recorders { r.beginBlock(block) }
        var blockProposals = 0
        if let resume {
            for k in block.dimension.axes { for i in 0..<block.count { block.x[k][i] = resume.x[k][i] } }
            guard block.rng.restore(resume.generator) else {
                throw Checkpoint.Invalid(message: "block \(index): the checkpoint's generator state does not fit a \(RandomStream.generatorName) generator")
            }
            histograms?.restorePending(resume.counts)
            if let acceptance {
                guard let state = resume.acceptance, state.count == 2 * acceptance.records + 2 else {
                    throw Checkpoint.Invalid(message: "block \(index): the checkpoint holds no acceptance counts for this Metropolised run")
                }
                acceptance.restorePending(state)
            }
            blockProposals = resume.proposals
        } else {
            let before = initialWorkspace.proposals
            try run.initial.draw(into: block.x, count: block.count, rng: block.rng, workspace: initialWorkspace)
            blockProposals = initialWorkspace.proposals - before
        }
        proposals += blockProposals
        scheme.begin(block)

        var iterations = 0, stepIndex = 0, pendingProgress = 0
        for step in run.schedule {
            if let resume, iterations < resume.iterations {
                iterations += 1
                if step.h > 0 { stepIndex += 1 }
                continue
            }
            let done = iterations
            let stop = atSafePoint {
                Checkpoint.BlockState(block: index, iterations: done, x: self.block.positionArrays,
                                      generator: self.block.rng.stateBytes,
                                      counts: self.histograms?.pendingByRecord ?? [], proposals: blockProposals,
                                      acceptance: self.acceptance?.pendingState)
            }
            if stop { throw ParticleEngine.Interrupted() }
            iterations += 1
            if step.h > 0 {
                stepIndex += 1
                try scheme.advance(block, h: step.h, step: stepIndex, time: step.time)
                pendingProgress += block.count
                if pendingProgress >= 1 << 16 {
                    run.progress?.add(pendingProgress)
                    pendingProgress = 0
                }
            }
            if let k = step.record { for r in recorders { r.record(block, at: k) } }
        }
        run.progress?.add(pendingProgress)
    }

    /// Commits the finished block's records and runs `mark` (which lists the block as completed),
    /// both under this worker's lock, so a checkpoint sees both or neither.
    func commit(_ mark: () -> Void) {
        lock.withLock {
            for r in recorders { r.commitBlock() }
            mark()
        }
    }
}
