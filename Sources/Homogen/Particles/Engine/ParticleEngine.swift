import Dispatch
import Foundation
import Synchronization

/// Runs the blocks of a particle run on worker threads: one `ParticleWorker` per thread takes the
/// next block from a shared counter until none is left; the first failure stops every worker and
/// is rethrown; a stop request (SIGINT/SIGTERM through `requestStop`) ends the run at the next
/// step boundary. With checkpointing, a timer thread pauses all workers at step boundaries every
/// `interval` seconds (and once more on a stop) and hands the paused state to `write`.
///
/// Blocks are deterministic given (seed, block), so which thread runs which block changes nothing
/// in the result.
enum ParticleEngine {
    /// How a run writes checkpoints: every `interval` seconds and on a stop, `write` receives the
    /// paused workers (their committed records readable), the completed blocks and the blocks in
    /// progress.
    struct Checkpointing {
        let interval: Double
        let write: (_ workers: [ParticleWorker], _ completed: [Int], _ inProgress: [Checkpoint.BlockState]) throws -> Void
    }

    /// A block abandoned because a stop was requested.
    struct Interrupted: Error {}

    private static let stop = Atomic<Bool>(false)

    /// Asks running particle runs to stop at the next step boundary (async-signal-safe: the CLI
    /// calls it from its SIGINT/SIGTERM handler).
    static func requestStop() { stop.store(true, ordering: .relaxed) }
    static var stopRequested: Bool { stop.load(ordering: .relaxed) }
    /// Withdraws a stop request (for tests that stop a run in-process and go on).
    static func clearStopRequest() { stop.store(false, ordering: .relaxed) }

    /// The outcome of `run`: the workers (with their committed records) and the wall time.
    struct Outcome {
        let workers: [ParticleWorker]
        let seconds: Double
        /// True when the run stopped on a request before finishing (a checkpoint was written if
        /// checkpointing was on).
        let stopped: Bool
    }

    /// Runs `blocks` (in this order of hand-out) on up to `threads` threads. `resume` gives the
    /// saved state of blocks that were in progress at a checkpoint; `completed` the blocks already
    /// finished before (reported to checkpoints, not run).
    static func run(blocks: [Int], threads requested: Int, makeWorker: () -> ParticleWorker,
                    resume: [Int: Checkpoint.BlockState] = [:], completed alreadyCompleted: [Int] = [],
                    checkpointing: Checkpointing? = nil) throws -> Outcome {
        let threads = max(1, min(requested, max(blocks.count, 1)))
        let workers = (0..<threads).map { _ in makeWorker() }
        let barrier = checkpointing.map { _ in CheckpointBarrier(workers: threads) }
        for w in workers { w.barrier = barrier }
        let nextBlock = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        let completed = Mutex<[Int]>(alreadyCompleted)

        // A consistent snapshot: every worker paused at a step boundary (or retired) while the
        // completed list, the committed records and the blocks in progress are read.
        func snapshot() throws {
            guard let checkpointing, let barrier else { return }
            let inProgress = barrier.pause()
            defer { barrier.resume() }
            for w in workers { w.lock.lock() }
            defer { for w in workers { w.lock.unlock() } }
            try checkpointing.write(workers, completed.withLock { $0 }.sorted(), inProgress.sorted { $0.block < $1.block })
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
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let stopped = stopRequested
        finished.store(true, ordering: .relaxed)
        if checkpointing != nil { timerDone.wait() }
        if let e = failure.withLock({ $0 }) { throw e }
        if let e = timerFailure.withLock({ $0 }) { throw e }
        return Outcome(workers: workers, seconds: seconds, stopped: stopped)
    }
}

/// The checkpoint snapshot, handed to the timer thread. Unchecked: the workers it reads are paused
/// at the checkpoint barrier and held under their locks while it reads them, and the rest of what
/// it touches (the completed list, the barrier) synchronises itself.
private final class SnapshotTask: @unchecked Sendable {
    let run: () throws -> Void
    init(_ run: @escaping () throws -> Void) { self.run = run }
}
