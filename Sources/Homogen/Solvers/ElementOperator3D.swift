import Foundation

/// Where an element's local values come from: local value l of element (e1, e2, e3) is
/// p[direction(l)] + x[plus_l] − x[minus_l] (no second term when minus_l < 0), for the unknowns x
/// and a constant p per axis (the macroscopic gradient or mean flux of the cell problem).
protocol ElementLayout3D {
    /// The number of unknowns.
    var unknowns: Int { get }
    /// The axis of each local value.
    var directions: [Int] { get }
    /// The unknowns entering element (e1, e2, e3)'s local values on a grid of r elements per axis.
    func indices(_ e1: Int, _ e2: Int, _ e3: Int, _ r: Int, plus: UnsafeMutablePointer<Int>, minus: UnsafeMutablePointer<Int>)
}

/// The quadratic form Σ_K vᵀ m_K v of `ElementMoments3D` over the elements, v the local values of
/// `Layout`, as a matrix-free symmetric operator on the unknowns: (L x) = ½ ∂/∂x Σ_K vᵀ m_K v at
/// p = 0, with the right-hand sides and energies of the cell problems at a given p. The element
/// slabs run over the cores (`forEachSlabTwoColoured`). The primal Q1 stiffness
/// (`TrilinearCellProblem`: local values the 12 edge differences of u) and the Raviart–Thomas
/// mass (`RaviartThomasCellProblem`: the 6 face fluxes of τ) are its two layouts.
struct ElementOperator3D<Layout: ElementLayout3D>: SymmetricOperator {
    let moments: ElementMoments3D
    let layout: Layout
    let isSingular: Bool
    var count: Int { layout.unknowns }
    private var elements: Int { moments.resolution * moments.resolution * moments.resolution }

    func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        out.update(repeating: 0, count: count)
        _ = sweep(v, [0, 0, 0], scatter: out, test: nil)
    }

    /// out += ½ ∂/∂x Σ_K vᵀ m_K v with the local values of (p, x).
    func scatter(_ x: [Double], _ p: [Double], into out: inout [Double]) {
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { _ = sweep(src.baseAddress!, p, scatter: $0.baseAddress!, test: nil) }
        }
    }

    /// h³ Σ_K v(p, x)ᵀ m_K v(q, y): ∫⟨T (p + ∇v), q + ∇w⟩ dy (primal) or ∫⟨C σ, σ'⟩ dy (dual).
    func energy(_ x: [Double], _ p: [Double], _ y: [Double], _ q: [Double]) -> Double {
        x.withUnsafeBufferPointer { src in
            y.withUnsafeBufferPointer { test in sweep(src.baseAddress!, p, scatter: nil, test: (test.baseAddress!, q)) }
        } / Double(elements)
    }

    /// One pass over the elements: f = m_K v(p, x), scattered as ∂v/∂x ᵀ f into `scatter` and/or
    /// tested against v(q, y), whose sum is returned.
    private func sweep(_ x: UnsafePointer<Double>, _ p: [Double], scatter out: UnsafeMutablePointer<Double>?,
                       test: (UnsafePointer<Double>, [Double])?) -> Double {
        let r = moments.resolution, n = moments.local, packed = n * (n + 1) / 2
        let directions = layout.directions, q = test?.1 ?? [0, 0, 0]
        var partial = [Double](repeating: 0, count: r)
        moments.values.withUnsafeBufferPointer { m in
            partial.withUnsafeMutableBufferPointer { sums in
                forEachSlabTwoColoured(r) { e1 in
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * n) { indices in
                        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { scratch in
                            let plus = indices.baseAddress!, minus = plus + n, v = scratch.baseAddress!, f = v + n
                            var total = 0.0
                            for e2 in 0..<r {
                                for e3 in 0..<r {
                                    layout.indices(e1, e2, e3, r, plus: plus, minus: minus)
                                    for l in 0..<n {
                                        v[l] = p[directions[l]] + x[plus[l]] - (minus[l] >= 0 ? x[minus[l]] : 0)
                                        f[l] = 0
                                    }
                                    packedSymmetricProduct(m.baseAddress! + ((e1 * r + e2) * r + e3) * packed, v, f, n)
                                    if let out {
                                        for l in 0..<n {
                                            out[plus[l]] += f[l]
                                            if minus[l] >= 0 { out[minus[l]] -= f[l] }
                                        }
                                    }
                                    if let (y, _) = test {
                                        for l in 0..<n {
                                            total += (q[directions[l]] + y[plus[l]] - (minus[l] >= 0 ? y[minus[l]] : 0)) * f[l]
                                        }
                                    }
                                }
                            }
                            sums[e1] = total
                        }
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }
}

extension ElementOperator3D {
    /// The homogenised tensor of this energy: for each axis e_k the minimiser v_k of the energy
    /// of (v, e_k) — the solution of K v = −g_k, g_k the scatter of (0, e_k) — by conjugate
    /// gradients with `preconditioner`, then the entries E((v_i, e_i), (v_j, e_j)). With the Q1
    /// layout this is the primal form (4.8) (an upper bound of A_hom), with the Raviart–Thomas one
    /// the dual resistivity (C_h ≥ A_hom⁻¹).
    func homogenisedTensor(preconditioner: any Preconditioner, tolerance: Double) throws -> (tensor: SymmetricMatrix, iterations: Int) {
        let zero = [Double](repeating: 0, count: count)
        let axes = (0..<3).map { k in (0..<3).map { $0 == k ? 1.0 : 0.0 } }
        var v: [[Double]] = []
        var iterations = 0
        for k in 0..<3 {
            var g = zero
            scatter(zero, axes[k], into: &g)
            // The energy at v = 0 summed over the elements (the operator's units): the scale of rᵀPr.
            let scale = energy(zero, axes[k], zero, axes[k]) * Double(elements)
            let r = try ConjugateGradient.solve(self, g.map { -$0 }, tolerance: tolerance, preconditioner: preconditioner, scale: scale)
            iterations += r.iterations
            v.append(r.solution)
        }
        var upper: [Double] = []
        for i in 0..<3 { for j in i..<3 { upper.append(energy(v[i], axes[i], v[j], axes[j])) } }
        return (SymmetricMatrix(upper: upper, dimension: 3), iterations)
    }
}
