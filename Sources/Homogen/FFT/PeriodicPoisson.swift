import CFFTW
import Foundation

/// The periodic Poisson solve −Δu = f on an n1 × … × nd grid of the unit torus [0, 1)^d (d = 2
/// or 3; row-major, x1 slowest), with the (2d + 1)-point Laplacian, by FFTW's real-to-complex
/// transforms: in Fourier space û(k) = f̂(k) / λ(k) with the discrete eigenvalues
///
///     λ(k) = Σ_a n_a² (2 − 2 cos(2π k_a / n_a)),
///
/// and û(0) = 0 (f must have mean zero; its mean is ignored). This class owns the FFTW plans and
/// buffers (freed in `deinit`); one instance is not for concurrent use, but separate instances
/// are (plan creation and destruction, which FFTW does not make thread-safe, are serialised here).
public final class PeriodicPoisson {
    public let shape: [Int]
    private let count: Int
    private let real: UnsafeMutablePointer<Double>
    private let spectrum: UnsafeMutablePointer<fftw_complex>
    private let forward: fftw_plan
    private let backward: fftw_plan
    private let inverseEigenvalues: [Double]
    private static let planLock = NSLock()

    public init(shape: [Int]) {
        precondition((2...3).contains(shape.count) && shape.allSatisfy { $0 >= 2 })
        self.shape = shape
        count = shape.reduce(1, *)
        let half = shape.last! / 2 + 1
        let spectral = shape.dropLast().reduce(half, *)
        real = fftw_alloc_real(count)!
        spectrum = fftw_alloc_complex(spectral)!
        let dims = shape.map { Int32($0) }
        Self.planLock.lock()
        forward = fftw_plan_dft_r2c(Int32(shape.count), dims, real, spectrum, FFTW_ESTIMATE)!
        backward = fftw_plan_dft_c2r(Int32(shape.count), dims, spectrum, real, FFTW_ESTIMATE)!
        Self.planLock.unlock()
        // λ per axis; the last axis has only its half + 1 non-negative frequencies.
        let axes = shape.indices.map { a -> [Double] in
            let n = shape[a], m = a == shape.count - 1 ? half : n
            return (0..<m).map { k in Double(n * n) * (2 - 2 * cos(2 * Double.pi * Double(k) / Double(n))) }
        }
        var inv = [Double](repeating: 0, count: spectral)
        for s in 1..<spectral {
            // Row-major spectral index → per-axis frequencies, the last axis fastest.
            var rest = s, lambda = 0.0
            var k = [Int](repeating: 0, count: shape.count)
            for a in shape.indices.reversed() {
                let m = a == shape.count - 1 ? half : shape[a]
                k[a] = rest % m
                rest /= m
            }
            for a in shape.indices { lambda += axes[a][k[a]] }
            // Normalisation of FFTW's unnormalised inverse folded in.
            inv[s] = 1 / (lambda * Double(count))
        }
        inverseEigenvalues = inv
    }

    /// The 2D solve on an n1 × n2 grid.
    public convenience init(n1: Int, n2: Int) { self.init(shape: [n1, n2]) }

    deinit {
        Self.planLock.lock()
        fftw_destroy_plan(forward)
        fftw_destroy_plan(backward)
        Self.planLock.unlock()
        fftw_free(real)
        fftw_free(spectrum)
    }

    /// u with −Δu = f − mean(f) and mean(u) = 0, written into `u` (both `count` values).
    public func solve(_ f: [Double], into u: inout [Double]) {
        precondition(f.count == count && u.count == count)
        f.withUnsafeBufferPointer { real.update(from: $0.baseAddress!, count: count) }
        fftw_execute(forward)
        inverseEigenvalues.withUnsafeBufferPointer { inv in
            for k in 0..<inv.count {
                spectrum[k].0 *= inv[k]
                spectrum[k].1 *= inv[k]
            }
        }
        fftw_execute(backward)
        u.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: real, count: count) }
    }
}
