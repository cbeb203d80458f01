import CGSL

/// Probability functions from GSL's `gsl_cdf`.
public enum Distributions {
    /// Upper tail Q(x; k) = P(X > x) of the chi-square distribution with k degrees of freedom.
    public static func chiSquareUpperTail(_ x: Double, degreesOfFreedom k: Double) -> Double {
        GSLRuntime.ensureConfigured()
        return gsl_cdf_chisq_Q(x, k)
    }

    /// Upper tail P(F > x) of the F distribution with (d1, d2) degrees of freedom.
    public static func fUpperTail(_ x: Double, _ d1: Double, _ d2: Double) -> Double {
        GSLRuntime.ensureConfigured()
        return gsl_cdf_fdist_Q(x, d1, d2)
    }

    /// Upper tail P(T > x) of Student's t distribution with ν degrees of freedom.
    public static func tUpperTail(_ x: Double, degreesOfFreedom nu: Double) -> Double {
        GSLRuntime.ensureConfigured()
        return gsl_cdf_tdist_Q(x, nu)
    }

    /// The p-quantile of Student's t distribution with ν degrees of freedom.
    public static func tQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        GSLRuntime.ensureConfigured()
        return gsl_cdf_tdist_Pinv(p, nu)
    }
}

/// Gauss–Legendre nodes and weights on [0, 1] from GSL's fixed-order tables
/// (`gsl_integration_glfixed_table`), for the cell integrals of densities.
public struct GaussLegendre: Sendable {
    public let nodes: [Double]
    public let weights: [Double]

    public init(points n: Int) {
        GSLRuntime.ensureConfigured()
        precondition(n > 0)
        guard let table = gsl_integration_glfixed_table_alloc(n) else { fatalError("glfixed: out of memory") }
        defer { gsl_integration_glfixed_table_free(table) }
        var xs = [Double](), ws = [Double]()
        for i in 0..<n {
            var x = 0.0, w = 0.0
            gsl_integration_glfixed_point(0, 1, i, &x, &w, table)
            xs.append(x); ws.append(w)
        }
        nodes = xs; weights = ws
    }
}
