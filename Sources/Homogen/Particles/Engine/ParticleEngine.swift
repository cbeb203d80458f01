import Dispatch
import Foundation
import Synchronization

/// Runs the blocks of a particle run on worker threads: one `ParticleWorker` per thread takes the
/// next block from a shared counter until none is left; the first failure stops every worker at
/// its next step boundary and is rethrown; a stop request (SIGINT/SIGTERM through `requestStop`) ends the run at the next
/// step boundary. With checkpointing, a timer thread pauses all workers at step boundaries every
/// `interval` seconds (and once more on a stop) and writes the paused state as a `Checkpoint`.
///
/// Blocks are deterministic given (seed, block), so which thread runs which block changes nothing
/// in the result.
enum ParticleEngine {
    /// Where and how often a run writes checkpoints (`Checkpoint`): every `interval` seconds and on
    /// a stop, into `directory`, with the run's identity and, when it keeps positions, the bytes of
    /// its position buffer (read while the workers are paused).
    struct Checkpointing {
        let interval: Double
        let directory: String
        let fingerprint: String
        let blockSize: Int
        let blocks: Range<Int>
        /// The run's time step, recorded in the checkpoint (`Checkpoint.precheck`), and the
        /// time-step control's decision behind it, if any.
        let dt: Double
        let timeStepControl: TimeStepControl.Report?
        let positions: (() -> Data)?
    }

    /// A block abandoned because a stop was requested.
    struct Interrupted: Error {}

    private static let stop = Atomic<Bool>(false)

    /// Asks running particle runs to stop at the next step boundary (async-signal-safe: the CLI
    /// calls it from its SIGINT/SIGTERM handler).
    static func requestStop() { stop.store(true, ordering: .relaxed) }
    static var stopRequested: Bool { stop.load(ordering: .relaxed) }
    /// Withdraws a stop request, and a pending `requestStop(atBlock:iteration:)` (for tests that
    /// stop a run in-process and go on).
    static func clearStopRequest() {
        stop.store(false, ordering: .relaxed)
        stopPoint.store(-1, ordering: .relaxed)
    }

    /// Where a stop (or, for tests, a failure) is requested: bit 62 the failure, then block · 2³² +
    /// schedule iteration; −1: none.
    private static let stopPoint = Atomic<Int>(-1)
    private static let failureBit = 1 << 62

    /// Requests a stop when block `block` reaches iteration `iteration` of its schedule — an
    /// interrupt at a known place, so that tests of checkpoints and resumes are deterministic
    /// (`requestStop` from a signal lands wherever the run is).
    static func requestStop(atBlock block: Int, iteration: Int) {
        stopPoint.store(block << 32 | iteration, ordering: .relaxed)
    }

    /// Makes block `block` fail (`InjectedFailure`) at iteration `iteration`: for the tests of how
    /// one worker's failure stops the others.
    static func injectFailure(atBlock block: Int, iteration: Int) {
        stopPoint.store(failureBit | block << 32 | iteration, ordering: .relaxed)
    }

    /// The failure `injectFailure` raises.
    struct InjectedFailure: Error {}

    /// Called by a worker at every safe point: raises the stop request (or throws the injected
    /// failure) when block `block` is at the requested iteration.
    @inline(__always)
    static func reached(block: Int, iteration: Int) throws {
        let point = stopPoint.load(ordering: .relaxed)
        guard point >= 0, point & ~failureBit == block << 32 | iteration else { return }
        if point & failureBit != 0 { throw InjectedFailure() }
        requestStop()
    }

    /// The outcome of `run`: the workers (with their committed records) and the wall time.
    struct Outcome {
        let workers: [ParticleWorker]
        let seconds: Double
        /// True when the run stopped on a request before finishing (a checkpoint was written if
        /// checkpointing was on).
        let stopped: Bool
        /// Per recorder, the committed states of every worker and of the checkpoint resumed from,
        /// added (`RecorderState.+=`: the same total in any order).
        let totals: [RecorderState?]
    }

    /// Per recorder, the committed states of `workers` added to `base` (a checkpoint's totals).
    static func totals(_ workers: [ParticleWorker], base: [RecorderState?]?) -> [RecorderState?] {
        guard let first = workers.first else { return base ?? [] }
        return first.recorders.indices.map { i in
            RecorderState.total([base?[i]] + workers.map { $0.committed(i) })
        }
    }

    /// Runs `blocks` (in this order of hand-out) on up to `threads` threads. `resume`: the
    /// checkpoint to continue from — its completed blocks are skipped (and counted in the totals),
    /// its blocks in progress continue from their saved state.
    static func run(blocks all: [Int], threads requested: Int, makeWorker: () -> ParticleWorker,
                    resume previous: Checkpoint? = nil, checkpointing: Checkpointing? = nil) throws -> Outcome {
        let done = Set(previous?.completed ?? [])
        let blocks = all.filter { !done.contains($0) }
        var resume: [Int: Checkpoint.BlockState] = [:]
        for state in previous?.inProgress ?? [] { resume[state.block] = state }
        let threads = max(1, min(requested, max(blocks.count, 1)))
        let workers = (0..<threads).map { _ in makeWorker() }
        let barrier = checkpointing.map { _ in CheckpointBarrier(workers: threads) }
        let failed = FailureFlag()
        for w in workers {
            w.barrier = barrier
            w.failed = failed
        }
        let nextBlock = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        let completed = Mutex<[Int]>(previous?.completed ?? [])

        // A consistent snapshot: every worker paused at a step boundary (or retired) while the
        // completed list, the committed records and the blocks in progress are read.
        func snapshot() throws {
            guard let checkpointing, let barrier else { return }
            let inProgress = barrier.pause()
            defer { barrier.resume() }
            for w in workers { w.lock.lock() }
            defer { for w in workers { w.lock.unlock() } }
            let data = checkpointing.positions?()
            let c = Checkpoint(fingerprint: checkpointing.fingerprint, blockSize: checkpointing.blockSize,
                               firstBlock: checkpointing.blocks.lowerBound, endBlock: checkpointing.blocks.upperBound,
                               completed: completed.withLock { $0 }.sorted(), recorders: totals(workers, base: previous?.recorders),
                               positionsHash: data.map { Checkpoint.hash($0) }, inProgress: inProgress.sorted { $0.block < $1.block },
                               dt: checkpointing.dt, timeStepControl: checkpointing.timeStepControl)
            try c.write(to: checkpointing.directory, positions: data)
        }
        let finished = Atomic<Bool>(false)
        let timerFailure = Mutex<Error?>(nil)
        let timerDone = DispatchSemaphore(value: 0)
        if let policy = checkpointing {
            let interval = policy.interval
            let task = SnapshotTask(snapshot)
            Thread.detachNewThread {
                var last = DispatchTime.now().uptimeNanoseconds
                while !finished.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: min(0.05, interval))
                    let stopping = stopRequested
                    if stopping || Double(DispatchTime.now().uptimeNanoseconds - last) / 1e9 >= interval {
                        do { try task.run() } catch { timerFailure.withLock { $0 = error } }
                        last = DispatchTime.now().uptimeNanoseconds
                        if stopping { break }
                    }
                }
                timerDone.signal()
            }
        }

        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            let worker = workers[w]
            defer { barrier?.retire() }
            while failure.withLock({ $0 == nil }) {
                if worker.atSafePoint(nil) { break }
                let b = nextBlock.add(1, ordering: .relaxed).oldValue
                if b >= blocks.count { break }
                do {
                    try worker.run(block: blocks[b], resume: resume[blocks[b]])
                    worker.commit { completed.withLock { $0.append(blocks[b]) } }
                } catch is Interrupted {
                    break
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    failed.raise()
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let stopped = stopRequested && !failed.raised
        finished.store(true, ordering: .relaxed)
        if checkpointing != nil { timerDone.wait() }
        if let e = failure.withLock({ $0 }) { throw e }
        if let e = timerFailure.withLock({ $0 }) { throw e }
        return Outcome(workers: workers, seconds: seconds, stopped: stopped, totals: totals(workers, base: previous?.recorders))
    }
}

extension ParticleEngine {
    /// The engine's block scheduling for runs that drive their blocks themselves (the coupled
    /// pilots of the time-step control, `CoupledPilot` and `LocalWeakError`): `body(context, b)` for
    /// every block b < `count`, handed out in order to up to `threads` threads, each with its own
    /// `context` (its blocks and scratch); the first failure stops the others before their next
    /// block and is rethrown; a stop request (`requestStop`) ends the run with
    /// `SamplerError.interrupted` before the next block. No checkpoints: a pilot is cheap to redo.
    static func forEachBlock<Context>(_ count: Int, threads: Int, context makeContext: @escaping () -> Context,
                                      _ body: @escaping (Context, Int) throws -> Void) throws {
        let next = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        nonisolated(unsafe) let makeContext = makeContext
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            let context = makeContext()
            while failure.withLock({ $0 == nil }) {
                let block = next.add(1, ordering: .relaxed).oldValue
                if block >= count { break }
                do {
                    if stopRequested { throw SamplerError.interrupted(nil) }
                    try body(context, block)
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
    }
}

/// Raised when a worker fails, so that the others leave their blocks at the next step boundary.
final class FailureFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func raise() { flag.store(true, ordering: .relaxed) }
    var raised: Bool { flag.load(ordering: .relaxed) }
}

/// The checkpoint snapshot, handed to the timer thread. Unchecked: the workers it reads are paused
/// at the checkpoint barrier and held under their locks while it reads them, and the rest of what
/// it touches (the completed list, the barrier) synchronises itself.
private final class SnapshotTask: @unchecked Sendable {
    let run: () throws -> Void
    init(_ run: @escaping () throws -> Void) { self.run = run }
}
