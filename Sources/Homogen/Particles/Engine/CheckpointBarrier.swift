import Foundation
import Synchronization

/// Brings every worker to a step boundary, so that a checkpoint sees a consistent state: the
/// writer raises `requested`, each busy worker checks in at its next safe point (depositing its
/// block's state) and waits; workers that have run out of blocks retire. When all have checked in
/// or retired, the writer reads everything, writes the checkpoint and releases them.
final class CheckpointBarrier: @unchecked Sendable {
    private let cond = NSCondition()
    private let workers: Int
    private var generation = 0, released = 0, arrived = 0, retired = 0
    private var states: [Checkpoint.BlockState] = []
    let requested = Atomic<Int>(0)

    init(workers: Int) { self.workers = workers }

    /// At a safe point: if a checkpoint is pending that this worker has not seen, deposit the
    /// block state (if any) and wait for the release.
    func checkIn(seen: inout Int, _ state: () -> Checkpoint.BlockState?) {
        let g = requested.load(ordering: .acquiring)
        guard g > seen else { return }
        let deposited = state()
        cond.lock()
        if let deposited { states.append(deposited) }
        arrived += 1
        cond.broadcast()
        while released < g { cond.wait() }
        cond.unlock()
        seen = g
    }

    /// A worker that takes no more blocks.
    func retire() {
        cond.lock(); retired += 1; cond.broadcast(); cond.unlock()
    }

    /// Stops every worker at a safe point; returns the blocks in progress.
    func pause() -> [Checkpoint.BlockState] {
        cond.lock()
        generation += 1
        arrived = 0
        states = []
        requested.store(generation, ordering: .releasing)
        while arrived + retired < workers { cond.wait() }
        let result = states
        cond.unlock()
        return result
    }

    func resume() {
        cond.lock(); released = generation; cond.broadcast(); cond.unlock()
    }
}
