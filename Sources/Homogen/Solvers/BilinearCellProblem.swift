/// The periodic cell problem (A.6) for a full symmetric conductivity A(y) by conforming
/// bilinear (Q1) finite elements on an R × R grid of square elements of the unit cell, and
/// the homogenised tensor from the energy (variational) form (4.8):
///
///     ⟨A_hom p, p⟩ = min_v ∫ ⟨A (p + ∇v), p + ∇v⟩ dy   over periodic v.
///
/// Because Q1 functions are admissible correctors, the discrete minimum is an upper bound of
/// ⟨A_hom p, p⟩ for every p (Loewner order: A_hom ≤ A_h), as long as the element integrals of
/// A are exact. They are computed as moments of A against the products of the bilinear shape
/// functions' derivatives (10 numbers per element) by tensor Gauss–Legendre quadrature with
/// `quadraturePoints` points per axis: exact for A piecewise polynomial of degree ≤ 2q − 3
/// per axis on the elements (so exact for piecewise-constant media aligned with the grid) and
/// of order h^{2q} for smooth media.
///
/// Unknowns are u = v/h at the nodes (i1 h, i2 h), flat index i1·R + i2; the operator is the
/// matrix-free Q1 stiffness (`BilinearElementOperator`), solved by conjugate gradients in the
/// mean-zero subspace, preconditioned by the FFT Green operator of the cell-averaged tensor
/// (`Q1GreenPreconditioner`).
public struct BilinearCellProblem {
    public let resolution: Int
    let moments: ElementMoments

    /// `tensor(points)` returns A at the given points of the unit cell (columns y1, y2).
    public init(resolution: Int, quadraturePoints q: Int = 3,
                tensor: (_ y1: [Double], _ y2: [Double]) throws -> [Matrix2]) rethrows {
        precondition(resolution >= 3)
        self.resolution = resolution
        let rule = GaussLegendre(points: q)
        let r = resolution, h = 1 / Double(r)
        let perElement = q * q
        var y1 = [Double](repeating: 0, count: r * r * perElement), y2 = y1
        for e1 in 0..<r {
            for e2 in 0..<r {
                let base = (e1 * r + e2) * perElement
                for a in 0..<q {
                    for b in 0..<q {
                        y1[base + a * q + b] = (Double(e1) + rule.nodes[a]) * h
                        y2[base + a * q + b] = (Double(e2) + rule.nodes[b]) * h
                    }
                }
            }
        }
        let values = try tensor(y1, y2)
        moments = ElementMoments(resolution: r, rule: rule, values: values)
    }

    /// The Q1 homogenised tensor (an upper bound of A_hom) and the conjugate-gradient iterations.
    public func homogenisedTensor(tolerance: Double = 1e-11) throws -> (tensor: Matrix2, iterations: Int) {
        let op = BilinearElementOperator(moments: moments)
        let green = Q1GreenPreconditioner(resolution: resolution, dimension: 2, reference: moments.average)
        var u: [[Double]] = []
        var iterations = 0
        for k in 0..<2 {
            var g = [Double](repeating: 0, count: op.count)
            let zero = [Double](repeating: 0, count: op.count)
            let unit = k == 0 ? (1.0, 0.0) : (0.0, 1.0)
            op.assemble(zero, p1: unit.0, p2: unit.1, into: &g)
            // The energy at u = 0 summed over the elements (the operator's units): the scale of rᵀPr.
            let scale = op.energy(zero, unit, zero, unit) * Double(op.count)
            let r = try ConjugateGradient.solve(op, g.map { -$0 }, tolerance: tolerance, preconditioner: green,
                                                 scale: scale)
            iterations += r.iterations
            u.append(r.solution)
        }
        let a11 = op.energy(u[0], (1, 0), u[0], (1, 0))
        let a12 = op.energy(u[0], (1, 0), u[1], (0, 1))
        let a22 = op.energy(u[1], (0, 1), u[1], (0, 1))
        return (Matrix2(a11: a11, a12: a12, a22: a22), iterations)
    }
}

/// Per element of an R × R periodic grid, the moments of a symmetric tensor A against the
/// products of the Q1 derivative profiles φ0(t) = 1 − t, φ1(t) = t (reference square [0, 1]²,
/// weights summing to 1): m11[jk] = ∫A11 φj(t2) φk(t2), m12[jk] = ∫A12 φj(t2) φk(t1),
/// m22[jk] = ∫A22 φj(t1) φk(t1). Stored 10 per element: m11 (00, 01, 11), m12 (00, 01, 10, 11),
/// m22 (00, 01, 11).
struct ElementMoments {
    let resolution: Int
    let values: [Double]

    init(resolution r: Int, rule: GaussLegendre, values a: [Matrix2]) {
        self.resolution = r
        let q = rule.nodes.count
        var m = [Double](repeating: 0, count: r * r * 10)
        for e in 0..<(r * r) {
            var s = [Double](repeating: 0, count: 10)
            for i in 0..<q {
                for j in 0..<q {
                    let t1 = rule.nodes[i], t2 = rule.nodes[j]
                    let w = rule.weights[i] * rule.weights[j]
                    let t = a[e * q * q + i * q + j]
                    let p2 = (1 - t2, t2), p1 = (1 - t1, t1)
                    s[0] += w * t.a11 * p2.0 * p2.0
                    s[1] += w * t.a11 * p2.0 * p2.1
                    s[2] += w * t.a11 * p2.1 * p2.1
                    s[3] += w * t.a12 * p2.0 * p1.0
                    s[4] += w * t.a12 * p2.0 * p1.1
                    s[5] += w * t.a12 * p2.1 * p1.0
                    s[6] += w * t.a12 * p2.1 * p1.1
                    s[7] += w * t.a22 * p1.0 * p1.0
                    s[8] += w * t.a22 * p1.0 * p1.1
                    s[9] += w * t.a22 * p1.1 * p1.1
                }
            }
            for k in 0..<10 { m[e * 10 + k] = s[k] }
        }
        values = m
    }

    /// The cell average of A (φ0 + φ1 = 1 sums each tensor entry's moments back to its integral).
    var average: SymmetricMatrix {
        var a11 = 0.0, a12 = 0.0, a22 = 0.0
        for e in stride(from: 0, to: values.count, by: 10) {
            a11 += values[e] + 2 * values[e + 1] + values[e + 2]
            a12 += values[e + 3] + values[e + 4] + values[e + 5] + values[e + 6]
            a22 += values[e + 7] + 2 * values[e + 8] + values[e + 9]
        }
        let n = Double(values.count / 10)
        return SymmetricMatrix(upper: [a11 / n, a12 / n, a22 / n], dimension: 2)
    }
}

/// The Q1 stiffness operator of `ElementMoments` on the periodic node grid, matrix-free:
/// (L u) = ½ ∂/∂u Σ_K Q_K(0, u), where Q_K(p, u) = aᵀ M11 a + 2 aᵀ M12 b + bᵀ M22 b with the
/// element's edge differences a = (p1 + u10 − u00, p1 + u11 − u01), b = (p2 + u01 − u00,
/// p2 + u11 − u10) (u scaled by 1/h, so that the operator does not depend on h).
struct BilinearElementOperator: SymmetricOperator {
    let moments: ElementMoments
    var count: Int { moments.resolution * moments.resolution }
    var isSingular: Bool { true }

    func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        out.update(repeating: 0, count: count)
        scatter(v, p1: 0, p2: 0, out)
    }

    /// out += ½ ∂/∂u Σ_K Q_K(p, u).
    func assemble(_ u: [Double], p1: Double, p2: Double, into out: inout [Double]) {
        u.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { scatter(src.baseAddress!, p1: p1, p2: p2, $0.baseAddress!) }
        }
    }

    private func scatter(_ u: UnsafePointer<Double>, p1: Double, p2: Double, _ out: UnsafeMutablePointer<Double>) {
        let r = moments.resolution
        moments.values.withUnsafeBufferPointer { m in
            for e1 in 0..<r {
                let f1 = e1 + 1 == r ? 0 : e1 + 1
                for e2 in 0..<r {
                    let f2 = e2 + 1 == r ? 0 : e2 + 1
                    let i00 = e1 * r + e2, i10 = f1 * r + e2, i01 = e1 * r + f2, i11 = f1 * r + f2
                    let a0 = p1 + u[i10] - u[i00], a1 = p1 + u[i11] - u[i01]
                    let b0 = p2 + u[i01] - u[i00], b1 = p2 + u[i11] - u[i10]
                    let k = (e1 * r + e2) * 10
                    let fa0 = m[k] * a0 + m[k + 1] * a1 + m[k + 3] * b0 + m[k + 4] * b1
                    let fa1 = m[k + 1] * a0 + m[k + 2] * a1 + m[k + 5] * b0 + m[k + 6] * b1
                    let fb0 = m[k + 3] * a0 + m[k + 5] * a1 + m[k + 7] * b0 + m[k + 8] * b1
                    let fb1 = m[k + 4] * a0 + m[k + 6] * a1 + m[k + 8] * b0 + m[k + 9] * b1
                    out[i00] += -fa0 - fb0
                    out[i10] += fa0 - fb1
                    out[i01] += -fa1 + fb0
                    out[i11] += fa1 + fb1
                }
            }
        }
    }

    /// The bilinear form h² Σ_K B_K((p, u), (q, w)) of the element energies: ∫⟨A (p + ∇v), q + ∇w⟩ dy.
    func energy(_ u: [Double], _ p: (Double, Double), _ w: [Double], _ q: (Double, Double)) -> Double {
        let r = moments.resolution
        var total = 0.0
        moments.values.withUnsafeBufferPointer { m in
            for e1 in 0..<r {
                let f1 = e1 + 1 == r ? 0 : e1 + 1
                for e2 in 0..<r {
                    let f2 = e2 + 1 == r ? 0 : e2 + 1
                    let i00 = e1 * r + e2, i10 = f1 * r + e2, i01 = e1 * r + f2, i11 = f1 * r + f2
                    let a0 = p.0 + u[i10] - u[i00], a1 = p.0 + u[i11] - u[i01]
                    let b0 = p.1 + u[i01] - u[i00], b1 = p.1 + u[i11] - u[i10]
                    let c0 = q.0 + w[i10] - w[i00], c1 = q.0 + w[i11] - w[i01]
                    let d0 = q.1 + w[i01] - w[i00], d1 = q.1 + w[i11] - w[i10]
                    let k = (e1 * r + e2) * 10
                    let fc0 = m[k] * c0 + m[k + 1] * c1 + m[k + 3] * d0 + m[k + 4] * d1
                    let fc1 = m[k + 1] * c0 + m[k + 2] * c1 + m[k + 5] * d0 + m[k + 6] * d1
                    let fd0 = m[k + 3] * c0 + m[k + 5] * c1 + m[k + 7] * d0 + m[k + 8] * d1
                    let fd1 = m[k + 4] * c0 + m[k + 6] * c1 + m[k + 8] * d0 + m[k + 9] * d1
                    total += a0 * fc0 + a1 * fc1 + b0 * fd0 + b1 * fd1
                }
            }
        }
        return total / Double(r * r)
    }
}
