/// Particle counts per cell of the output grid at each record (output time), in one flat layout
/// for any dimension: `counts[k * cellCount + cell]`, cell row-major (`UniformCells.flatIndex`).
/// Counts are integers held in doubles, so sums over workers and shards are exact in any order.
final class HistogramRecorder: ParticleRecorder {
    let cells: Int
    let dimension: TorusDimension
    let records: Int
    /// cells^dimension.
    let cellCount: Int
    /// Counts of the committed (finished) blocks.
    private var committed: [Double]
    /// Counts of the block in progress.
    private var pending: [Double]

    init(cells: Int, dimension: TorusDimension, records: Int) {
        self.cells = cells
        self.dimension = dimension
        self.records = records
        cellCount = dimension.cells(perAxis: cells)
        committed = [Double](repeating: 0, count: records * cellCount)
        pending = committed
    }

    func beginBlock(_ block: ParticleBlock) {
        for i in pending.indices { pending[i] = 0 }
    }

    func record(_ block: ParticleBlock, at k: Int) {
        let base = k * cellCount
        pending.withUnsafeMutableBufferPointer { p in
            for i in 0..<block.count { p[base + UniformCells.flatIndex(block.x, i, cells: cells)] += 1 }
        }
    }

    func commitBlock() {
        for i in committed.indices { committed[i] += pending[i] }
    }

    var committedState: RecorderState? { RecorderState(counts: committed) }
    var pendingState: RecorderState? { RecorderState(counts: pending) }
    func restorePending(_ state: RecorderState) { pending = state.counts }
}
