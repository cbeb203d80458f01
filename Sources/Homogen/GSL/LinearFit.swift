import CGSL

/// Least-squares line y = c0 + c1 x (`gsl_fit_linear`), with the covariance of the coefficients
/// estimated from the scatter of the points (so its standard errors need three points at least).
public struct LinearFit: Sendable {
    public let intercept: Double
    public let slope: Double
    /// Standard error of the slope, from the residual variance (nil with two points: a line
    /// through two points has no residual to estimate it from).
    public let slopeStandardError: Double?
    /// Sum of squared residuals.
    public let residualSumOfSquares: Double

    /// Fits x and y of equal length ≥ 2; throws `GSLError` when GSL reports a failure (e.g. all x equal).
    public init(x: [Double], y: [Double]) throws {
        GSLRuntime.ensureConfigured()
        precondition(x.count == y.count && x.count >= 2)
        var c0 = 0.0, c1 = 0.0, cov00 = 0.0, cov01 = 0.0, cov11 = 0.0, sumsq = 0.0
        let status = gsl_fit_linear(x, 1, y, 1, x.count, &c0, &c1, &cov00, &cov01, &cov11, &sumsq)
        guard status == GSL_SUCCESS, c0.isFinite, c1.isFinite else {
            throw GSLError(status: status == GSL_SUCCESS ? Int32(GSL_EDOM) : status, context: "gsl_fit_linear")
        }
        intercept = c0
        slope = c1
        slopeStandardError = x.count >= 3 ? cov11.squareRoot() : nil
        residualSumOfSquares = sumsq
    }
}

/// Weighted least-squares line y = c0 + c1 x (`gsl_fit_wlinear`) with weights w_i = 1/σ_i², the
/// σ_i known standard errors of y_i: the slope's standard error is √cov11 from the weights alone
/// (not from the scatter), so two points are enough.
public struct WeightedLinearFit: Sendable {
    public let intercept: Double
    public let slope: Double
    public let slopeStandardError: Double
    /// χ² = Σ w_i (y_i − c0 − c1 x_i)².
    public let chiSquare: Double

    /// Fits x, y and w of equal length ≥ 2 (w > 0); throws `GSLError` when GSL reports a failure.
    public init(x: [Double], y: [Double], weights w: [Double]) throws {
        GSLRuntime.ensureConfigured()
        precondition(x.count == y.count && y.count == w.count && x.count >= 2)
        var c0 = 0.0, c1 = 0.0, cov00 = 0.0, cov01 = 0.0, cov11 = 0.0, chisq = 0.0
        let status = gsl_fit_wlinear(x, 1, w, 1, y, 1, x.count, &c0, &c1, &cov00, &cov01, &cov11, &chisq)
        guard status == GSL_SUCCESS, c0.isFinite, c1.isFinite, cov11.isFinite else {
            throw GSLError(status: status == GSL_SUCCESS ? Int32(GSL_EDOM) : status, context: "gsl_fit_wlinear")
        }
        intercept = c0
        slope = c1
        slopeStandardError = cov11.squareRoot()
        chiSquare = chisq
    }
}
