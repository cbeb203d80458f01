import CGSL

/// Solves S x = b for a symmetric positive definite S by Cholesky factorisation
/// (`gsl_linalg_cholesky_decomp1`, `gsl_linalg_cholesky_solve`). Returns nil when S is not
/// numerically positive definite.
public enum CholeskySolve {
    /// `matrix` row-major, n × n.
    public static func solve(_ matrix: [Double], _ rhs: [Double]) -> [Double]? {
        GSLRuntime.ensureConfigured()
        let n = rhs.count
        precondition(matrix.count == n * n && n >= 1)
        guard let a = gsl_matrix_alloc(n, n), let b = gsl_vector_alloc(n), let x = gsl_vector_alloc(n) else { return nil }
        defer { gsl_matrix_free(a); gsl_vector_free(b); gsl_vector_free(x) }
        for i in 0..<n {
            gsl_vector_set(b, i, rhs[i])
            for j in 0..<n { gsl_matrix_set(a, i, j, matrix[i * n + j]) }
        }
        guard gsl_linalg_cholesky_decomp1(a) == GSL_SUCCESS, gsl_linalg_cholesky_solve(a, b, x) == GSL_SUCCESS else {
            return nil
        }
        return (0..<n).map { gsl_vector_get(x, $0) }
    }
}
