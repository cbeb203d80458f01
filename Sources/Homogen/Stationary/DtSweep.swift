import Foundation

/// The bias of a scheme's invariant measure made visible — O(dt) for Euler–Maruyama, O(dt²) for
/// the weak order-2 scheme: the stationary mean of an observable at dt, dt/2, dt/4, dt/8, its
/// bias against the exact value under π_ε, and the order p of bias ~ C dtᵖ by least squares in
/// log–log (`LinearFit`). The observable is the one of cos and sin of 2πx_k/ε (fast) and of 2πx_k
/// (slow), over the axes k, whose bias changes most from the largest step to the smallest (in
/// standard errors; until session 21 only the cosines were candidates, and a review's sin 2πx/ε,
/// 23 standard errors off at the main step, was never swept): one alone
/// can miss a gross bias where its exact mean vanishes by symmetry (the fast one's is 0.001 on a
/// review's π), and a bias that does not change with the step (a start far from π_ε, not burnt
/// in) is not the scheme's.
///
/// The order means something only where the biases stand out of the Monte Carlo noise:
/// `biasesSignificant` says whether every |bias| is at least twice its standard error, and only
/// then are `order` and `orderStandardError` set (the least-squares slope stays available as
/// `fittedSlope`, for reference, never to be read as an order).
public struct DtSweep: Sendable, Codable {
    /// The scheme swept.
    public let scheme: SchemeKind
    /// The observable swept, as `StationaryResult.observables` names it.
    public let observable: String
    public let dts: [Double]
    public let bias: [Double]
    public let standardError: [Double]
    /// The least-squares slope of log|bias| against log dt, whatever the noise.
    public let fittedSlope: Double
    /// Its standard error: the larger of the one from the scatter about the line (two degrees of
    /// freedom, so small by chance at times) and the Monte Carlo noise propagated through the fit,
    /// Var = Σ (xᵢ − x̄)² σᵢ² / (Σ (xᵢ − x̄)²)² with σᵢ = seᵢ/|biasᵢ| (the delta method in log).
    public let fittedSlopeStandardError: Double
    /// Every |bias| ≥ 2 standard errors; when false the fitted slope is not a measurement.
    public let biasesSignificant: Bool
    /// The fitted order of the bias, when `biasesSignificant` (nil otherwise).
    public let order: Double?
    public let orderStandardError: Double?

    /// Builds the sweep from its measurements.
    public init(scheme: SchemeKind = .em, observable: String = "cos(2 pi x / eps)", dts: [Double], bias: [Double],
                standardError: [Double]) throws {
        self.scheme = scheme
        self.observable = observable
        precondition(dts.count == bias.count && bias.count == standardError.count && dts.count >= 3)
        self.dts = dts
        self.bias = bias
        self.standardError = standardError
        let xs = dts.map { Foundation.log($0) }, ys = bias.map { Foundation.log(max(abs($0), 1e-300)) }
        let fit = try LinearFit(x: xs, y: ys)
        let mean = xs.reduce(0, +) / Double(xs.count)
        let sxx = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let propagated = zip(xs, zip(bias, standardError)).reduce(0) { sum, p in
            let sigma = p.1.1 / max(abs(p.1.0), 1e-300)
            return sum + (p.0 - mean) * (p.0 - mean) * sigma * sigma
        } / (sxx * sxx)
        fittedSlope = fit.slope
        fittedSlopeStandardError = max(fit.slopeStandardError ?? 0, propagated.squareRoot())
        biasesSignificant = zip(bias, standardError).allSatisfy { abs($0) >= 2 * $1 }
        order = biasesSignificant ? fittedSlope : nil
        orderStandardError = biasesSignificant ? fittedSlopeStandardError : nil
    }

    private enum CodingKeys: String, CodingKey {
        case scheme, observable, dts, bias, standardError, fittedSlope, fittedSlopeStandardError, biasesSignificant, order,
             orderStandardError
    }

    /// As synthesised, except that a missing order is written as null rather than left out, so
    /// that a script reading `order` finds "no order", not a missing key.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scheme, forKey: .scheme)
        try c.encode(observable, forKey: .observable)
        try c.encode(dts, forKey: .dts)
        try c.encode(bias, forKey: .bias)
        try c.encode(standardError, forKey: .standardError)
        try c.encode(fittedSlope, forKey: .fittedSlope)
        try c.encode(fittedSlopeStandardError, forKey: .fittedSlopeStandardError)
        try c.encode(biasesSignificant, forKey: .biasesSignificant)
        try c.encode(order, forKey: .order)
        try c.encode(orderStandardError, forKey: .orderStandardError)
    }

    /// The warning when the biases do not stand out of the noise.
    public static let notSignificantWarning = "dt sweep: some biases are below twice their standard error, so no order is "
        + "fitted (use more particles or a longer run)"

    /// Sweeps `options.scheme`, or Euler–Maruyama when that is the Metropolised scheme (exact for any
    /// dt: it has no bias to sweep).
    /// `observable` (a name of `StationaryResult.observables`) sweeps that one instead of choosing
    /// (to compare two schemes on the same observable).
    public static func run(_ s: Scenario, options: StationaryEstimator.Options, base: Double,
                           observable: String? = nil) throws -> DtSweep {
        var o = options
        if o.scheme == .metropolis { o.scheme = .em }
        o.allowCoarseTimeStep = true
        var dts: [Double] = [], runs: [StationaryResult] = []
        for k in 0..<4 {
            o.dt = base / pow(2, Double(k))
            runs.append(try StationaryEstimator(scenario: s, options: o).run())
            dts.append(o.dt!)
        }
        // Per observable: the biases and their standard errors, from the ESS and a bound on the
        // observable's variance: Var cos = E cos² − (E cos)² ≤ 1 − m², m the exact mean.
        func sweep(_ j: Int) -> (bias: [Double], se: [Double]) {
            (runs.map { $0.observableMeans[j] - $0.observableExact[j] },
             runs.map { r in (max(1 - r.observableExact[j] * r.observableExact[j], 0) / r.ess[j]).squareRoot() })
        }
        // The observable whose bias changes most between the largest and the smallest step, in
        // standard errors: a step's bias changes with the step, a transient's or a wrong law's not.
        func change(_ b: (bias: [Double], se: [Double])) -> Double {
            abs(b.bias[0] - b.bias[3]) / (b.se[0] * b.se[0] + b.se[3] * b.se[3]).squareRoot()
        }
        let axes = 0..<s.dimension.count
        let candidates = axes.flatMap { k in
            [(true, false), (true, true), (false, false), (false, true)].map { BatchMeansRecorder.observable(axis: k, fast: $0.0, sine: $0.1) }
        }.map { (j: $0, sweep: sweep($0)) }
        let named = observable.flatMap { name in candidates.first { runs[0].observables[$0.j] == name } }
        guard observable == nil || named != nil else {
            throw StationaryError.badSetting("no observable named '\(observable!)' (one of \(runs[0].observables.joined(separator: ", ")))", nil)
        }
        let chosen = named ?? candidates.max { change($0.sweep) < change($1.sweep) }!
        let (bias, se) = chosen.sweep
        return try DtSweep(scheme: o.scheme, observable: runs[0].observables[chosen.j], dts: dts, bias: bias, standardError: se)
    }
}
