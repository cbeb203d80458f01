/// The scales at which a run's tests see a density error, and how large an error a test of N
/// particles tolerates there. Shared by the two checks that judge a deterministic error against the
/// Monte Carlo noise of the run: the sampler's time step (`DiscretisationBias`) and the ε-PDE
/// reference (`ReferenceCheck`).
///
/// At coarsening c the output grid's cells are merged c × c (c cells in 1D), then merged in order
/// until the expected count at N reaches 5, as `ChiSquareTest` merges. An error e_g in the group
/// probabilities shifts Pearson's statistic on those k groups by the non-centrality
///
///     λ = N Σ_g e_g² / p_g   (null mean k − 1, null standard deviation √(2(k − 1))),
///
/// and the scales run from the output grid (c = 1) through its coarsenings by 2, 4, … down to
/// `coarsestCells` cells per axis — a smooth error that the fine chi-square barely sees moves the
/// coarse ones and the W2 test, which weighs low frequencies most.
enum TestedScales {
    /// The coarsest scale judged: this many cells per axis (3 degrees of freedom in 1D, about as
    /// many as the W2 test effectively has; two cells would judge a single degree of freedom).
    static let coarsestCells = 4

    /// The coarsenings judged on an output grid of `cells` per axis: 1, 2, 4, … while at least
    /// `coarsestCells` cells per axis remain (always 1).
    static func coarsenings(cells: Int) -> [Int] {
        var result = [1], c = 2
        while cells / c >= coarsestCells { result.append(c); c *= 2 }
        return result
    }

    /// The largest shift of the statistic allowed: κ null standard deviations, κ √(2(k − 1)).
    static func threshold(groups k: Int, tolerance kappa: Double) -> Double {
        kappa * (2 * Double(max(k - 1, 1))).squareRoot()
    }

    /// The groups at one scale.
    struct Groups {
        /// The group of every output cell (flat index, row-major in 2D).
        let groupOfCell: [Int]
        /// The probability of every group.
        let probability: [Double]
        var count: Int { probability.count }

        /// Merges the output grid c × c, then in order until N p ≥ 5; `probability(cell)` is the
        /// probability of an output cell.
        init(cells n: Int, dimension: TorusDimension, coarsening c: Int, particles: Int, probability: (Int) -> Double) {
            let fineCount = dimension.cells(perAxis: n)
            let coarseCount = dimension.cells(perAxis: (n + c - 1) / c)
            let toCoarse = (0..<fineCount).map { dimension.coarseCell($0, perAxis: n, factor: c) }
            var p = [Double](repeating: 0, count: coarseCount)
            for f in 0..<fineCount { p[toCoarse[f]] += probability(f) }
            let bigN = Double(particles)
            var group = [Int](repeating: 0, count: coarseCount), groupP: [Double] = []
            var acc = 0.0
            for g in 0..<coarseCount {
                group[g] = groupP.count
                acc += p[g]
                if bigN * acc >= 5 { groupP.append(acc); acc = 0 }
            }
            if groupP.isEmpty {
                groupP.append(acc)
            } else if acc > 0 || group.last == groupP.count {
                // The last, too-small run of cells joins the previous group.
                groupP[groupP.count - 1] += acc
                for g in 0..<coarseCount where group[g] == groupP.count { group[g] = groupP.count - 1 }
            }
            groupOfCell = toCoarse.map { group[$0] }
            self.probability = groupP
        }

        /// Sums a per-cell quantity over each group.
        func sum(_ perCell: [Double]) -> [Double] {
            var s = [Double](repeating: 0, count: count)
            for (f, g) in groupOfCell.enumerated() { s[g] += perCell[f] }
            return s
        }
    }
}
