import CFFTW
import Foundation

/// The periodic Poisson solve −Δu = f on an n1 × n2 grid of the unit torus [0, 1)² (row-major,
/// x1 slowest), with the five-point Laplacian, by FFTW's real-to-complex transforms: in Fourier
/// space û(k) = f̂(k) / λ(k) with the discrete eigenvalues
///
///     λ(k) = n1² (2 − 2 cos(2π k1 / n1)) + n2² (2 − 2 cos(2π k2 / n2)),
///
/// and û(0) = 0 (f must have mean zero; its mean is ignored). This class owns the FFTW plans and
/// buffers (freed in `deinit`); one instance is not for concurrent use, but separate instances
/// are (plan creation and destruction, which FFTW does not make thread-safe, are serialised here).
public final class PeriodicPoisson {
    public let n1: Int, n2: Int
    private let real: UnsafeMutablePointer<Double>
    private let spectrum: UnsafeMutablePointer<fftw_complex>
    private let forward: fftw_plan
    private let backward: fftw_plan
    private let inverseEigenvalues: [Double]
    private static let planLock = NSLock()

    public init(n1: Int, n2: Int) {
        precondition(n1 >= 2 && n2 >= 2)
        self.n1 = n1
        self.n2 = n2
        let half = n2 / 2 + 1
        real = fftw_alloc_real(n1 * n2)!
        spectrum = fftw_alloc_complex(n1 * half)!
        Self.planLock.lock()
        forward = fftw_plan_dft_r2c_2d(Int32(n1), Int32(n2), real, spectrum, FFTW_ESTIMATE)!
        backward = fftw_plan_dft_c2r_2d(Int32(n1), Int32(n2), spectrum, real, FFTW_ESTIMATE)!
        Self.planLock.unlock()
        var inv = [Double](repeating: 0, count: n1 * half)
        let a = Double(n1 * n1), b = Double(n2 * n2)
        for k1 in 0..<n1 {
            let l1 = a * (2 - 2 * cos(2 * Double.pi * Double(k1) / Double(n1)))
            for k2 in 0..<half where k1 != 0 || k2 != 0 {
                let l2 = b * (2 - 2 * cos(2 * Double.pi * Double(k2) / Double(n2)))
                // Normalisation of FFTW's unnormalised inverse folded in.
                inv[k1 * half + k2] = 1 / ((l1 + l2) * Double(n1 * n2))
            }
        }
        inverseEigenvalues = inv
    }

    deinit {
        Self.planLock.lock()
        fftw_destroy_plan(forward)
        fftw_destroy_plan(backward)
        Self.planLock.unlock()
        fftw_free(real)
        fftw_free(spectrum)
    }

    /// u with −Δu = f − mean(f) and mean(u) = 0, written into `u` (both n1·n2 values).
    public func solve(_ f: [Double], into u: inout [Double]) {
        precondition(f.count == n1 * n2 && u.count == n1 * n2)
        f.withUnsafeBufferPointer { real.update(from: $0.baseAddress!, count: n1 * n2) }
        fftw_execute(forward)
        let count = n1 * (n2 / 2 + 1)
        inverseEigenvalues.withUnsafeBufferPointer { inv in
            for k in 0..<count {
                spectrum[k].0 *= inv[k]
                spectrum[k].1 *= inv[k]
            }
        }
        fftw_execute(backward)
        u.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: real, count: n1 * n2) }
    }
}
