import Foundation

/// A preconditioner for conjugate gradients on a singular `FaceOperator` (a weighted graph
/// Laplacian in 2D or 3D): the exact inverse, by FFT (`PeriodicFourierSolve`), of the same graph
/// with every edge of a kind (the faces normal to axis a, or the diagonal edges of offset o)
/// given the mean weight c of its kind. Its Fourier symbol, θ_a = 2π k_a / n, is
///
///     λ(θ) = Σ_a c_a (2 − 2 cos θ_a) + Σ_o c_o (2 − 2 cos(o · θ)).
///
/// The preconditioned operator's condition number is bounded by the contrast of the weights
/// against their means, whatever the grid size, where Jacobi's grows like n² (the iterations like
/// n). Used for the dissipation ψ (2.23) at output times, whose weights are T times a
/// logarithmic mean of f.
struct MeanWeightPreconditioner: Preconditioner {
    let solve: PeriodicFourierSolve

    /// nil where it does not apply: 1D (a Jacobi-preconditioned solve is cheap there), an
    /// operator with a mass term, or a kind whose mean weight is not positive (a non-M-matrix
    /// nine- or nineteen-point operator), where the constant-weight graph would not be definite.
    init?(_ op: FaceOperator) {
        let grid = op.grid, d = grid.dimension.count
        guard d >= 2, op.mass == nil else { return nil }
        func mean(_ w: [Double]) -> Double { w.reduce(0, +) / Double(w.count) }
        let axes = op.weights.map(mean)
        let diagonals = op.diagonalWeights?.map(mean) ?? []
        guard axes.allSatisfy({ $0 > 0 }), diagonals.allSatisfy({ $0 >= 0 }) else { return nil }
        let offsets = diagonals.isEmpty ? [] : CrossTermWeights.offsets(grid.dimension)
        let n = grid.n
        let theta = (0..<n).map { 2 * Double.pi * Double($0) / Double(n) }
        solve = PeriodicFourierSolve(shape: [Int](repeating: n, count: d)) { k in
            var lambda = 0.0
            for a in 0..<d { lambda += axes[a] * (2 - 2 * cos(theta[k[a]])) }
            for (o, c) in zip(offsets, diagonals) where c > 0 {
                var phase = 0.0
                for a in 0..<d { phase += Double(o[a]) * theta[k[a]] }
                lambda += c * (2 - 2 * cos(phase))
            }
            return lambda
        }
    }

    func apply(_ r: UnsafeMutablePointer<Double>, _ z: UnsafeMutablePointer<Double>) {
        solve.solve(r, into: z)
    }
}
