/// Decides what a run keeps of its particles (diffrax's `SaveAt`, py-pde's trackers): the block
/// driver calls `record` at every scheduled record (output time or recording), between
/// `beginBlock` and `commitBlock`. Each worker thread owns its recorders; the run combines the
/// workers' committed results at the end, in an order that cannot change them (integer counts,
/// or sums taken in block order).
protocol ParticleRecorder: AnyObject {
    /// A new block starts: pending (per-block) state is cleared.
    func beginBlock(_ block: ParticleBlock)
    /// Record number `k` of the block's current positions.
    func record(_ block: ParticleBlock, at k: Int)
    /// The block finished: its pending state joins the committed state.
    func commitBlock()
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
