import Foundation

/// The one-sample Kolmogorov–Smirnov test of values against the uniform distribution on
/// [0, 1] (used to check that p-values are uniform under the null). Written here because GSL
/// has no Kolmogorov distribution: the p-value is the asymptotic series
/// Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} with Stephens' finite-n correction
/// λ = (√n + 0.12 + 0.11/√n) D.
public struct KolmogorovSmirnovTest: Sendable {
    public let statistic: Double
    public let pValue: Double

    public init(uniformSample values: [Double]) {
        precondition(!values.isEmpty)
        let x = values.sorted()
        let n = Double(x.count)
        var d = 0.0
        for (i, v) in x.enumerated() {
            d = max(d, Double(i + 1) / n - v, v - Double(i) / n)
        }
        statistic = d
        let lambda = (n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d
        var q = 0.0
        if lambda < 0.2 { q = 1 } else {
            for k in 1...100 {
                let term = 2 * (k % 2 == 1 ? 1.0 : -1.0) * Foundation.exp(-2 * Double(k * k) * lambda * lambda)
                q += term
                if abs(term) < 1e-16 { break }
            }
        }
        pValue = min(1, max(0, q))
    }
}
