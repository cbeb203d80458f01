/// Pearson's chi-square goodness-of-fit test of cell counts against cell probabilities:
/// X² = Σ (O_i − N p_i)² / (N p_i) with k − 1 degrees of freedom (k cells after merging),
/// p-value Q(X²; k − 1) from GSL (`gsl_cdf_chisq_Q`). Cells with an expected count below
/// `minimumExpected` are merged with their neighbours, in order, until every merged cell
/// reaches it (the usual validity rule for the chi-square approximation).
public struct ChiSquareTest: Sendable {
    public let statistic: Double
    public let degreesOfFreedom: Int
    public let pValue: Double
    /// Cells after merging.
    public let cellsUsed: Int

    public init(counts: [Double], probabilities: [Double], minimumExpected: Double = 5) {
        precondition(counts.count == probabilities.count && !counts.isEmpty)
        let n = counts.reduce(0, +)
        let total = probabilities.reduce(0, +)
        var merged: [(observed: Double, expected: Double)] = []
        var o = 0.0, e = 0.0
        for (count, p) in zip(counts, probabilities) {
            o += count
            e += n * p / total
            if e >= minimumExpected {
                merged.append((o, e))
                o = 0; e = 0
            }
        }
        if e > 0 || o > 0 {
            if merged.isEmpty { merged.append((o, e)) } else {
                merged[merged.count - 1].observed += o
                merged[merged.count - 1].expected += e
            }
        }
        var x2 = 0.0
        for c in merged where c.expected > 0 { x2 += (c.observed - c.expected) * (c.observed - c.expected) / c.expected }
        statistic = x2
        cellsUsed = merged.count
        degreesOfFreedom = max(merged.count - 1, 1)
        pValue = Distributions.chiSquareUpperTail(x2, degreesOfFreedom: Double(degreesOfFreedom))
    }
}
