import CGSL

/// A GSL histogram (`gsl_histogram`) with `cells` equal cells on [0, 1), owned by Swift.
public final class Histogram1D {
    let h: UnsafeMutablePointer<gsl_histogram>
    public let cells: Int

    public init(cells: Int) {
        GSLRuntime.ensureConfigured()
        precondition(cells > 0)
        guard let h = gsl_histogram_alloc(cells) else { fatalError("gsl_histogram_alloc: out of memory") }
        self.h = h
        self.cells = cells
        gsl_histogram_set_ranges_uniform(h, 0, 1)
    }

    deinit { gsl_histogram_free(h) }

    /// Counts each point of the unit torus (points are in [0, 1) by construction).
    public func add(_ points: UnsafePointer<Double>, count: Int) {
        for i in 0..<count { _ = gsl_histogram_increment(h, points[i]) }
    }

    /// Adds another histogram's counts (`gsl_histogram_add`).
    public func add(_ other: Histogram1D) { _ = gsl_histogram_add(h, other.h) }

    /// Adds counts given as an array (`gsl_histogram_accumulate` per cell).
    public func add(counts: [Double]) {
        for (i, c) in counts.enumerated() where c != 0 { _ = gsl_histogram_accumulate(h, (Double(i) + 0.5) / Double(cells), c) }
    }

    public func reset() { gsl_histogram_reset(h) }

    public var counts: [Double] { (0..<cells).map { gsl_histogram_get(h, $0) } }
    public var total: Double { gsl_histogram_sum(h) }
}

/// A GSL 2D histogram (`gsl_histogram2d`) with `cells × cells` equal cells on [0, 1)².
public final class Histogram2D {
    let h: UnsafeMutablePointer<gsl_histogram2d>
    public let cells: Int

    public init(cells: Int) {
        GSLRuntime.ensureConfigured()
        precondition(cells > 0)
        guard let h = gsl_histogram2d_alloc(cells, cells) else { fatalError("gsl_histogram2d_alloc: out of memory") }
        self.h = h
        self.cells = cells
        gsl_histogram2d_set_ranges_uniform(h, 0, 1, 0, 1)
    }

    deinit { gsl_histogram2d_free(h) }

    public func add(x1: UnsafePointer<Double>, x2: UnsafePointer<Double>, count: Int) {
        for i in 0..<count { _ = gsl_histogram2d_increment(h, x1[i], x2[i]) }
    }

    public func add(_ other: Histogram2D) { _ = gsl_histogram2d_add(h, other.h) }

    /// Adds counts given row-major (i1 * cells + i2).
    public func add(counts: [Double]) {
        for (k, c) in counts.enumerated() where c != 0 {
            _ = gsl_histogram2d_accumulate(h, (Double(k / cells) + 0.5) / Double(cells), (Double(k % cells) + 0.5) / Double(cells), c)
        }
    }

    public func reset() { gsl_histogram2d_reset(h) }

    /// Counts in row-major order: index i1 * cells + i2 (i1 along x1).
    public var counts: [Double] {
        var out = [Double](repeating: 0, count: cells * cells)
        for i in 0..<cells { for j in 0..<cells { out[i * cells + j] = gsl_histogram2d_get(h, i, j) } }
        return out
    }
    public var total: Double { gsl_histogram2d_sum(h) }
}
