import Foundation

/// The O(dt) bias of Euler–Maruyama's invariant measure made visible: the stationary mean of
/// the fast observable cos 2πx₁/ε at dt, dt/2, dt/4, dt/8, its bias against the exact value
/// under π_ε, and the order p of bias ~ C dtᵖ by least squares in log–log (`LinearFit`), with
/// the standard error of p from the scatter about the line. The order means something only where
/// the biases stand out of the Monte Carlo noise: `biasesSignificant` says whether every bias is
/// at least twice its standard error.
public struct DtSweep: Sendable, Codable {
    public let dts: [Double]
    public let bias: [Double]
    public let standardError: [Double]
    public let order: Double
    public let orderStandardError: Double?
    /// Every |bias| ≥ 2 standard errors; when false the fitted order is not a measurement.
    public let biasesSignificant: Bool

    public static func run(_ s: Scenario, options: StationaryEstimator.Options, base: Double) throws -> DtSweep {
        var o = options
        o.scheme = .em
        o.allowCoarseTimeStep = true
        var dts: [Double] = [], bias: [Double] = [], se: [Double] = []
        for k in 0..<4 {
            o.dt = base / pow(2, Double(k))
            let r = try StationaryEstimator(scenario: s, options: o).run()
            dts.append(o.dt!)
            bias.append(r.observableMeans[1] - r.observableExact[1])
            // Standard error of the mean from its ESS and the observable's variance bound (|cos| ≤ 1).
            se.append((0.5 / r.ess[1]).squareRoot())
        }
        let xs = dts.map { Foundation.log($0) }, ys = bias.map { Foundation.log(max(abs($0), 1e-300)) }
        let fit = try LinearFit(x: xs, y: ys)
        return DtSweep(dts: dts, bias: bias, standardError: se, order: fit.slope, orderStandardError: fit.slopeStandardError,
                       biasesSignificant: zip(bias, se).allSatisfy { abs($0) >= 2 * $1 })
    }
}
