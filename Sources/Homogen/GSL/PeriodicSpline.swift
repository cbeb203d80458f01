import CGSL

/// A periodic cubic spline through (x_i, y_i) (`gsl_interp_cspline_periodic`): the knots must
/// increase, and the last value must equal the first (it closes the period x_last − x_first).
public final class PeriodicSpline {
    private let spline: UnsafeMutablePointer<gsl_spline>
    private let accelerator: UnsafeMutablePointer<gsl_interp_accel>
    public let lower: Double
    public let period: Double

    public init(x: [Double], y: [Double]) {
        GSLRuntime.ensureConfigured()
        precondition(x.count == y.count && x.count >= 3)
        guard let s = gsl_spline_alloc(gsl_interp_cspline_periodic, x.count) else { fatalError("gsl_spline_alloc: out of memory") }
        spline = s
        guard let a = gsl_interp_accel_alloc() else { fatalError("gsl_interp_accel_alloc: out of memory") }
        accelerator = a
        let status = x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in gsl_spline_init(s, xs.baseAddress!, ys.baseAddress!, x.count) }
        }
        precondition(status == GSL_SUCCESS, "gsl_spline_init: knots must increase")
        lower = x[0]
        period = x[x.count - 1] - x[0]
    }

    deinit {
        gsl_interp_accel_free(accelerator)
        gsl_spline_free(spline)
    }

    /// The spline at t, reduced into the period.
    public func callAsFunction(_ t: Double) -> Double {
        var u = (t - lower).truncatingRemainder(dividingBy: period)
        if u < 0 { u += period }
        return gsl_spline_eval(spline, lower + u, accelerator)
    }
}
