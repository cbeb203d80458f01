import Foundation

/// The cell problem (A.6)–(A.7) in closed form for a laminate: where the conductivity
/// D(y) = π(x, y) B(x, y)⁻¹ / Z depends on one fast variable t = y_k only (layers normal to e_k),
/// the corrector of direction e_j depends on t alone, the k-th flux component D_kj + D_kk χ_j' is
/// constant, and ⟨χ_j'⟩ = 0 fixes it. This gives, with ⟨·⟩ the mean over t ∈ [0, 1),
///
///     A_kk = ⟨1/D_kk⟩⁻¹,
///     A_ik = A_ki = ⟨D_ik/D_kk⟩ ⟨1/D_kk⟩⁻¹                                    (i ≠ k),
///     A_ij = ⟨D_ij − D_ik D_kj/D_kk⟩ + ⟨D_ik/D_kk⟩ ⟨D_jk/D_kk⟩ ⟨1/D_kk⟩⁻¹     (i, j ≠ k),
///
/// in any dimension (d = 1 is the harmonic mean of Section 5.2). A medium that depends on no fast
/// variable is the case D constant, A_hom = D. The means are one-dimensional integrals, computed
/// by GSL's adaptive Gauss–Kronrod quadrature to round-off, so A_hom is exact to round-off where
/// the Q1 cell problem is exact only to its discretisation error.
struct LaminateFormula {
    let dimension: Int
    /// The layer normal e_k.
    let axis: Int

    /// The fast variable (0-based among the fast ones) that π and every entry of B depend on,
    /// when there is at most one (0 when there is none); nil otherwise. The test is structural
    /// (which variables the expressions contain), so a medium written with a variable that
    /// cancels out takes the general cell problem.
    static func axis(of f: LoweredFields) -> Int? {
        let fast = f.fastVariables
        let used = fast.indices.filter { j in ([f.pi] + f.medium).contains { f.graph.dependsOn($0, variable: fast[j]) } }
        return used.count <= 1 ? (used.first ?? 0) : nil
    }

    /// A_hom (d × d, row-major) from D(t), the conductivity at y = t e_k; `mean` integrates a
    /// function of t over [0, 1).
    func homogenised(_ d: @escaping (Double) throws -> [[Double]], mean: ((Double) throws -> Double) throws -> Double) throws -> [Double] {
        let n = dimension, k = axis
        let others = (0..<n).filter { $0 != k }
        let inverseMean = try mean { 1 / (try d($0))[k][k] }
        let ratio = try others.map { i in try mean { t in let m = try d(t); return m[i][k] / m[k][k] } }
        var a = [Double](repeating: 0, count: n * n)
        a[k * n + k] = 1 / inverseMean
        for (p, i) in others.enumerated() {
            a[i * n + k] = ratio[p] / inverseMean
            a[k * n + i] = a[i * n + k]
            for (q, j) in others.enumerated() where q >= p {
                let schur = try mean { t in let m = try d(t); return m[i][j] - m[i][k] * m[k][j] / m[k][k] }
                a[i * n + j] = schur + ratio[p] * ratio[q] / inverseMean
                a[j * n + i] = a[i * n + j]
            }
        }
        return a.map { $0 + 0 }   // −0 (from the inverse of a diagonal B) reads as 0
    }
}
