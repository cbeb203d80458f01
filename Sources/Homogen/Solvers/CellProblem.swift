/// The periodic cell problem (A.6) on the unit cell for a diagonal conductivity
/// A(y) = D(x, y) = π(x, y) B⁻¹(y) at one slow point x, and the homogenised conductivity
/// A_hom = D̄ + Ḡ (A.7) by its energy (variational) form (4.8):
///
///     ⟨A_hom p, p⟩ = min_v ∫ ⟨A (p + ∇v), p + ∇v⟩ dy.
///
/// Discretisation: the same two-point-flux finite volumes as the Fokker–Planck solver, on an
/// R × R grid of the cell with face conductivities the harmonic means of the cell-centre
/// values. The discrete energy Σ_faces T (p_d h + v_j − v_i)² is minimised by conjugate
/// gradients for p = e1 and p = e2, and A_hom is the symmetric bilinear form of the two
/// minimisers. Exact for laminates (the harmonic and arithmetic means come out of the midpoint
/// rule, spectrally accurate for smooth media and exact for piecewise-constant media aligned
/// with the grid); second order in h for smooth two-dimensional media.
public struct CellProblem {
    public let resolution: Int
    /// Conductivities per direction at the cell centres (flat index i1·R + i2).
    public let conductivity: [[Double]]

    public init(resolution: Int, conductivity: [[Double]]) {
        self.resolution = resolution
        self.conductivity = conductivity
    }

    /// A_hom as a 2×2 matrix, row-major, and the conjugate-gradient iterations used.
    public func homogenisedConductivity() throws -> (matrix: [Double], iterations: Int) {
        let grid = PeriodicGrid(dimension: 2, n: resolution)
        let h = grid.h
        // Face transmissibility: harmonic mean of the two cells (face area h over distance h).
        let t: [[Double]] = (0..<2).map { d in
            (0..<grid.count).map { i in
                let a = conductivity[d][i], b = conductivity[d][grid.forward(i, d)]
                return 2 * a * b / (a + b)
            }
        }
        let op = FaceOperator(grid: grid, weights: t)
        var v: [[Double]] = []
        var iterations = 0
        for k in 0..<2 {
            // Normal equations of the energy: (L v)_i = Σ_faces behind i of T p h − Σ_faces ahead of i of T p h.
            var rhs = [Double](repeating: 0, count: grid.count)
            for i in 0..<grid.count {
                rhs[i] = t[k][i] * h - t[k][grid.backward(i, k)] * h
            }
            let r = try ConjugateGradient.solve(op, rhs)
            iterations += r.iterations
            v.append(r.solution)
        }
        var a = [Double](repeating: 0, count: 4)
        for k in 0..<2 {
            for l in 0..<2 {
                var s = 0.0
                for i in 0..<grid.count {
                    for d in 0..<2 {
                        let j = grid.forward(i, d)
                        let gk = (d == k ? h : 0) + v[k][j] - v[k][i]
                        let gl = (d == l ? h : 0) + v[l][j] - v[l][i]
                        s += t[d][i] * gk * gl
                    }
                }
                a[k * 2 + l] = s
            }
        }
        return (a, iterations)
    }
}
