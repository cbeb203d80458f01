import Foundation

/// A symmetric 2×2 matrix [[a11, a12], [a12, a22]]: a medium B(y), a conductivity A = π B⁻¹
/// (A.1), a homogenised tensor A_hom (A.7) or an effective metric B̄ (A.9). Written by hand
/// because the closed forms below are all a 2×2 needs (GSL's linear algebra works on heap
/// matrices and would cost more than the arithmetic).
public struct Matrix2: Sendable, Equatable, Codable, CustomStringConvertible {
    public var a11: Double
    public var a12: Double
    public var a22: Double

    public init(a11: Double, a12: Double, a22: Double) {
        self.a11 = a11; self.a12 = a12; self.a22 = a22
    }

    /// From a row-major 2×2 array [m11, m12, m21, m22] (symmetrised: a12 = (m12 + m21)/2).
    public init(rowMajor m: [Double]) {
        precondition(m.count == 4)
        self.init(a11: m[0], a12: 0.5 * (m[1] + m[2]), a22: m[3])
    }

    public static func diagonal(_ d1: Double, _ d2: Double) -> Matrix2 { Matrix2(a11: d1, a12: 0, a22: d2) }
    public static let identity = Matrix2(a11: 1, a12: 0, a22: 1)

    /// Row-major [a11, a12, a12, a22].
    public var rowMajor: [Double] { [a11, a12, a12, a22] }

    public var determinant: Double { a11 * a22 - a12 * a12 }
    public var trace: Double { a11 + a22 }

    /// The inverse (the matrix must be nonsingular).
    public var inverse: Matrix2 {
        let d = determinant
        return Matrix2(a11: a22 / d, a12: -a12 / d, a22: a11 / d)
    }

    /// Eigenvalues, smallest first.
    public var eigenvalues: (Double, Double) {
        let m = 0.5 * trace
        let r = (0.25 * (a11 - a22) * (a11 - a22) + a12 * a12).squareRoot()
        return (m - r, m + r)
    }

    /// Positive definite: a11 > 0 and det > 0.
    public var isPositiveDefinite: Bool { a11 > 0 && determinant > 0 }

    /// The lower Cholesky factor L = [[l11, 0], [l21, l22]] with L Lᵀ = self (positive definite only).
    public var cholesky: (l11: Double, l21: Double, l22: Double) {
        let l11 = a11.squareRoot()
        let l21 = a12 / l11
        return (l11, l21, (a22 - l21 * l21).squareRoot())
    }

    /// ⟨M v, v⟩.
    public func quadraticForm(_ v1: Double, _ v2: Double) -> Double {
        a11 * v1 * v1 + 2 * a12 * v1 * v2 + a22 * v2 * v2
    }

    /// Jᵀ M J with J the rotation by −90° (J = [[0, 1], [−1, 0]]): [[a22, −a12], [−a12, a11]].
    /// For positive definite A, Jᵀ A⁻¹ J = A / det A, the conductivity of the 2D dual (stream
    /// function) problem.
    public var rotatedQuarterTurn: Matrix2 { Matrix2(a11: a22, a12: -a12, a22: a11) }

    public static func + (l: Matrix2, r: Matrix2) -> Matrix2 { Matrix2(a11: l.a11 + r.a11, a12: l.a12 + r.a12, a22: l.a22 + r.a22) }
    public static func - (l: Matrix2, r: Matrix2) -> Matrix2 { Matrix2(a11: l.a11 - r.a11, a12: l.a12 - r.a12, a22: l.a22 - r.a22) }
    public static func * (s: Double, m: Matrix2) -> Matrix2 { Matrix2(a11: s * m.a11, a12: s * m.a12, a22: s * m.a22) }

    /// Largest absolute entry difference.
    public func maxDifference(_ o: Matrix2) -> Double { max(abs(a11 - o.a11), abs(a12 - o.a12), abs(a22 - o.a22)) }

    public var description: String { "[[\(a11), \(a12)], [\(a12), \(a22)]]" }
}
