import Foundation

/// The accumulators of a stationary estimate: at every recording, each particle's cell on two
/// grids (the output grid, resolving ε, and one cell per ε-period) is counted in its batch's
/// histograms (particle p in batch p mod B), and the observables cos 2πx₁ (slow) and cos 2πx₁/ε
/// (fast) are summed per recording, exactly (`ExactSum`: one rounding per block, so the totals do
/// not depend on which worker ran which block). Particles are independent, so the batches are
/// exactly independent, whatever the time correlation of each trajectory.
final class BatchMeansRecorder: ParticleRecorder {
    /// Observables summed per recording: cos 2πx₁ and cos 2πx₁/ε.
    static let observables = 2

    let batches: Int
    let fine: Int, coarse: Int
    let inverseEpsilon: Double
    /// Per batch, per cell (row-major): visits.
    private(set) var fineCounts: [[Double]]
    private(set) var coarseCounts: [[Double]]
    /// Per observable, per recording: the sum over this worker's particles.
    private(set) var series: [[ExactSum]]

    init(dimension d: TorusDimension, batches: Int, fine: Int, coarse: Int, recordings: Int, inverseEpsilon: Int) {
        self.batches = batches
        self.fine = fine
        self.coarse = coarse
        self.inverseEpsilon = Double(inverseEpsilon)
        fineCounts = [[Double]](repeating: [Double](repeating: 0, count: d.cells(perAxis: fine)), count: batches)
        coarseCounts = [[Double]](repeating: [Double](repeating: 0, count: d.cells(perAxis: coarse)), count: batches)
        series = [[ExactSum]](repeating: [ExactSum](repeating: ExactSum(), count: recordings), count: Self.observables)
    }

    func beginBlock(_ block: ParticleBlock) {}

    func record(_ block: ParticleBlock, at k: Int) {
        var slow = 0.0, fast = 0.0
        for i in 0..<block.count {
            let batch = (block.firstParticle + i) % batches
            fineCounts[batch][UniformCells.flatIndex(block.x, i, cells: fine)] += 1
            coarseCounts[batch][UniformCells.flatIndex(block.x, i, cells: coarse)] += 1
            let a = block.x[0][i]
            slow += Foundation.cos(2 * .pi * a)
            fast += Foundation.cos(2 * .pi * a * inverseEpsilon)
        }
        series[0][k].add(slow)
        series[1][k].add(fast)
    }

    func commitBlock() {}
}
