import Foundation

/// The estimates of a stationary run, with their error bars and the tests against the exact
/// masses of π_ε on two grids (the output grid, and one cell per ε-period: the coarse-grained
/// π_ε), the homogenisation error at this ε (coarse-grained π_ε against π̄, exact, reported
/// beside the tests and never as one), and the run-length check against the measured τ_int.
public struct StationaryResult: Sendable {
    public struct Grid: Sendable, Codable {
        public let cells: Int
        /// Estimated cell probabilities (batch-means average) and their standard errors.
        public let estimate: [Double]
        public let standardError: [Double]
        /// Exact cell probabilities of the reference density.
        public let exact: [Double]
        /// The test of "the estimate is π" on batch means: Hotelling's T² = B δᵀS⁻¹δ of the B
        /// independent batch histograms (δ the mean deviation from the exact probabilities on
        /// k − 1 cells, S their sample covariance; GSL Cholesky), referred to
        /// (B − k + 1)/((k − 1)(B − 1)) T² ~ F(k − 1, B − k + 1) (`gsl_cdf_fdist_Q`). Time-averaged
        /// histograms are strongly correlated between neighbouring cells, which a cell-by-cell
        /// chi-square would ignore. Cells are merged (neighbours, per axis) until k − 1 ≤ B/2.
        public let hotellingT2: Double
        public let pValue: Double
        /// Cells per axis used by the test after merging.
        public let testCells: Int
        /// The test of the largest deviation: max_c |z_c| over the cells with a standard error and
        /// at least `minimumSamplesPerBatch` independent samples per batch expected under π,
        /// z_c = (p̂_c − p_c)/SE_c ~ t_{B−1} under "the estimate is π", with Bonferroni over those k
        /// cells: p = min(1, 2k P(T_{B−1} > max|z|)). Valid whatever the dependence between cells;
        /// it sees a bias confined to a few cells (at the ε-scale, say) that the merging of the
        /// Hotelling test averages away (3D, where the cells merge most). 1 when no cell qualifies.
        public let maxZPValue: Double
        /// The cells the largest-|z| test ran over (k above).
        public let maxZCells: Int
        /// Total variation ½ Σ |p̂ − p|.
        public let totalVariation: Double
        /// The cells with the largest |z| = |p̂ − p|/SE: index, estimate, exact, standard error, z.
        public let worstCells: [[Double]]
        /// 95% confidence intervals p̂ ± t_{B−1, 0.975} SE that cover the exact value.
        public let coverage: Double
    }

    public let scheme: SchemeKind
    public let scenario: Scenario
    public let dt: Double
    public let steps: Int
    public let burnInSteps: Int
    /// How the burn-in was chosen ("the first 20% of the run" or "as given").
    public let burnInRule: String
    public let recordEvery: Int
    public let batches: Int
    public let acceptanceRate: Double?
    /// Against π_ε on the output grid.
    public let fine: Grid
    /// Against the coarse-grained π_ε — its exact masses on one cell per ε-period (in 2D, per
    /// period in each direction) — which is what the particles sample at this ε.
    public let coarse: Grid
    /// π̄'s masses on the same coarse cells (the homogenised limit).
    public let piBarCoarse: [Double]
    /// Coarse-grained π_ε against π̄ (exact), with the difference in the run's standard errors.
    public let homogenisationError: HomogenisationError
    /// The burn-in and the run length against the measured τ_int.
    public let runLength: RunLengthCheck

    /// The level of the verdict on the four tests against π_ε (Hotelling and the largest |z|, on
    /// the output grid and on the coarse cells).
    public static let significanceLevel = 0.01
    /// The output grid's Hotelling test merged its cells into the coarse grid's test cells: the
    /// same test on the same counts, counted once.
    public var fineHotellingRepeatsCoarse: Bool { fine.testCells == coarse.testCells }
    /// The tests' p-values: Hotelling on each grid (once when `fineHotellingRepeatsCoarse`), then
    /// the largest |z| on each.
    public var testPValues: [Double] {
        (fineHotellingRepeatsCoarse ? [] : [fine.pValue]) + [coarse.pValue, fine.maxZPValue, coarse.maxZPValue]
    }
    /// The particles are consistent with π_ε: no test rejects at level α/m, m the number of
    /// tests (Bonferroni, so the verdict's level is at most α).
    public var consistentWithPiEps: Bool {
        testPValues.min()! >= Self.significanceLevel / Double(testPValues.count)
    }
    /// Integrated autocorrelation times (in time units) and effective sample sizes of the
    /// observables cos 2πx_k, sin 2πx_k, cos 2πx_k/ε and sin 2πx_k/ε, axis by axis
    /// (`BatchMeansRecorder.observables`, `timeAverageAutocorrelation`).
    public let observables: [String]
    public let observableMeans: [Double]
    public let observableExact: [Double]
    public let tauInt: [Double]
    public let ess: [Double]
    /// 1D: W2 between the fine-grid estimate and π_ε (exact, on the circle).
    public let w2PiEps: Double?
    public let seconds: Double

    init(estimator e: StationaryEstimator, fineCounts: [[Double]], coarseCounts: [[Double]],
         observableSeries: [[Double]], observableMoments: [[Double]], acceptanceRate: Double?, seconds: Double) {
        let s = e.scenario
        scheme = e.options.scheme
        scenario = s
        dt = e.dt
        steps = e.steps
        burnInSteps = e.burnInSteps
        burnInRule = e.burnInRule
        recordEvery = e.options.recordEvery
        batches = e.options.batches
        self.acceptanceRate = acceptanceRate
        self.seconds = seconds
        // Particle-visits per batch: its particles × recordings.
        let perBatch = (0..<e.options.batches).map { b in
            Double((s.particles.count - b + e.options.batches - 1) / e.options.batches) * Double(e.recordings)
        }
        let f = s.lowered()
        let exactFine = s.equilibriumCellMasses(cells: s.cells)
        let piEpsCoarse = s.equilibriumCellMasses(cells: s.inverseEpsilon)
        // Observables: their exact means under π_ε, and τ_int from the spread of the particles'
        // own time averages (`timeAverageAutocorrelation`).
        observables = s.dimension.slowNames.flatMap { x in
            ["cos(2 pi \(x))", "sin(2 pi \(x))", "cos(2 pi \(x) / eps)", "sin(2 pi \(x) / eps)"]
        }
        observableExact = Self.exactMeans(f, mass: s.facts.equilibriumMass)
        observableMeans = observableSeries.map { $0.reduce(0, +) / Double($0.count) }
        let unit = Double(e.options.recordEvery) * e.dt
        let means = observableMeans
        let taus = observableSeries.indices.map { o in
            Self.timeAverageAutocorrelation(mean: means[o], sumOfSquaredSums: observableMoments[o][0],
                                            sumOfSquares: observableMoments[o][1], particles: s.particles.count,
                                            recordings: observableSeries[o].count)
        }
        tauInt = taus.map { $0 * unit }
        // ESS = particles × recordings / τ_int (in recordings).
        ess = taus.map { Double(s.particles.count) * Double(observableSeries[0].count) / max($0, 1) }
        // Independent samples per batch: the smaller ESS, and never fewer than its particles.
        let samplesPerBatch = max(ess.min()!, Double(s.particles.count)) / Double(e.options.batches)
        fine = Self.grid(fineCounts, perBatch: perBatch, samplesPerBatch: samplesPerBatch, exact: exactFine, cells: s.cells,
                         dimension: s.dimension)
        coarse = Self.grid(coarseCounts, perBatch: perBatch, samplesPerBatch: samplesPerBatch, exact: piEpsCoarse,
                           cells: s.inverseEpsilon, dimension: s.dimension)
        piBarCoarse = f.fastAverageCellMasses(cells: s.inverseEpsilon, slowPoints: HomogenisationError.slowPoints(s.dimension, s.inverseEpsilon))
        homogenisationError = HomogenisationError(inverseEpsilon: s.inverseEpsilon, piEps: piEpsCoarse, piBar: piBarCoarse,
                                                  standardErrors: coarse.standardError)
        let startedAtPiEps = s.initialIsEquilibrium()
        let initialTV = startedAtPiEps ? 0 : 0.5 * zip(s.initialCellMasses(), exactFine).reduce(0) { $0 + abs($1.0 - $1.1) }
        runLength = RunLengthCheck(startedAtPiEps: startedAtPiEps, initialTotalVariation: initialTV, tauInt: tauInt.max()!,
                                   burnIn: Double(e.burnInSteps) * e.dt, run: Double(e.steps - e.burnInSteps) * e.dt)
        // 1D: exact on the circle. 2D: none (the estimate's standard errors, not a distance, judge it there).
        w2PiEps = try? TransportMethod(s.dimension).strategy(s, threads: 1).stationaryDistance(estimate: fine.estimate, exact: exactFine)
    }

    /// The largest-|z| test takes a cell only when a batch holds this many independent samples in
    /// it on average under π (the batch's share of the effective sample size, ESS/B, times p_c):
    /// the t approximation of z_c needs batch fractions near normal, and a cell seen by a
    /// fraction of a sample per batch has skewed ones whose small sample variances inflate |z| (a
    /// 3D run of 2.2 τ_int started at π_ε, 0.5 samples per batch in the cell, said DIFFER in 12
    /// seeds of 30 at level 0.05; with the rule, 2 of 30 at 10⁵ particles).
    static let minimumSamplesPerBatch = 10.0

    static func grid(_ counts: [[Double]], perBatch: [Double], samplesPerBatch: Double, exact: [Double], cells: Int,
                     dimension: TorusDimension) -> Grid {
        let b = counts.count
        let k = exact.count
        var est = [Double](repeating: 0, count: k), se = est
        var column = [Double](repeating: 0, count: b)
        for c in 0..<k {
            for j in 0..<b { column[j] = counts[j][c] / perBatch[j] }
            est[c] = SampleStatistics.mean(column)
            se[c] = (SampleStatistics.variance(column) / Double(b)).squareRoot()
        }
        var used = 0
        var z: [(Int, Double)] = []
        var covered = 0
        let tq = Distributions.tQuantile(0.975, degreesOfFreedom: Double(b - 1))
        var tested: [(Int, Double)] = []
        for c in 0..<k where se[c] > 0 {
            let zc = (est[c] - exact[c]) / se[c]
            used += 1
            z.append((c, zc))
            if abs(zc) <= tq { covered += 1 }
            if samplesPerBatch * exact[c] >= minimumSamplesPerBatch { tested.append((c, zc)) }
        }
        let (t2, pValue, testCells) = hotelling(counts, perBatch: perBatch, exact: exact, cells: cells, dimension: dimension)
        let largest = tested.map { abs($0.1) }.max() ?? 0
        let maxZPValue = tested.isEmpty ? 1
            : min(1, 2 * Double(tested.count) * Distributions.tUpperTail(largest, degreesOfFreedom: Double(b - 1)))
        let worst = z.sorted { abs($0.1) > abs($1.1) }.prefix(5).map { [Double($0.0), est[$0.0], exact[$0.0], se[$0.0], $0.1] }
        return Grid(
            cells: cells, estimate: est, standardError: se, exact: exact, hotellingT2: t2, pValue: pValue, testCells: testCells, maxZPValue: maxZPValue,
            maxZCells: tested.count,
            totalVariation: 0.5 * zip(est, exact).reduce(0) { $0 + abs($1.0 - $1.1) },
            worstCells: Array(worst), coverage: Double(covered) / Double(max(used, 1)))
    }

    /// Hotelling's T² of the batch means of the cell probabilities against π_ε's, on cells merged
    /// by a factor r per axis (r dividing `cells`) until k − 1 ≤ B/2. Where the batch covariance is
    /// singular — a merged cell empty (or equally full) in every batch, as where π_ε nearly
    /// vanishes — the cells are merged further until it is not; a single merged cell is no test
    /// (p = 1). Returns T², its p-value and the merged cells per axis.
    static func hotelling(_ counts: [[Double]], perBatch: [Double], exact: [Double], cells: Int,
                          dimension d: TorusDimension) -> (Double, Double, Int) {
        let b = counts.count
        var r = 1
        while d.cells(perAxis: cells / r) - 1 > b / 2, let next = (r + 1...cells).first(where: { cells % $0 == 0 }) {
            r = next
        }
        while true {
            let m = cells / r
            let k = d.cells(perAxis: m)
            guard k >= 2 else { return (0, 1, m) }
            if let test = hotelling(counts, perBatch: perBatch, exact: exact, cells: cells, factor: r, dimension: d) {
                return (test.t2, test.pValue, m)
            }
            guard let next = (r + 1...cells).first(where: { cells % $0 == 0 }) else { return (0, 1, m) }
            r = next
        }
    }

    /// The test on cells merged by `factor` per axis; nil where the batch covariance is singular.
    private static func hotelling(_ counts: [[Double]], perBatch: [Double], exact: [Double], cells: Int, factor r: Int,
                                  dimension d: TorusDimension) -> (t2: Double, pValue: Double)? {
        let b = counts.count
        let k = d.cells(perAxis: cells / r)
        func merged(_ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: k)
            for c in v.indices { out[d.coarseCell(c, perAxis: cells, factor: r)] += v[c] }
            return out
        }
        let p = merged(exact)
        let rows = (0..<b).map { j in merged(counts[j]).map { $0 / perBatch[j] } }
        // A cell equal in every batch (empty, say) makes the covariance singular even when it is
        // the last, dropped cell: then the others sum to a constant, and Cholesky may pass on a
        // pivot of round-off.
        for c in 0..<k where rows.allSatisfy({ $0[c] == rows[0][c] }) { return nil }
        let q = k - 1   // the last cell is determined by the others
        var mean = [Double](repeating: 0, count: q)
        for row in rows { for c in 0..<q { mean[c] += row[c] / Double(b) } }
        var cov = [Double](repeating: 0, count: q * q)
        for row in rows {
            for i in 0..<q { for j in 0..<q { cov[i * q + j] += (row[i] - mean[i]) * (row[j] - mean[j]) / Double(b - 1) } }
        }
        let delta = (0..<q).map { mean[$0] - p[$0] }
        guard let sol = CholeskySolve.solve(cov, delta) else { return nil }
        var t2 = 0.0
        for i in 0..<q { t2 += delta[i] * sol[i] }
        t2 *= Double(b)
        let f = Double(b - q) / (Double(q) * Double(b - 1)) * t2
        return (t2, Distributions.fUpperTail(f, Double(q), Double(b - q)))
    }

    /// τ_int (in recordings) from N independent particles' time averages A_p = S_p / R over R
    /// recordings: for a stationary series Var(A_p) = (σ²/R) Σ_{|k|<R} (1 − |k|/R) ρ(k), which is
    /// σ² τ / R with τ = 1 + 2 Σ_{k≥1} ρ(k) when R ≫ τ (low by about τ/(2R) otherwise), σ² the
    /// variance of g under the law. So τ = R Var_p(A_p) / σ², both from the run: Var_p across the
    /// particles (relative standard error √(2/N)), σ² over every particle and recording.
    ///
    /// The windowed autocorrelation of the particle-averaged series, which this replaces, saw one
    /// series of R points, and its window stopped early on a slow tail: 0.015 against 0.079 on a
    /// run of 10 τ (a black-box review's generator solve).
    static func timeAverageAutocorrelation(mean m: Double, sumOfSquaredSums s2: Double, sumOfSquares g2: Double,
                                           particles: Int, recordings: Int) -> Double {
        let n = Double(particles), r = Double(recordings)
        let sigma2 = g2 / (n * r) - m * m
        let spread = (s2 / (n * r * r) - m * m) * n / max(n - 1, 1)
        guard sigma2 > 0, spread.isFinite else { return 1 }
        return max(r * spread / sigma2, 1e-3)
    }

    /// Exact means of the observables under π_ε (Gauss–Legendre resolving ε).
    static func exactMeans(_ f: LoweredFields, mass: Double) -> [Double] {
        let g = f.graph
        let twoPi = g.constant(2 * .pi)
        return f.slowVariables.indices.flatMap { k -> [Double] in
            let slow = g.mul(twoPi, g.variable(f.slowVariables[k])), fast = g.mul(twoPi, g.variable(f.fastVariables[k]))
            let integrands = [g.unary(.cos, slow), g.unary(.sin, slow), g.unary(.cos, fast), g.unary(.sin, fast)].map { g.mul($0, f.pi) }
            return integrands.map { f.cellIntegrals(of: $0, cells: 1)[0] / mass }
        }
    }
}
