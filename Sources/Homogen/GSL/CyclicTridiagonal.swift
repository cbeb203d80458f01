import CGSL
import CKernels
import Dispatch

/// Many independent symmetric positive definite cyclic tridiagonal systems of the same size,
/// factorised once and solved together: the implicit step of the 1D Fokker–Planck solver (one
/// system) and the line solves of the 2D splitting (one system per grid line).
///
/// Each system C has diagonal d and off-diagonal e, e[i] coupling i and i+1 (mod n). With
/// γ = −d[0] and u = (γ, 0, …, 0, e[n−1]), C = T + uuᵀ/γ with T tridiagonal and SPD. GSL
/// factorises T = LLᵀ (`gsl_linalg_cholesky_band_decomp`) and solves Tz = u once
/// (`gsl_linalg_cholesky_band_svx`); a solve is then C⁻¹b = y − z (uᵀy)/(γ + uᵀz), Ty = b.
///
/// The substitutions with L are done by a kernel of our own (`hk_cyclic_substitute` in
/// CKernels) rather than per line through GSL's reference CBLAS: the systems are stored
/// position-major (entry i of every system side by side), so each step of the recurrences is
/// one vectorised loop across all systems, with the reciprocals and multipliers precomputed so
/// that each recurrence costs one fused multiply-add per entry. No library offers such a
/// batched cyclic tridiagonal solve.
public final class CyclicTridiagonalBatch {
    public let n: Int
    public let systems: Int
    private let inverseDiagonal: [Double]   // 1/L_ii
    private let scaledInverseDiagonal: [Double] // scale_i / L_ii, for the forward pass
    private let forwardMultiplier: [Double] // L_{i,i−1}/L_ii
    private let backwardMultiplier: [Double] // L_{i+1,i}/L_ii
    private let z: [Double]
    private let gamma: [Double], corner: [Double], inverseDenominator: [Double]
    /// Scratch for the Sherman–Morrison factors (one per system; threads use disjoint ranges).
    private let factorScratch: UnsafeMutablePointer<Double>

    /// `diagonal[i * systems + s]` and `offDiagonal[i * systems + s]` are entry i of system s.
    /// With `rightHandSideScale`, `solve` solves C x = diag(scale) b (the scale folded into the
    /// forward substitution, saving a pass over the data).
    public init(diagonal d: [Double], offDiagonal e: [Double], n: Int, systems: Int,
                rightHandSideScale: [Double]? = nil) throws {
        GSLRuntime.ensureConfigured()
        precondition(n >= 3 && d.count == n * systems && e.count == n * systems)
        self.n = n
        self.systems = systems
        let count = n * systems
        // Locals, assigned to the stored properties once at the end (no exclusivity checks per
        // entry); GSL's n × 2 band matrix is read and written through its data pointer.
        var inverseDiagonal = [Double](repeating: 0, count: count)
        var scaledInverseDiagonal = inverseDiagonal, forwardMultiplier = inverseDiagonal
        var backwardMultiplier = inverseDiagonal, z = inverseDiagonal
        var gamma = [Double](repeating: 0, count: systems), corner = gamma, inverseDenominator = gamma
        guard let m = gsl_matrix_alloc(n, 2) else { fatalError("gsl_matrix_alloc: out of memory") }
        defer { gsl_matrix_free(m) }
        let band = m.pointee.data!, tda = m.pointee.tda
        var zs = [Double](repeating: 0, count: n)
        for s in 0..<systems {
            let g = -d[s], c = e[(n - 1) * systems + s]
            gamma[s] = g
            corner[s] = c
            for i in 0..<n {
                var diag = d[i * systems + s]
                if i == 0 { diag -= g }
                if i == n - 1 { diag -= c * c / g }
                band[i * tda] = diag
                band[i * tda + 1] = i < n - 1 ? e[i * systems + s] : 0
            }
            let status = gsl_linalg_cholesky_band_decomp(m)
            guard status == GSL_SUCCESS else {
                throw GSLError(status: status, context: "gsl_linalg_cholesky_band_decomp (matrix not positive definite)")
            }
            for i in 0..<n { zs[i] = 0 }
            zs[0] = g
            zs[n - 1] = c
            let solved = zs.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var view = gsl_vector_view_array(buffer.baseAddress, n)
                return gsl_linalg_cholesky_band_svx(m, &view.vector)
            }
            guard solved == GSL_SUCCESS else { throw GSLError(status: solved, context: "gsl_linalg_cholesky_band_svx") }
            for i in 0..<n {
                let k = i * systems + s
                let inv = 1 / band[i * tda]
                inverseDiagonal[k] = inv
                scaledInverseDiagonal[k] = inv * (rightHandSideScale?[k] ?? 1)
                forwardMultiplier[k] = i > 0 ? band[(i - 1) * tda + 1] * inv : 0
                backwardMultiplier[k] = i < n - 1 ? band[i * tda + 1] * inv : 0
                z[k] = zs[i]
            }
            inverseDenominator[s] = 1 / (g + g * zs[0] + c * zs[n - 1])
        }
        self.inverseDiagonal = inverseDiagonal
        self.scaledInverseDiagonal = scaledInverseDiagonal
        self.forwardMultiplier = forwardMultiplier
        self.backwardMultiplier = backwardMultiplier
        self.z = z
        self.gamma = gamma
        self.corner = corner
        self.inverseDenominator = inverseDenominator
        factorScratch = .allocate(capacity: systems)
    }

    deinit { factorScratch.deallocate() }

    /// Solves every system in place: `x[i * systems + s]` holds entry i of right-hand side s on
    /// entry and of the solution on exit. `threads` split the systems; results do not depend on it.
    public func solve(_ x: UnsafeMutablePointer<Double>, threads: Int = 1) {
        let t = max(1, min(threads, systems / 64 == 0 ? 1 : threads))
        if t == 1 { solve(x, from: 0, to: systems); return }
        let chunk = (systems + t - 1) / t
        DispatchQueue.concurrentPerform(iterations: t) { k in
            solve(x, from: k * chunk, to: min(systems, (k + 1) * chunk))
        }
    }

    private func solve(_ x: UnsafeMutablePointer<Double>, from a: Int, to b: Int) {
        guard a < b else { return }
        hk_cyclic_substitute(x, scaledInverseDiagonal, inverseDiagonal, forwardMultiplier, backwardMultiplier, z, gamma, corner,
                             inverseDenominator, factorScratch, Int64(n), Int64(systems), Int64(a), Int64(b))
    }
}

/// One symmetric positive definite cyclic tridiagonal system, factorised once and solved many
/// times (the implicit step of the 1D Fokker–Planck solver).
///
/// The system is cut into two halves: both links that join them, (m−1, m) and (n−1, 0), are
/// rank-one updates, e_pq (e_p e_qᵀ + e_q e_pᵀ) = w wᵀ/γ − γ e_p e_pᵀ − (e_pq²/γ) e_q e_qᵀ with
/// w = γ e_p + e_pq e_q and γ = −d_p, so C = T + Σ_k w_k w_kᵀ/γ_k with T block-diagonal (two
/// independent tridiagonal blocks) and SPD. GSL factorises T (`gsl_linalg_cholesky_band_decomp`)
/// and solves T Z = [w₁ w₂] once; a solve is y = T⁻¹b by interleaved substitution in the two
/// blocks (`hk_two_block_substitute`: two dependency chains at once), then the Woodbury
/// correction x = y − Z S⁻¹ Wᵀy, S = diag(γ) + WᵀZ (2×2).
public final class CyclicTridiagonal {
    public let n: Int
    private let m: Int
    private var inverseDiagonal: [Double], scaledInverseDiagonal: [Double]
    private var forwardMultiplier: [Double], backwardMultiplier: [Double]
    private var z1: [Double], z2: [Double]
    private let links: [(p: Int, q: Int, gamma: Double, value: Double)]
    private let sInverse: (Double, Double, Double, Double)

    /// `offDiagonal[i]` couples i and i+1 (mod n); with `rightHandSideScale`, `solve` solves
    /// C x = diag(scale) b.
    public init(diagonal d: [Double], offDiagonal e: [Double], rightHandSideScale: [Double]? = nil) throws {
        GSLRuntime.ensureConfigured()
        n = d.count
        precondition(n >= 4 && e.count == n)
        let m = n / 2
        self.m = m
        let links = [(p: m - 1, q: m, gamma: -d[m - 1], value: e[m - 1]), (p: n - 1, q: 0, gamma: -d[n - 1], value: e[n - 1])]
        self.links = links
        guard let a = gsl_matrix_alloc(n, 2) else { fatalError("gsl_matrix_alloc: out of memory") }
        defer { gsl_matrix_free(a) }
        var diag = d
        var off = e
        for l in links {
            diag[l.p] -= l.gamma
            diag[l.q] -= l.value * l.value / l.gamma
        }
        off[m - 1] = 0
        for i in 0..<n {
            gsl_matrix_set(a, i, 0, diag[i])
            gsl_matrix_set(a, i, 1, i < n - 1 ? off[i] : 0)
        }
        let status = gsl_linalg_cholesky_band_decomp(a)
        guard status == GSL_SUCCESS else {
            throw GSLError(status: status, context: "gsl_linalg_cholesky_band_decomp (matrix not positive definite)")
        }
        func solveT(_ v: inout [Double]) throws {
            let s = v.withUnsafeMutableBufferPointer { buffer -> Int32 in
                var view = gsl_vector_view_array(buffer.baseAddress, n)
                return gsl_linalg_cholesky_band_svx(a, &view.vector)
            }
            guard s == GSL_SUCCESS else { throw GSLError(status: s, context: "gsl_linalg_cholesky_band_svx") }
        }
        let n = self.n
        var w: [[Double]] = []
        for l in links {
            var v = [Double](repeating: 0, count: n)
            v[l.p] = l.gamma
            v[l.q] = l.value
            w.append(v)
        }
        var za = w[0], zb = w[1]
        try solveT(&za)
        try solveT(&zb)
        z1 = za; z2 = zb
        // S = diag(γ) + WᵀZ.
        func wDot(_ k: Int, _ v: [Double]) -> Double { links[k].gamma * v[links[k].p] + links[k].value * v[links[k].q] }
        let s11 = links[0].gamma + wDot(0, za), s12 = wDot(0, zb), s21 = wDot(1, za), s22 = links[1].gamma + wDot(1, zb)
        let det = s11 * s22 - s12 * s21
        sInverse = (s22 / det, -s12 / det, -s21 / det, s11 / det)
        inverseDiagonal = (0..<n).map { 1 / gsl_matrix_get(a, $0, 0) }
        scaledInverseDiagonal = (0..<n).map { i in (rightHandSideScale?[i] ?? 1) / gsl_matrix_get(a, i, 0) }
        forwardMultiplier = (0..<n).map { i in i > 0 ? gsl_matrix_get(a, i - 1, 1) / gsl_matrix_get(a, i, 0) : 0 }
        backwardMultiplier = (0..<n).map { i in i < n - 1 ? gsl_matrix_get(a, i, 1) / gsl_matrix_get(a, i, 0) : 0 }
    }

    /// Solves in place: `x` holds b on entry and the solution on exit.
    public func solve(_ x: UnsafeMutablePointer<Double>) {
        hk_two_block_substitute(x, scaledInverseDiagonal, inverseDiagonal, forwardMultiplier, backwardMultiplier,
                                Int64(n), Int64(m))
        let a = links[0], b = links[1]
        let r1 = a.gamma * x[a.p] + a.value * x[a.q]
        let r2 = b.gamma * x[b.p] + b.value * x[b.q]
        let c1 = sInverse.0 * r1 + sInverse.1 * r2
        let c2 = sInverse.2 * r1 + sInverse.3 * r2
        z1.withUnsafeBufferPointer { p in
            z2.withUnsafeBufferPointer { q in
                for i in 0..<n { x[i] -= c1 * p[i] + c2 * q[i] }
            }
        }
    }
}
