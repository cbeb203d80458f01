import CGSL

/// A symmetric d×d matrix (d = 1, 2, 3): a medium B(y), a conductivity D = π B⁻¹ / Z, a
/// homogenised tensor A_hom (A.7) or an effective metric B̄ (A.9), wherever the code is written
/// for any d. d ≤ 2 uses the closed forms (the same arithmetic as `Matrix2`, which the 2D-only
/// methods keep); d = 3 uses GSL: the symmetric eigensolver (`gsl_eigen_symm`) and Cholesky
/// factorisation and inversion (`gsl_linalg_cholesky_decomp1`, `gsl_linalg_cholesky_invert`),
/// on stack views of the entries.
public struct SymmetricMatrix: Sendable, Equatable, CustomStringConvertible {
    public let dimension: Int
    /// Row-major d×d entries (symmetric).
    public private(set) var rowMajor: [Double]

    /// From row-major entries, symmetrised: a_ij = (m_ij + m_ji)/2.
    public init(rowMajor m: [Double], dimension d: Int) {
        precondition(d >= 1 && d <= 3 && m.count == d * d, "SymmetricMatrix: \(m.count) entries for d = \(d)")
        dimension = d
        rowMajor = m
        for i in 0..<d { for j in (i + 1)..<d { let s = 0.5 * (m[i * d + j] + m[j * d + i]); rowMajor[i * d + j] = s; rowMajor[j * d + i] = s } }
    }

    /// From the upper triangle row by row (`SymmetricIndex`).
    public init(upper u: [Double], dimension d: Int) {
        let index = SymmetricIndex(d)
        precondition(u.count == index.count)
        self.init(rowMajor: (0..<(d * d)).map { u[index.upper($0 / d, $0 % d)] }, dimension: d)
    }

    public static func diagonal(_ entries: [Double]) -> SymmetricMatrix {
        let d = entries.count
        return SymmetricMatrix(rowMajor: (0..<(d * d)).map { $0 / d == $0 % d ? entries[$0 / d] : 0 }, dimension: d)
    }

    public subscript(i: Int, j: Int) -> Double { rowMajor[i * dimension + j] }

    public static func * (s: Double, m: SymmetricMatrix) -> SymmetricMatrix {
        SymmetricMatrix(rowMajor: m.rowMajor.map { s * $0 }, dimension: m.dimension)
    }

    /// Eigenvalues, smallest first (NaN entries give NaN).
    public var eigenvalues: [Double] {
        let d = dimension, a = rowMajor
        switch d {
        case 1: return a
        case 2:
            let m = 0.5 * (a[0] + a[3])
            let r = (0.25 * (a[0] - a[3]) * (a[0] - a[3]) + a[1] * a[1]).squareRoot()
            return [m - r, m + r]
        default:
            guard a.allSatisfy(\.isFinite) else { return [Double](repeating: .nan, count: d) }
            GSLRuntime.ensureConfigured()
            var work = a
            var values = [Double](repeating: 0, count: d)
            let status: Int32 = work.withUnsafeMutableBufferPointer { w in
                values.withUnsafeMutableBufferPointer { v in
                    var matrix = gsl_matrix_view_array(w.baseAddress, d, d)
                    var vector = gsl_vector_view_array(v.baseAddress, d)
                    guard let space = gsl_eigen_symm_alloc(d) else { return Int32(GSL_ENOMEM) }
                    defer { gsl_eigen_symm_free(space) }
                    return gsl_eigen_symm(&matrix.matrix, &vector.vector, space)
                }
            }
            guard status == GSL_SUCCESS else { return [Double](repeating: .nan, count: d) }
            return values.sorted()
        }
    }

    /// The eigenvalues λ of A v = λ B v (A this matrix, B positive definite), smallest first, by
    /// GSL's `gsl_eigen_gensymm`: the extremes of ⟨A v, v⟩ / ⟨B v, v⟩. NaN entries, or a B that is
    /// not positive definite, give NaN.
    public func generalisedEigenvalues(relativeTo b: SymmetricMatrix) -> [Double] {
        let d = dimension
        precondition(b.dimension == d)
        guard rowMajor.allSatisfy(\.isFinite), b.isPositiveDefinite else { return [Double](repeating: .nan, count: d) }
        GSLRuntime.ensureConfigured()
        var work = rowMajor, metric = b.rowMajor
        var values = [Double](repeating: 0, count: d)
        let status: Int32 = work.withUnsafeMutableBufferPointer { w in
            metric.withUnsafeMutableBufferPointer { m in
                values.withUnsafeMutableBufferPointer { v in
                    var a = gsl_matrix_view_array(w.baseAddress, d, d)
                    var bm = gsl_matrix_view_array(m.baseAddress, d, d)
                    var vector = gsl_vector_view_array(v.baseAddress, d)
                    guard let space = gsl_eigen_gensymm_alloc(d) else { return Int32(GSL_ENOMEM) }
                    defer { gsl_eigen_gensymm_free(space) }
                    return gsl_eigen_gensymm(&a.matrix, &bm.matrix, &vector.vector, space)
                }
            }
        }
        guard status == GSL_SUCCESS else { return [Double](repeating: .nan, count: d) }
        return values.sorted()
    }

    /// Positive definite (and finite): the Cholesky factorisation exists.
    public var isPositiveDefinite: Bool {
        guard rowMajor.allSatisfy(\.isFinite) else { return false }
        switch dimension {
        case 1: return rowMajor[0] > 0
        case 2: return rowMajor[0] > 0 && rowMajor[0] * rowMajor[3] - rowMajor[1] * rowMajor[1] > 0
        default: return factorised() != nil
        }
    }

    /// The inverse, or nil when the matrix is not positive definite.
    public var inverse: SymmetricMatrix? {
        guard isPositiveDefinite else { return nil }
        let d = dimension, a = rowMajor
        switch d {
        case 1: return SymmetricMatrix(rowMajor: [1 / a[0]], dimension: 1)
        case 2:
            let det = a[0] * a[3] - a[1] * a[1]
            let off = -a[1] / det
            return SymmetricMatrix(rowMajor: [a[3] / det, off, off, a[0] / det], dimension: 2)
        default:
            guard var l = factorised() else { return nil }
            let status: Int32 = l.withUnsafeMutableBufferPointer { w in
                var matrix = gsl_matrix_view_array(w.baseAddress, d, d)
                return gsl_linalg_cholesky_invert(&matrix.matrix)
            }
            guard status == GSL_SUCCESS else { return nil }
            return SymmetricMatrix(rowMajor: l, dimension: d)
        }
    }

    /// GSL's in-place Cholesky factorisation of the entries, or nil when not positive definite.
    private func factorised() -> [Double]? {
        GSLRuntime.ensureConfigured()
        var work = rowMajor
        let d = dimension
        let status: Int32 = work.withUnsafeMutableBufferPointer { w in
            var matrix = gsl_matrix_view_array(w.baseAddress, d, d)
            return gsl_linalg_cholesky_decomp1(&matrix.matrix)
        }
        return status == GSL_SUCCESS ? work : nil
    }

    public var description: String {
        "[" + (0..<dimension).map { i in "[" + (0..<dimension).map { j in "\(self[i, j])" }.joined(separator: ", ") + "]" }
            .joined(separator: ", ") + "]"
    }
}
