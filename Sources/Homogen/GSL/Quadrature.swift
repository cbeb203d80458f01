import CGSL

/// Adaptive Gauss–Kronrod quadrature (`gsl_integration_qag`, 61-point rule) of a Swift
/// closure, with its own GSL workspace (allocated in `init`, freed in `deinit`).
public final class AdaptiveQuadrature {
    private let workspace: UnsafeMutablePointer<gsl_integration_workspace>
    private let limit = 1000

    public init() {
        GSLRuntime.ensureConfigured()
        guard let w = gsl_integration_workspace_alloc(limit) else { fatalError("gsl_integration_workspace_alloc: out of memory") }
        workspace = w
    }

    deinit { gsl_integration_workspace_free(workspace) }

    /// ∫_a^b f, to relative accuracy `relativeError` (absolute 1e-15 for integrals near 0).
    public func integrate(_ a: Double, _ b: Double, relativeError: Double = 1e-13,
                          _ f: (Double) -> Double) throws -> (value: Double, error: Double) {
        try withoutActuallyEscaping(f) { f in
            var box = f
            return try withUnsafeMutablePointer(to: &box) { context in
                var function = gsl_function(
                    function: { x, params in
                        params!.assumingMemoryBound(to: ((Double) -> Double).self).pointee(x)
                    },
                    params: UnsafeMutableRawPointer(context))
                var result = 0.0, error = 0.0
                let status = gsl_integration_qag(&function, a, b, 1e-15, relativeError, limit, Int32(GSL_INTEG_GAUSS61),
                                                 workspace, &result, &error)
                // GSL_EROUND: round-off prevents the requested accuracy; the result is still the best estimate.
                guard status == GSL_SUCCESS || status == GSL_EROUND else {
                    throw GSLError(status: status, context: "gsl_integration_qag")
                }
                return (result, error)
            }
        }
    }
}
