import CFFTW
import Foundation

/// The Green operator of the 3D dual cell problem (`RaviartThomasCellProblem`): for face fields
/// τ = (τ1, τ2, τ3) on an R³ periodic cell grid (τ_i[c] the flux through the face of cell c
/// normal to y_i on its lower side; arrays component-major, cells (c1·R + c2)·R + c3), the
/// solve
///
///     z = argmin { ½ zᵀ M0 z − rᵀ z : D z = 0, Σ_c z_i[c] = 0 for each i },
///
/// where (D z)[c] = Σ_i z_i[c + e_i] − z_i[c] is the discrete divergence and M0 the
/// Raviart–Thomas mass matrix of a constant diagonal tensor c0. Everything is translation
/// invariant, so by FFTW's real-to-complex transforms each frequency k decouples: with
/// θ_i = 2π k_i / R, d_i = e^{iθ_i} − 1 (D's symbol, so the constraint is dᵀẑ = 0),
/// μ_i = c0_i (2 + cos θ_i)/3 (M0's diagonal symbol) and w = d̄,
///
///     ẑ = μ⁻¹ r̂ − μ⁻¹ w (dᵀ μ⁻¹ r̂) / (Σ_i |d_i|² / μ_i),      ẑ(0) = 0.
///
/// This is the exact inverse of M0 on the divergence-free, mean-zero subspace; it vanishes on
/// the subspace's complement (gradients and constants). The same pass also gives the orthogonal
/// projection of r onto that subspace, P̂r = r̂ − w (dᵀ r̂) / |d|² (and 0 at k = 0), which the
/// conjugate gradients on the subspace use in place of r: the residual's large component in the
/// complement would otherwise meet the round-off of z there in rᵀz. This class owns the FFTW
/// plans and buffers (freed in `deinit`); one instance is not for concurrent use.
public final class PeriodicDivergenceFreeSolve {
    public let resolution: Int
    private let count: Int
    private let spectral: Int
    private let real: UnsafeMutablePointer<Double>
    private let spectrum: UnsafeMutablePointer<fftw_complex>
    private let projected: UnsafeMutablePointer<fftw_complex>
    private let forward: fftw_plan
    private let backward: fftw_plan
    private let backwardProjected: fftw_plan
    /// Per frequency of the half spectrum: cos θ_i and sin θ_i for the three axes.
    private let angles: [Double]
    private let reference: [Double]

    public init(resolution r: Int, reference c0: [Double]) {
        precondition(r >= 2 && c0.count == 3 && c0.allSatisfy { $0 > 0 })
        resolution = r
        reference = c0
        count = r * r * r
        let half = r / 2 + 1
        spectral = r * r * half
        real = fftw_alloc_real(3 * count)!
        spectrum = fftw_alloc_complex(3 * spectral)!
        projected = fftw_alloc_complex(3 * spectral)!
        var dims = [Int32](repeating: Int32(r), count: 3)
        PeriodicFourierSolve.planLock.lock()
        forward = fftw_plan_many_dft_r2c(3, &dims, 3, real, nil, 1, Int32(count), spectrum, nil, 1, Int32(spectral), FFTW_ESTIMATE)!
        backward = fftw_plan_many_dft_c2r(3, &dims, 3, spectrum, nil, 1, Int32(spectral), real, nil, 1, Int32(count), FFTW_ESTIMATE)!
        backwardProjected = fftw_plan_many_dft_c2r(3, &dims, 3, projected, nil, 1, Int32(spectral), real, nil, 1, Int32(count), FFTW_ESTIMATE)!
        PeriodicFourierSolve.planLock.unlock()
        var a = [Double](repeating: 0, count: 6 * spectral)
        for s in 0..<spectral {
            let k = [s / (r * half), (s / half) % r, s % half]
            for i in 0..<3 {
                let theta = 2 * Double.pi * Double(k[i]) / Double(r)
                a[6 * s + 2 * i] = cos(theta)
                a[6 * s + 2 * i + 1] = sin(theta)
            }
        }
        angles = a
    }

    deinit {
        PeriodicFourierSolve.planLock.lock()
        fftw_destroy_plan(forward)
        fftw_destroy_plan(backward)
        fftw_destroy_plan(backwardProjected)
        PeriodicFourierSolve.planLock.unlock()
        fftw_free(real)
        fftw_free(spectrum)
        fftw_free(projected)
    }

    /// z for the residual r (both 3·R³ values, component-major); r is replaced by its projection.
    func solve(projecting r: UnsafeMutablePointer<Double>, into z: UnsafeMutablePointer<Double>) {
        real.update(from: r, count: 3 * count)
        fftw_execute(forward)
        let scale = 1 / Double(count), c0 = reference
        angles.withUnsafeBufferPointer { a in
            for i in 0..<3 { spectrum[i * spectral] = (0, 0); projected[i * spectral] = (0, 0) }
            for s in 1..<spectral {
                let c1 = a[6 * s], s1 = a[6 * s + 1], c2 = a[6 * s + 2], s2 = a[6 * s + 3], c3 = a[6 * s + 4], s3 = a[6 * s + 5]
                let m1 = 3 / (c0[0] * (2 + c1)), m2 = 3 / (c0[1] * (2 + c2)), m3 = 3 / (c0[2] * (2 + c3))
                let v1 = spectrum[s], v2 = spectrum[spectral + s], v3 = spectrum[2 * spectral + s]
                // y = μ⁻¹ r̂; t = dᵀ y with d_i = (cos θ_i − 1, sin θ_i); n = Σ |d_i|² / μ_i.
                let y1 = (v1.0 * m1, v1.1 * m1), y2 = (v2.0 * m2, v2.1 * m2), y3 = (v3.0 * m3, v3.1 * m3)
                let t0 = (c1 - 1) * y1.0 - s1 * y1.1 + (c2 - 1) * y2.0 - s2 * y2.1 + (c3 - 1) * y3.0 - s3 * y3.1
                let t1 = (c1 - 1) * y1.1 + s1 * y1.0 + (c2 - 1) * y2.1 + s2 * y2.0 + (c3 - 1) * y3.1 + s3 * y3.0
                let g = 1 / ((2 - 2 * c1) * m1 + (2 - 2 * c2) * m2 + (2 - 2 * c3) * m3)
                // P̂r = r̂ − w (dᵀ r̂) / |d|².
                let u0 = (c1 - 1) * v1.0 - s1 * v1.1 + (c2 - 1) * v2.0 - s2 * v2.1 + (c3 - 1) * v3.0 - s3 * v3.1
                let u1 = (c1 - 1) * v1.1 + s1 * v1.0 + (c2 - 1) * v2.1 + s2 * v2.0 + (c3 - 1) * v3.1 + s3 * v3.0
                let gp = 1 / ((2 - 2 * c1) + (2 - 2 * c2) + (2 - 2 * c3))
                func projection(_ v: (Double, Double), _ cosine: Double, _ sine: Double) -> (Double, Double) {
                    let w0 = (cosine - 1) * gp, w1 = -sine * gp
                    return ((v.0 - (w0 * u0 - w1 * u1)) * scale, (v.1 - (w0 * u1 + w1 * u0)) * scale)
                }
                projected[s] = projection(v1, c1, s1)
                projected[spectral + s] = projection(v2, c2, s2)
                projected[2 * spectral + s] = projection(v3, c3, s3)
                // z_i = y_i − μ_i⁻¹ w_i t / n, w_i = conj(d_i) = (cos θ_i − 1, −sin θ_i).
                func corrected(_ y: (Double, Double), _ cosine: Double, _ sine: Double, _ m: Double) -> (Double, Double) {
                    let w0 = (cosine - 1) * m * g, w1 = -sine * m * g
                    return ((y.0 - (w0 * t0 - w1 * t1)) * scale, (y.1 - (w0 * t1 + w1 * t0)) * scale)
                }
                spectrum[s] = corrected(y1, c1, s1, m1)
                spectrum[spectral + s] = corrected(y2, c2, s2, m2)
                spectrum[2 * spectral + s] = corrected(y3, c3, s3, m3)
            }
        }
        fftw_execute(backward)
        z.update(from: real, count: 3 * count)
        fftw_execute(backwardProjected)
        r.update(from: real, count: 3 * count)
    }
}
