/// Decides what a run keeps of its particles (diffrax's `SaveAt`, py-pde's trackers): the block
/// driver calls `record` at every scheduled record (output time or recording), between
/// `beginBlock` and `commitBlock`. Each worker thread owns its recorders; what a recorder keeps is
/// a `RecorderState` — the committed one (finished blocks), which the run adds over workers,
/// checkpoints and shards, and the pending one (the block in progress), which a checkpoint saves
/// and a resumed block restores — so the engine and the checkpoints need not know the recorder.
protocol ParticleRecorder: AnyObject {
    /// A new block starts: pending (per-block) state is cleared.
    func beginBlock(_ block: ParticleBlock)
    /// Record number `k` of the block's current positions.
    func record(_ block: ParticleBlock, at k: Int)
    /// The block finished: its pending state joins the committed state.
    func commitBlock()
    /// The finished blocks' state; nil for a recorder that writes elsewhere (`PositionRecorder`).
    var committedState: RecorderState? { get }
    /// The block in progress (after `beginBlock`); nil as above.
    var pendingState: RecorderState? { get }
    /// Restores `pendingState` into a block resumed from a checkpoint (after `beginBlock`).
    func restorePending(_ state: RecorderState)
}

/// Cell indices on the uniform grid of [0, 1) with `cells` cells, cell i = [i/n, (i+1)/n) with
/// the cell edges i/n rounded as doubles, as `gsl_histogram_set_ranges_uniform` rounds them (so
/// the counts are those of a GSL histogram). Written here rather than through GSL because GSL's
/// histograms stop at two dimensions and the recorders use one flat layout for any dimension.
enum UniformCells {
    @inline(__always)
    static func index(_ x: Double, cells: Int) -> Int {
        let n = Double(cells)
        var i = min(cells - 1, max(0, Int(x * n)))
        if x < Double(i) / n { i -= 1 } else if i + 1 < cells, x >= Double(i + 1) / n { i += 1 }
        return i
    }

    /// The flat index of a point with coordinates `x[k][p]`, row-major (the first coordinate
    /// varies slowest): Σ_k i_k · cells^(d−1−k).
    @inline(__always)
    static func flatIndex(_ x: [UnsafeMutablePointer<Double>], _ p: Int, cells: Int) -> Int {
        var flat = 0
        for k in x.indices { flat = flat * cells + index(x[k][p], cells: cells) }
        return flat
    }
}
