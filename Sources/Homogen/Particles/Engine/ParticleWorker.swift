import Foundation

/// One thread's machinery and the block driver: for each block it is handed, draw the initial
/// positions (or restore a checkpointed block), then follow the run's schedule — step with the
/// scheme, record with the recorders — checking in at every step boundary (a safe point) for a
/// pending checkpoint or a stop. Used by one thread at a time.
final class ParticleWorker {
    let block: ParticleBlock
    let scheme: ParticleScheme
    /// What the run keeps, in the composition's order (a checkpoint's states follow it).
    let recorders: [ParticleRecorder]
    private let run: ParticleRun
    private let initialWorkspace: InitialDensitySampler.Workspace
    /// Held while committing a block and while a checkpoint reads the committed state.
    let lock = NSLock()
    var barrier: CheckpointBarrier?
    /// Raised by the engine when another worker failed: this one leaves its block.
    var failed: FailureFlag?
    /// The checkpoint generation this worker has already checked in for.
    private var seen = 0
    /// Initial-draw proposals of this worker's blocks (fresh and resumed).
    private(set) var proposals = 0

    /// `recorders` makes the worker's recorders, given its scheme (an `AcceptanceRecorder` reads
    /// the scheme's moves).
    init(run: ParticleRun, recorders: (ParticleScheme) -> [ParticleRecorder]) {
        self.run = run
        block = ParticleBlock(dimension: run.dimension, capacity: run.plan.blockSize)
        let scheme = run.scheme.make(coefficients: run.coefficients, plan: run.plan, inverseEpsilon: run.inverseEpsilon)
        self.scheme = scheme
        self.recorders = recorders(scheme)
        initialWorkspace = run.initial.makeWorkspace(capacity: run.plan.blockSize)
    }

    /// The committed state of recorder `i` (finished blocks).
    func committed(_ i: Int) -> RecorderState? { recorders[i].committedState }

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
            for (r, state) in zip(recorders, resume.recorders) { if let state { r.restorePending(state) } }
            blockProposals = resume.proposals
        } else {
            let before = initialWorkspace.proposals
            try run.initial.draw(into: block.x, count: block.count, rng: block.rng, workspace: initialWorkspace)
            blockProposals = initialWorkspace.proposals - before
        }
        proposals += blockProposals
        scheme.begin(block)
        if let resume, let state = resume.scheme ?? (scheme.blockState != nil ? [] : nil), !scheme.restore(blockState: state) {
            throw Checkpoint.Invalid(message: "block \(index): the checkpoint's scheme state does not fit a \(run.scheme.rawValue) block of \(block.count) particles")
        }

        var iterations = 0, stepIndex = 0, pendingProgress = 0
        for step in run.schedule {
            if let resume, iterations < resume.iterations {
                iterations += 1
                if step.h > 0 { stepIndex += 1 }
                continue
            }
            let done = iterations
            try ParticleEngine.reached(block: index, iteration: done)
            if failed?.raised == true { throw ParticleEngine.Interrupted() }
            let stop = atSafePoint {
                Checkpoint.BlockState(block: index, iterations: done, x: self.block.positionArrays,
                                      generator: self.block.rng.stateBytes, proposals: blockProposals,
                                      recorders: self.recorders.map(\.pendingState), scheme: self.scheme.blockState)
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
