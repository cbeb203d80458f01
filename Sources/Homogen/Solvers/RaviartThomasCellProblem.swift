import Foundation

/// The dual cell problem in 3D: for the resistivity C = A⁻¹ (here B / π),
///
///     ⟨A_hom⁻¹ q, q⟩ = min { ∫ ⟨C σ, σ⟩ dy : σ periodic, div σ = 0, ∫ σ dy = q },
///
/// over the lowest-order Raviart–Thomas fields on an R × R × R grid of cubes (σ_i linear in y_i
/// and constant in the other coordinates on each element, its normal flux continuous across
/// faces). A discrete field with zero discrete divergence in every cell is exactly divergence
/// free, so it is admissible and the discrete minimum C_h satisfies C_h ≥ A_hom⁻¹: the lower
/// bound A_hom ≥ C_h⁻¹ (Loewner order), certified as the primal bound of `TrilinearCellProblem`
/// is (up to the quadrature of the element moments, `ElementMoments3D`). In 2D these fields are
/// the rotated gradients of Q1 stream functions, the dual that `CellBounds` solves with
/// `BilinearCellProblem`; in 3D there is no scalar stream function, hence this formulation.
///
/// Unknowns: σ = q + τ with τ the face fluxes (component-major, `PeriodicDivergenceFreeSolve`'s
/// layout) in the subspace of zero divergence and zero mean; the element's local values are
/// its 6 normal fluxes, l = 2i + a (axis i, lower face a = 0 or upper face a = 1), profile
/// φ_a(t_i). The mass matrix is applied matrix-free (`ElementOperator3D` with the
/// `RaviartThomasFaces` layout) and the
/// problem solved by conjugate gradients on that subspace, preconditioned by the exact inverse
/// of the constant-coefficient mass on it (`PeriodicDivergenceFreeSolve`, the FFT Green operator
/// of the cell-averaged C): iterations set by the contrast of C, not by R.
public struct RaviartThomasCellProblem {
    public let resolution: Int
    let moments: ElementMoments3D

    /// `tensor()` makes one evaluator per core, mapping columns (y1, y2, y3) to C at those points
    /// (6 numbers per point, upper order).
    public init(resolution: Int, quadraturePoints q: Int = 3,
                tensor: () -> (([Double], [Double], [Double]) throws -> [Double])) throws {
        precondition(resolution >= 3)
        self.resolution = resolution
        moments = try ElementMoments3D(
            resolution: resolution, directions: (0..<6).map { $0 / 2 }, quadraturePoints: q,
            profile: { l, t in
                let ti = [t.0, t.1, t.2][l / 2]
                return l % 2 == 0 ? 1 - ti : ti
            },
            tensor: tensor)
    }

    /// C_h = the discrete homogenised resistivity (C_h ≥ A_hom⁻¹) and the conjugate-gradient iterations.
    public func homogenisedResistivity(tolerance: Double = 1e-11) throws -> (tensor: SymmetricMatrix, iterations: Int) {
        let op = ElementOperator3D(moments: moments, layout: RaviartThomasFaces(resolution: resolution), isSingular: false)
        let average = moments.average
        let green = DivergenceFreeGreenPreconditioner(
            solve: PeriodicDivergenceFreeSolve(resolution: resolution, reference: (0..<3).map { average[$0, $0] }))
        return try op.homogenisedTensor(preconditioner: green, tolerance: tolerance)
    }
}

struct DivergenceFreeGreenPreconditioner: Preconditioner {
    let solve: PeriodicDivergenceFreeSolve
    /// z = G r, and r replaced by its projection onto the divergence-free, mean-zero subspace.
    func apply(_ r: UnsafeMutablePointer<Double>, _ z: UnsafeMutablePointer<Double>) { solve.solve(projecting: r, into: z) }
}

/// The Raviart–Thomas layout: the 6 normal fluxes of an element, l = 2i + a (axis i, lower face
/// a = 0, upper a = 1), unknowns the face fluxes component-major (i·R³ + cell). Its quadratic
/// form is the mass matrix: positive definite; the divergence-free restriction is the
/// preconditioner's.
struct RaviartThomasFaces: ElementLayout3D {
    let resolution: Int
    var unknowns: Int { 3 * resolution * resolution * resolution }
    var directions: [Int] { (0..<6).map { $0 / 2 } }

    func indices(_ e1: Int, _ e2: Int, _ e3: Int, _ r: Int, plus: UnsafeMutablePointer<Int>, minus: UnsafeMutablePointer<Int>) {
        let n = r * r * r, cell = (e1 * r + e2) * r + e3
        let f1 = e1 + 1 == r ? 0 : e1 + 1, f2 = e2 + 1 == r ? 0 : e2 + 1, f3 = e3 + 1 == r ? 0 : e3 + 1
        plus[0] = cell
        plus[1] = (f1 * r + e2) * r + e3
        plus[2] = n + cell
        plus[3] = n + (e1 * r + f2) * r + e3
        plus[4] = 2 * n + cell
        plus[5] = 2 * n + (e1 * r + e2) * r + f3
        for l in 0..<6 { minus[l] = -1 }
    }
}
