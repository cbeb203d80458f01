import Foundation

/// The time-discretisation bias of a run's cell probabilities, estimated from a coupled pilot
/// (`CoupledPilot`), and judged against the Monte Carlo noise of a run of N particles.
///
/// A scheme of weak order q has p(h) − p(0) ≈ C h^q, so by Richardson extrapolation the bias of
/// the cell probabilities at step h is
///
///     b_g = p_g(h) − p_g(0) ≈ 2^q/(2^q − 1) (p_g(h) − p_g(h/2))
///
/// (2 (p(h) − p(h/2)) for Euler–Maruyama, 4/3 (p(h) − p(h/2)) for the weak order-2 scheme),
/// estimated per group of cells g from the pilot's per-particle differences D_i = w_g(coarse_i) −
/// w_g(fine_i), w_g the cloud-in-cell weight of g (each position spreads over the 2^d nearest cell
/// centres, so that a coupled pair straddling an edge contributes O(|X_h − X_{h/2}| / cell) rather
/// than a whole count). The coupling makes Var D far smaller than the variance of either histogram.
///
/// What matters is whether a run of N particles could see that bias: the non-centrality
/// λ = N Σ_g b_g² / p_g it adds to Pearson's statistic (`TestedScales`), estimated without the
/// pilot's own noise (E b̂² = b² + Var b̂) and with its standard error, at every scale the run's
/// tests see (`TestedScales.coarsenings`).
struct DiscretisationBias {
    /// The estimate at one output time and one scale.
    struct Estimate: Codable, Sendable, Equatable {
        /// Output cells merged per axis (1: the output grid).
        let coarsening: Int
        /// Groups of cells tested.
        let groups: Int
        /// λ̂ and its standard error.
        let noncentrality: Double
        let standardError: Double
        /// κ √(2(k − 1)).
        let threshold: Double
        /// Largest |b̂_g| (probability units).
        let largestBias: Double

        /// (λ̂ + 2 SE) / threshold: at most 1 when the bias is small against the noise.
        var ratio: Double { (noncentrality + 2 * standardError) / threshold }
        /// The bias stands clear of the pilot's noise (λ̂ ≥ 4 SE, and above zero, and bounded).
        var resolved: Bool { standardError.isFinite && noncentrality > 0 && noncentrality >= 4 * standardError }

        /// The estimate with its Richardson factor corrected by c ≥ 1 (`Extrapolation.richardsonCorrection`):
        /// λ̂ and its standard error times c, |b̂| times √c. With c = +∞ (no decrease of the bias
        /// shown) both are +∞: the pilot bounds nothing.
        func corrected(by c: Double) -> Estimate {
            guard c.isFinite else {
                return Estimate(coarsening: coarsening, groups: groups, noncentrality: .infinity, standardError: .infinity,
                                threshold: threshold, largestBias: .infinity)
            }
            return Estimate(coarsening: coarsening, groups: groups, noncentrality: c * noncentrality, standardError: c * standardError,
                            threshold: threshold, largestBias: c.squareRoot() * largestBias)
        }
    }

    /// κ: the largest shift of a chi-square statistic, in null standard deviations, that a step's
    /// bias may cause. With κ = 1/4 a test at level α keeps a size below about 2α.
    static let tolerance = 0.25

    let cells: Int
    let dimension: TorusDimension
    /// The run's particle count N.
    let runParticles: Int
    /// The scheme's weak order q.
    let order: Int

    /// The Richardson factor 2^q/(2^q − 1).
    var richardson: Double {
        let p = Double(1 << order)
        return p / (p - 1)
    }

    /// The estimates at every scale for the pilot's positions at one output time.
    func estimates(_ record: CoupledPilot.Record) -> [Estimate] {
        TestedScales.coarsenings(cells: cells).map { estimate(record, coarsening: $0) }
    }

    private func estimate(_ r: CoupledPilot.Record, coarsening c: Int) -> Estimate {
        let m = r.fine[0].count
        let bigN = Double(runParticles), mm = Double(m)
        let corners = dimension.corners
        var cell = [Int](repeating: 0, count: corners), weight = [Double](repeating: 0, count: corners)
        func spread(_ x: [[Double]], _ i: Int) {
            dimension.cloudInCell(perAxis: cells, { x[$0][i] }, cells: &cell, weights: &weight)
        }
        // The fine path's cloud-in-cell probabilities per output cell, grouped as the run's tests group them.
        var p = [Double](repeating: 0, count: dimension.cells(perAxis: cells))
        for i in 0..<m {
            spread(r.fine, i)
            for q in 0..<corners { p[cell[q]] += weight[q] }
        }
        let groups = TestedScales.Groups(cells: cells, dimension: dimension, coarsening: c, particles: runParticles) { p[$0] / mm }
        let cellGroup = groups.groupOfCell, groupP = groups.probability
        // Σ D_i and Σ D_i² per group, D_i = w_g(coarse_i) − w_g(fine_i).
        var sum = [Double](repeating: 0, count: groupP.count), sumSquares = sum
        var touchedGroup = [Int](repeating: 0, count: 2 * corners), touchedValue = [Double](repeating: 0, count: 2 * corners)
        for i in 0..<m {
            var used = 0
            func add(_ g: Int, _ v: Double) {
                for j in 0..<used where touchedGroup[j] == g { touchedValue[j] += v; return }
                touchedGroup[used] = g; touchedValue[used] = v; used += 1
            }
            spread(r.coarse, i)
            for q in 0..<corners { add(cellGroup[cell[q]], weight[q]) }
            spread(r.fine, i)
            for q in 0..<corners { add(cellGroup[cell[q]], -weight[q]) }
            for j in 0..<used {
                let v = touchedValue[j]
                sum[touchedGroup[j]] += v; sumSquares[touchedGroup[j]] += v * v
            }
        }
        var lambda = 0.0, variance = 0.0, largest = 0.0
        let f = richardson
        for g in groupP.indices where groupP[g] > 0 {
            let mean = sum[g] / mm
            let b = f * mean
            let v = f * f * max(sumSquares[g] / mm - mean * mean, 0) / mm   // Var b̂
            lambda += bigN * (b * b - v) / groupP[g]
            variance += bigN * bigN * (4 * b * b * v + 2 * v * v) / (groupP[g] * groupP[g])
            largest = max(largest, abs(b))
        }
        let k = groupP.count
        return Estimate(coarsening: c, groups: k, noncentrality: lambda, standardError: variance.squareRoot(),
                        threshold: TestedScales.threshold(groups: k, tolerance: Self.tolerance), largestBias: largest)
    }
}
