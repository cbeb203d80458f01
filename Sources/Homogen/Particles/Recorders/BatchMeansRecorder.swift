import Foundation

/// The accumulators of a stationary estimate: at every recording, each particle's cell on two
/// grids (the output grid, resolving ε, and one cell per ε-period) is counted in its batch's
/// histograms (particle p in batch p mod B), and the observables cos 2πx₁ (slow) and cos 2πx₁/ε
/// (fast) are summed per recording, exactly (`ExactSum`: one rounding per block and recording, so
/// the totals do not depend on which worker ran which block). Particles are independent, so the
/// batches are exactly independent, whatever the time correlation of each trajectory.
///
/// State layout (`Layout`): counts = the fine histograms batch by batch, then the coarse ones;
/// sums = observable by observable, recording by recording.
final class BatchMeansRecorder: ParticleRecorder {
    /// Observables summed per recording: cos 2πx₁ and cos 2πx₁/ε.
    static let observables = 2

    /// Where each accumulator sits in a `RecorderState`.
    struct Layout {
        let batches: Int
        let fineCells: Int, coarseCells: Int
        let recordings: Int

        func fineIndex(batch: Int, cell: Int) -> Int { batch * fineCells + cell }
        func coarseIndex(batch: Int, cell: Int) -> Int { batches * fineCells + batch * coarseCells + cell }
        func sumIndex(observable: Int, recording: Int) -> Int { observable * recordings + recording }

        var empty: RecorderState {
            RecorderState(counts: [Double](repeating: 0, count: batches * (fineCells + coarseCells)),
                          sums: [ExactSum](repeating: ExactSum(), count: BatchMeansRecorder.observables * recordings))
        }

        /// Per batch, per cell: the fine (output-grid) visits.
        func fineCounts(_ s: RecorderState) -> [[Double]] {
            (0..<batches).map { b in Array(s.counts[fineIndex(batch: b, cell: 0)..<fineIndex(batch: b + 1, cell: 0)]) }
        }

        /// Per batch, per cell: the coarse (one cell per ε-period) visits.
        func coarseCounts(_ s: RecorderState) -> [[Double]] {
            (0..<batches).map { b in Array(s.counts[coarseIndex(batch: b, cell: 0)..<coarseIndex(batch: b + 1, cell: 0)]) }
        }

        /// Per observable, per recording: the exact sum over the particles.
        func series(_ s: RecorderState) -> [[ExactSum]] {
            (0..<BatchMeansRecorder.observables).map { o in
                Array(s.sums[sumIndex(observable: o, recording: 0)..<sumIndex(observable: o + 1, recording: 0)])
            }
        }

        /// The state holding these accumulators (the inverse of the three views above).
        func state(fine: [[Double]], coarse: [[Double]], series: [[ExactSum]]) -> RecorderState {
            RecorderState(counts: fine.flatMap { $0 } + coarse.flatMap { $0 }, sums: series.flatMap { $0 })
        }
    }

    let layout: Layout
    let fine: Int, coarse: Int
    let inverseEpsilon: Double
    private var committed: RecorderState
    private var pending: RecorderState

    init(dimension d: TorusDimension, batches: Int, fine: Int, coarse: Int, recordings: Int, inverseEpsilon: Int) {
        layout = Layout(batches: batches, fineCells: d.cells(perAxis: fine), coarseCells: d.cells(perAxis: coarse),
                        recordings: recordings)
        self.fine = fine
        self.coarse = coarse
        self.inverseEpsilon = Double(inverseEpsilon)
        committed = layout.empty
        pending = committed
    }

    func beginBlock(_ block: ParticleBlock) {
        for i in pending.counts.indices { pending.counts[i] = 0 }
        for i in pending.sums.indices { pending.sums[i] = ExactSum() }
    }

    func record(_ block: ParticleBlock, at k: Int) {
        var slow = 0.0, fast = 0.0
        let layout = self.layout
        pending.counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<block.count {
                let batch = (block.firstParticle + i) % layout.batches
                c[layout.fineIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: fine))] += 1
                c[layout.coarseIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: coarse))] += 1
                let a = block.x[0][i]
                slow += Foundation.cos(2 * .pi * a)
                fast += Foundation.cos(2 * .pi * a * inverseEpsilon)
            }
        }
        pending.sums[layout.sumIndex(observable: 0, recording: k)].add(slow)
        pending.sums[layout.sumIndex(observable: 1, recording: k)].add(fast)
    }

    func commitBlock() { committed += pending }

    var committedState: RecorderState? { committed }
    var pendingState: RecorderState? { pending }
    func restorePending(_ state: RecorderState) { pending = state }
}
