import Foundation

/// The periodic cell problem (A.6) in 3D for a full symmetric conductivity A(y) by conforming
/// trilinear (Q1) finite elements on an R × R × R grid of cubes of the unit cell, and the
/// homogenised tensor from the energy (variational) form (4.8):
///
///     ⟨A_hom p, p⟩ = min_v ∫ ⟨A (p + ∇v), p + ∇v⟩ dy   over periodic v.
///
/// Q1 functions are admissible correctors, so the discrete minimum is an upper bound of
/// ⟨A_hom p, p⟩ for every p (A_hom ≤ A_h in the Loewner order), as long as the element integrals
/// of A are exact (`ElementMoments3D`: exact for media piecewise polynomial of low degree on the
/// elements, h^6 for smooth media). The 3D counterpart of `BilinearCellProblem`.
///
/// On an element, ∂v/∂y_i is bilinear in the other two coordinates: the sum over the element's
/// four edges along y_i of the edge difference times the bilinear profile of the edge's end in
/// those coordinates. The local values are the 12 edge differences (4 per axis), e = 4i + 2b + c
/// for the edge along axis i whose lower end has the other two corner bits (b, c). Unknowns are
/// u = v/h at the nodes, flat index (i1·R + i2)·R + i3; the stiffness is applied matrix-free
/// (`ElementOperator3D` with the `TrilinearEdges` layout) and solved by conjugate gradients preconditioned with the FFT
/// Green operator of the cell-averaged tensor (`Q1GreenPreconditioner`).
public struct TrilinearCellProblem {
    public let resolution: Int
    let moments: ElementMoments3D

    /// Corner c = 4 a1 + 2 a2 + a3 of the reference cube; edge e runs from `edgeLow[e]` to
    /// `edgeLow[e] + axisBit[e / 4]`.
    static let axisBit = [4, 2, 1]
    static let edgeLow: [Int] = (0..<12).map { e in
        let axis = e / 4, b = (e / 2) % 2, c = e % 2
        let others = (0..<3).filter { $0 != axis }
        return b * axisBit[others[0]] + c * axisBit[others[1]]
    }

    /// `tensor()` makes one evaluator per core, mapping columns (y1, y2, y3) to A at those points
    /// (6 numbers per point, upper order A11 A12 A13 A22 A23 A33).
    public init(resolution: Int, quadraturePoints q: Int = 3,
                tensor: () -> (([Double], [Double], [Double]) throws -> [Double])) throws {
        precondition(resolution >= 3)
        self.resolution = resolution
        moments = try ElementMoments3D(
            resolution: resolution, directions: (0..<12).map { $0 / 4 }, quadraturePoints: q,
            profile: { e, t in
                // The product of the lower end's corner profiles φ0 = 1 − t, φ1 = t in the two
                // coordinates other than the edge's axis.
                let low = Self.edgeLow[e], ts = [t.0, t.1, t.2]
                var p = 1.0
                for a in 0..<3 where a != e / 4 { p *= low & Self.axisBit[a] != 0 ? ts[a] : 1 - ts[a] }
                return p
            },
            tensor: tensor)
    }

    /// The Q1 homogenised tensor (an upper bound of A_hom) and the conjugate-gradient iterations.
    public func homogenisedTensor(tolerance: Double = 1e-11) throws -> (tensor: SymmetricMatrix, iterations: Int) {
        let op = ElementOperator3D(moments: moments, layout: TrilinearEdges(resolution: resolution), isSingular: true)
        let green = Q1GreenPreconditioner(resolution: resolution, dimension: 3, reference: moments.average)
        return try op.homogenisedTensor(preconditioner: green, tolerance: tolerance)
    }
}

/// The Q1 layout: the 12 edge differences u(high end) − u(low end) of an element, edge
/// e = 4i + 2b + c (`TrilinearCellProblem.edgeLow`), unknowns the nodes (i1·R + i2)·R + i3.
struct TrilinearEdges: ElementLayout3D {
    let resolution: Int
    var unknowns: Int { resolution * resolution * resolution }
    var directions: [Int] { (0..<12).map { $0 / 4 } }
    private let low = TrilinearCellProblem.edgeLow
    private let high = (0..<12).map { TrilinearCellProblem.edgeLow[$0] + TrilinearCellProblem.axisBit[$0 / 4] }

    init(resolution: Int) { self.resolution = resolution }

    func indices(_ e1: Int, _ e2: Int, _ e3: Int, _ r: Int, plus: UnsafeMutablePointer<Int>, minus: UnsafeMutablePointer<Int>) {
        let f1 = e1 + 1 == r ? 0 : e1 + 1, f2 = e2 + 1 == r ? 0 : e2 + 1, f3 = e3 + 1 == r ? 0 : e3 + 1
        func corner(_ a: Int) -> Int { ((a & 4 == 0 ? e1 : f1) * r + (a & 2 == 0 ? e2 : f2)) * r + (a & 1 == 0 ? e3 : f3) }
        for e in 0..<12 {
            plus[e] = corner(high[e])
            minus[e] = corner(low[e])
        }
    }
}
