import CGSL

/// A root of a continuous function on a bracketing interval, by Brent's method
/// (`gsl_root_fsolver_brent`), iterated until the bracket is narrower than `tolerance` (absolute)
/// or `maximumIterations` is reached; the status of every GSL call is checked.
public enum BrentRoot {
    /// The root in [lower, upper] (f(lower) and f(upper) of opposite signs); nil when GSL refuses
    /// the bracket or an iteration fails (then the caller keeps its own estimate).
    public static func find(in lower: Double, _ upper: Double, tolerance: Double = 1e-15, maximumIterations: Int = 100,
                            _ f: (Double) -> Double) -> Double? {
        GSLRuntime.ensureConfigured()
        return withoutActuallyEscaping(f) { f in
            var box = f
            return withUnsafeMutablePointer(to: &box) { context -> Double? in
                var function = gsl_function(
                    function: { x, params in params!.assumingMemoryBound(to: ((Double) -> Double).self).pointee(x) },
                    params: UnsafeMutableRawPointer(context))
                guard let solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent) else { return nil }
                defer { gsl_root_fsolver_free(solver) }
                guard gsl_root_fsolver_set(solver, &function, lower, upper) == GSL_SUCCESS else { return nil }
                var root: Double?
                for _ in 0..<maximumIterations {
                    guard gsl_root_fsolver_iterate(solver) == GSL_SUCCESS else { break }
                    root = gsl_root_fsolver_root(solver)
                    let lo = gsl_root_fsolver_x_lower(solver), hi = gsl_root_fsolver_x_upper(solver)
                    if gsl_root_test_interval(lo, hi, tolerance, 0) == GSL_SUCCESS { break }
                }
                return root
            }
        }
    }
}
