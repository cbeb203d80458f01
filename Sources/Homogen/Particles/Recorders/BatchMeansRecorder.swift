import Foundation

/// The accumulators of a stationary estimate: at every recording, each particle's cell on two
/// grids (the output grid, resolving ε, and one cell per ε-period) is counted in its batch's
/// histograms (particle p in batch p mod B), and the observables g = cos 2πx_k, sin 2πx_k (slow)
/// and cos 2πx_k/ε, sin 2πx_k/ε (fast), for every axis k, are summed per recording, exactly (`ExactSum`: one rounding per block and
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
    /// Observables summed per recording for dimension d: cos 2πx_k (index 4k), sin 2πx_k
    /// (4k + 1), cos 2πx_k/ε (4k + 2) and sin 2πx_k/ε (4k + 3) for each axis k — all axes, so that
    /// τ_int sees a slow direction along any of them (with x₁ only, two wells in x₂ that never
    /// mixed passed the run-length check), and both phases, so that it sees wells that one phase
    /// cannot tell apart (cos 2πx is 0 at both x = 1/4 and x = 3/4).
    static func observables(_ d: TorusDimension) -> Int { perAxis * d.count }
    static let perAxis = 4
    /// The index of cos (or sin) 2πx_k (or 2πx_k/ε, `fast`) among the observables.
    static func observable(axis k: Int, fast: Bool, sine: Bool = false) -> Int { perAxis * k + (fast ? 2 : 0) + (sine ? 1 : 0) }

    /// Where each accumulator sits in a `RecorderState`.
    struct Layout {
        let batches: Int
        let fineCells: Int, coarseCells: Int
        let recordings: Int
        /// Particles per block (the per-particle sums' room).
        let blockSize: Int
        /// Observables (`BatchMeansRecorder.observables`).
        let observables: Int

        /// The two moments kept per observable after the series.
        static let moments = 2

        func fineIndex(batch: Int, cell: Int) -> Int { batch * fineCells + cell }
        func coarseIndex(batch: Int, cell: Int) -> Int { batches * fineCells + batch * coarseCells + cell }
        func particleIndex(observable: Int, particle: Int) -> Int { batches * (fineCells + coarseCells) + observable * blockSize + particle }
        func sumIndex(observable: Int, recording: Int) -> Int { observable * recordings + recording }
        /// `moment` 0: Σ_p S_p²; 1: Σ_{p,t} g².
        func momentIndex(observable: Int, moment: Int) -> Int {
            observables * recordings + observable * Self.moments + moment
        }

        var empty: RecorderState {
            RecorderState(counts: [Double](repeating: 0, count: batches * (fineCells + coarseCells) + observables * blockSize),
                          sums: [ExactSum](repeating: ExactSum(), count: observables * (recordings + Self.moments)))
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
            (0..<observables).map { o in
                Array(s.sums[sumIndex(observable: o, recording: 0)..<sumIndex(observable: o + 1, recording: 0)])
            }
        }

        /// Per observable: Σ_p S_p² and Σ_{p,t} g².
        func moments(_ s: RecorderState) -> [[ExactSum]] {
            (0..<observables).map { o in
                Array(s.sums[momentIndex(observable: o, moment: 0)..<momentIndex(observable: o, moment: Self.moments)])
            }
        }

        /// A committed state holding these accumulators (the inverse of the four views above).
        func state(fine: [[Double]], coarse: [[Double]], series: [[ExactSum]], moments: [[ExactSum]]) -> RecorderState {
            RecorderState(counts: fine.flatMap { $0 } + coarse.flatMap { $0 }
                            + [Double](repeating: 0, count: observables * blockSize),
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
                        recordings: recordings, blockSize: blockSize, observables: Self.observables(d))
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
        let layout = self.layout
        var sum = [Double](repeating: 0, count: layout.observables), square = sum
        pending.counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<block.count {
                let batch = (block.firstParticle + i) % layout.batches
                c[layout.fineIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: fine))] += 1
                c[layout.coarseIndex(batch: batch, cell: UniformCells.flatIndex(block.x, i, cells: coarse))] += 1
            }
            for axis in 0..<(layout.observables / Self.perAxis) {
                let first = Self.perAxis * axis
                let own = layout.particleIndex(observable: first, particle: 0), stride = layout.blockSize
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
                for i in 0..<block.count {
                    let slow = 2 * .pi * block.x[axis][i], fast = slow * inverseEpsilon
                    let g0 = Foundation.cos(slow), g1 = Foundation.sin(slow), g2 = Foundation.cos(fast), g3 = Foundation.sin(fast)
                    s0 += g0; s1 += g1; s2 += g2; s3 += g3
                    q0 += g0 * g0; q1 += g1 * g1; q2 += g2 * g2; q3 += g3 * g3
                    c[own + i] += g0
                    c[own + stride + i] += g1
                    c[own + 2 * stride + i] += g2
                    c[own + 3 * stride + i] += g3
                }
                sum[first] += s0; sum[first + 1] += s1; sum[first + 2] += s2; sum[first + 3] += s3
                square[first] += q0; square[first + 1] += q1; square[first + 2] += q2; square[first + 3] += q3
            }
        }
        for o in 0..<layout.observables {
            pending.sums[layout.sumIndex(observable: o, recording: k)].add(sum[o])
            pending.sums[layout.momentIndex(observable: o, moment: 1)].add(square[o])
        }
    }

    /// Moves the block's Σ_p S_p² into the sums and clears the per-particle room, then commits.
    func commitBlock() {
        for o in 0..<layout.observables {
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
