import Foundation

/// The cell problem (A.6)–(A.7) in closed form for a separable medium in any dimension: B
/// diagonal, B = diag(b_1, …, b_d), with b_k depending on the fast variable y_k alone (and on x),
/// and π(x, y) = c(x) Π_k p_k(x, y_k) (log π additively separable in the fast variables). The
/// conductivity D = π B⁻¹ / Z is then diagonal with D_kk = c Π_j p_j / (Z b_k), and the corrector
/// of direction e_k depends on y_k alone: ∂_k(D_kk (1 + χ_k')) = 0 and ⟨χ_k'⟩ = 0 give
/// 1 + χ_k' = (b_k/p_k) / ⟨b_k/p_k⟩, so, with ⟨·⟩ the mean over one fast variable,
///
///     A_kk = c Π_{j≠k} ⟨p_j⟩ / (Z ⟨b_k/p_k⟩),   A_ij = 0 (i ≠ j),
///     π̄ = c Π_j ⟨p_j⟩ / Z,   B̄_kk = π̄ / A_kk = ⟨p_k⟩ ⟨b_k/p_k⟩.
///
/// With π independent of y this is the diagonal of harmonic means, A_kk = π̄ ⟨b_k⟩⁻¹. The factors
/// are read off π itself: p_k(t) = π(x, t e_k) (the other fast variables at 0) and
/// c = π(x, 0)^{1−d}. The means are one-dimensional integrals by GSL's adaptive Gauss–Kronrod
/// quadrature, so A_hom is exact to round-off.
struct SeparableFormula {
    let dimension: Int

    /// Whether the fields are separable so: the medium scalar and free of fast variables, or
    /// diagonal with entry k free of every fast variable but y_k; and π a product of factors that
    /// each depend on one fast variable at most, as written (`factorsSeparate`: this decides
    /// piecewise π, a floor layer included), or else ∂²log π/∂y_i∂y_j = 0 (i ≠ j) on a product
    /// grid of all variables (a π that is neither is not recognised, and takes the general cell
    /// problem).
    static func applies(to f: LoweredFields) -> Bool {
        let g = f.graph, fast = f.fastVariables, d = f.dimension.count
        guard d >= 2 else { return false }
        switch f.mediumKind {
        case .full: return false
        case .scalar:
            if fast.contains(where: { g.dependsOn(f.medium[0], variable: $0) }) { return false }
        case .diagonal:
            for k in 0..<d where fast.indices.contains(where: { $0 != k && g.dependsOn(f.medium[k], variable: fast[$0]) }) {
                return false
            }
        }
        if g.factorsSeparate(f.pi, into: fast.map { [$0] }) { return true }
        var cross: [NodeID] = []
        do {
            for i in 0..<d {
                let di = try g.derivative(of: f.logPi, withRespectTo: fast[i])
                for j in (i + 1)..<d { cross.append(try g.derivative(of: di, withRespectTo: fast[j])) }
            }
        } catch {
            return false
        }
        if cross.allSatisfy({ g.constantValue($0) == 0 }) { return true }
        let vars = f.variables(of: cross)
        let (_, columns) = LoweredFields.productGrid(variables: vars.count)
        let values = f.evaluate(cross, inputs: vars, columns: columns.map { $0.map { $0 + 0.37 / 1024 } })
        return values.allSatisfy { $0.allSatisfy { abs($0) <= 1e-9 } }
    }

    /// π̄(x) (normalised by Z) and A_hom(x) (d × d, row-major, diagonal) at the slow point x;
    /// `mean(k, h)` integrates h(t) over t = y_k in [0, 1).
    func coefficients(at x: [Double], _ f: LoweredFields, z: Double,
                      mean: (Int, (Double) throws -> Double) throws -> Double) throws -> (piBar: Double, aHom: [Double]) {
        let d = dimension
        func point(_ k: Int, _ t: Double) -> [Double] {
            var p = x + [Double](repeating: 0, count: d)
            p[d + k] = t
            return p
        }
        let c = pow(f.graph.evaluate([f.pi], at: point(0, 0))[0], Double(1 - d))
        var meanP: [Double] = [], meanRatio: [Double] = []
        for k in 0..<d {
            meanP.append(try mean(k) { f.graph.evaluate([f.pi], at: point(k, $0))[0] })
            meanRatio.append(try mean(k) { t in
                let v = f.graph.evaluate([f.pi, f.medium[f.mediumKind == .scalar ? 0 : k]], at: point(k, t))
                guard v[1] > 0, v[1].isFinite else {
                    throw SolverError.badMedium("[medium] B[\(k + 1)] is not positive at x = \(x), y\(k + 1) = \(t): \(v[1])")
                }
                return v[1] / v[0]
            })
        }
        let product = meanP.reduce(1, *)
        var a = [Double](repeating: 0, count: d * d)
        for k in 0..<d { a[k * d + k] = c * (product / meanP[k]) / (z * meanRatio[k]) }
        return (c * product / z, a)
    }
}
