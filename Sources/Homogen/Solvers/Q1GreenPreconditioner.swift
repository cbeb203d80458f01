import Foundation

/// The Green-operator preconditioner of the Q1 cell problems (`BilinearCellProblem` in 2D,
/// `TrilinearCellProblem` in 3D): the exact inverse, by FFT (`PeriodicFourierSolve`), of the Q1
/// stiffness of a constant reference tensor A0 on the same periodic R^d node grid (scaled as the
/// element operators are, independent of h). Its Fourier symbol, θ_a = 2π k_a / R, is
///
///     λ(θ) = Σ_a A0_aa s(θ_a) Π_{b≠a} m(θ_b) + Σ_{a<b} 2 A0_ab sin θ_a sin θ_b Π_{c≠a,b} m(θ_c),
///
/// with the 1D Q1 stiffness s(θ) = 2 − 2 cos θ and mass m(θ) = (2 + cos θ)/3 symbols. With A0 the
/// cell average of A, preconditioned conjugate gradients converge at a rate set by the contrast
/// of A against A0 alone, independent of R (the O(R) iterations of Jacobi become O(√contrast)):
/// the role of the Green operator Γ0 in Moulinec–Suquet's FFT scheme, here applied to the
/// conforming Q1 problem, so that the bound it gives stays certified.
struct Q1GreenPreconditioner: Preconditioner {
    let solve: PeriodicFourierSolve

    init(resolution r: Int, dimension d: Int, reference a0: SymmetricMatrix) {
        let s = (0..<r).map { 2 - 2 * cos(2 * Double.pi * Double($0) / Double(r)) }
        let m = (0..<r).map { (2 + cos(2 * Double.pi * Double($0) / Double(r))) / 3 }
        let g = (0..<r).map { sin(2 * Double.pi * Double($0) / Double(r)) }
        solve = PeriodicFourierSolve(shape: [Int](repeating: r, count: d)) { k in
            var lambda = 0.0
            for a in 0..<d {
                var term = a0[a, a] * s[k[a]]
                for b in 0..<d where b != a { term *= m[k[b]] }
                lambda += term
                for b in (a + 1)..<d {
                    var cross = 2 * a0[a, b] * g[k[a]] * g[k[b]]
                    for c in 0..<d where c != a && c != b { cross *= m[k[c]] }
                    lambda += cross
                }
            }
            return lambda
        }
    }

    func apply(_ r: UnsafeMutablePointer<Double>, _ z: UnsafeMutablePointer<Double>) {
        solve.solve(r, into: z)
    }
}
