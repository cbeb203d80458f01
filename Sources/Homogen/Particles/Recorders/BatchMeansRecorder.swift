import Foundation

/// The accumulators of a stationary estimate: at every recording, each particle's cell on two
/// grids (the output grid, resolving ε, and one cell per ε-period) is counted in its batch's
/// histograms (particle p in batch p mod B), and the observables g = cos 2πx₁ (slow) and
/// cos 2πx₁/ε (fast) are summed per recording, exactly (`ExactSum`: one rounding per block and
/// recording, so the totals do not depend on which worker ran which block). Particles are
/// independent, so the batches are exactly independent, whatever the time correlation of each
/// trajectory.
///
/// For the integrated autocorrelation time, each particle's own sum S_p = Σ_t g(X_p(t)) over the
/// recordings is kept while its block runs, and when the block ends Σ_p S_p² joins the state,
/// with Σ_{p,t} g²: the spread of the particles' time averages against the variance of g is
/// τ_int (`StationaryResult`).
///
/// State layout (`Layout`): counts = the fine histograms batch by batch, then the coarse ones,
/// then the per-particle sums of the block in progress (observable by observable, particle by
/// particle; zero in the committed state); sums = observable by observable, recording by
/// recording, then per observable Σ_p S_p² and Σ_{p,t} g².
final class BatchMeansRecorder: ParticleRecorder {
    /// Observables summed per recording: cos 2πx₁ and cos 2πx₁/ε.
    static let observables = 2

    /// Where each accumulator sits in a `RecorderState`.
    struct Layout {
        let batches: Int
        let fineCells: Int, coarseCells: Int
        let recordings: Int
        /// Particles per block (the per-particle sums' room).
        let blockSize: Int

        /// The two moments kept per observable after the series.
        static let moments = 2

        func fineIndex(batch: Int, cell: Int) -> Int { batch * fineCells + cell }
        func coarseIndex(batch: Int, cell: Int) -> Int { batches * fineCells + batch * coarseCells + cell }
        func particleIndex(observable: Int, particle: Int) -> Int { batches * (fineCells + coarseCells) + observable * blockSize + particle }
        func sumIndex(observable: Int, recording: Int) -> Int { observable * recordings + recording }
        /// `moment` 0: Σ_p S_p²; 1: Σ_{p,t} g².
        func momentIndex(observable: Int, moment: Int) -> Int {
            BatchMeansRecorder.observables * recordings + observable * Self.moments + moment
        }

        var empty: RecorderState {
            RecorderState(counts: [Double](repeating: 0, count: batches * (fineCells + coarseCells) + BatchMeansRecorder.observables * blockSize),
                          sums: [ExactSum](repeating: ExactSum(), count: BatchMeansRecorder.observables * (recordings + Self.moments)))
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

        /// Per observable: Σ_p S_p² and Σ_{p,t} g².
        func moments(_ s: RecorderState) -> [[ExactSum]] {
            (0..<BatchMeansRecorder.observables).map { o in
                Array(s.sums[momentIndex(observable: o, moment: 0)..<momentIndex(observable: o, moment: Self.moments)])
            }
        }

        /// A committed state holding these accumulators (the inverse of the four views above).
        func state(fine: [[Double]], coarse: [[Double]], series: [[ExactSum]], moments: [[ExactSum]]) -> RecorderState {
            RecorderState(counts: fine.flatMap { $0 } + coarse.flatMap { $0 }
                            + [Double](repeating: 0, count: BatchMeansRecorder.observables * blockSize),
                          sums: series.flatMap { $0 } + moments.flatMap { $0 })
        }
    }

    let layout: Layout
    let fine: Int, coarse: Int
    let inverseEpsilon: Double
    private var committed: RecorderState
    private var pending: RecorderState
    /// Particles in the block in progress.
    private var blockCount = 0

    init(dimension d: TorusDimension, batches: Int, fine: Int, coarse: Int, recordings: Int, inverseEpsilon: Int, blockSize: Int) {
        layout = Layout(batches: batches, fineCells: d.cells(perAxis: fine), coarseCells: d.cells(perAxis: coarse),
                        recordings: recordings, blockSize: blockSize)
        self.fine = fine
        self.coarse = coarse
        self.inverseEpsilon = Double(inverseEpsilon)
        committed = layout.empty
        pending = committed
    }

    func beginBlock(_ block: ParticleBlock) {
        precondition(block.count <= layout.blockSize)
        blockCount = block.count
        for i in pending.counts.indices { pending.counts[i] = 0 }
        for i in pending.sums.indices { pending.sums[i] = ExactSum() }
    }

    func record(_ block: ParticleBlock, at k: Int) {
        var slow = 0.0, fast = 0.0, slow2 = 0.0, fast2 = 0.0
        let layout = self.layout
        pending.counts.withUnsafeMutableBufferPointer { c in
            let ownSlow = layout.particleIndex(observable: 0, particle: 0), ownFast = layout.particleIndex(observable: 1, particle: 0)
            for i in 0..<block.count {
                let batch = (block.firstParticle + i) % layout.batches
                c[layout.fineIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: fine))] += 1
                c[layout.coarseIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: coarse))] += 1
                let a = block.x[0][i]
                let g = Foundation.cos(2 * .pi * a), h = Foundation.cos(2 * .pi * a * inverseEpsilon)
                slow += g; fast += h
                slow2 += g * g; fast2 += h * h
                c[ownSlow + i] += g
                c[ownFast + i] += h
            }
        }
        pending.sums[layout.sumIndex(observable: 0, recording: k)].add(slow)
        pending.sums[layout.sumIndex(observable: 1, recording: k)].add(fast)
        pending.sums[layout.momentIndex(observable: 0, moment: 1)].add(slow2)
        pending.sums[layout.momentIndex(observable: 1, moment: 1)].add(fast2)
    }

    /// Moves the block's Σ_p S_p² into the sums and clears the per-particle room, then commits.
    func commitBlock() {
        for o in 0..<Self.observables {
            let first = layout.particleIndex(observable: o, particle: 0)
            var squares = 0.0
            for i in 0..<blockCount { squares += pending.counts[first + i] * pending.counts[first + i] }
            pending.sums[layout.momentIndex(observable: o, moment: 0)].add(squares)
            for i in 0..<layout.blockSize { pending.counts[first + i] = 0 }
        }
        committed += pending
    }

    var committedState: RecorderState? { committed }
    var pendingState: RecorderState? { pending }
    func restorePending(_ state: RecorderState) { pending = state }
}
