import CFFTW
import Foundation

/// The solve L u = f for a translation-invariant operator L on an n1 × … × nd periodic grid
/// (d = 2 or 3; row-major, x1 slowest), given its real Fourier symbol λ(k) > 0 for k ≠ 0, by
/// FFTW's real-to-complex transforms: û(k) = f̂(k) / λ(k) and û(0) = 0 (the mean of f is ignored,
/// u has mean zero). Two users:
/// - `poisson(shape:)`, −Δu = f with the (2d + 1)-point Laplacian, λ(k) = Σ_a n_a² (2 − 2 cos θ_a),
///   θ_a = 2π k_a / n_a (the back-and-forth W2 solver);
/// - the Green-operator preconditioners of the Q1 cell problems (`BilinearCellProblem`,
///   `TrilinearCellProblem`): the inverse of the Q1 stiffness of a constant reference tensor.
///
/// This class owns the FFTW plans and buffers (freed in `deinit`); one instance is not for
/// concurrent use, but separate instances are (plan creation and destruction, which FFTW does not
/// make thread-safe, are serialised here).
public final class PeriodicFourierSolve {
    public let shape: [Int]
    let count: Int
    private let real: UnsafeMutablePointer<Double>
    private let spectrum: UnsafeMutablePointer<fftw_complex>
    private let forward: fftw_plan
    private let backward: fftw_plan
    private let inverseSymbol: [Double]
    static let planLock = NSLock()

    /// `symbol(k)` receives the frequency index per axis: 0..<n_a, the last axis only 0...n_d/2.
    public init(shape: [Int], symbol: ([Int]) -> Double) {
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
        var inv = [Double](repeating: 0, count: spectral)
        var k = [Int](repeating: 0, count: shape.count)
        for s in 1..<spectral {
            // Row-major spectral index → per-axis frequencies, the last axis fastest.
            var rest = s
            for a in shape.indices.reversed() {
                let m = a == shape.count - 1 ? half : shape[a]
                k[a] = rest % m
                rest /= m
            }
            // Normalisation of FFTW's unnormalised inverse folded in.
            inv[s] = 1 / (symbol(k) * Double(count))
        }
        inverseSymbol = inv
    }

    /// −Δu = f with the (2d + 1)-point Laplacian of the unit torus.
    public static func poisson(shape: [Int]) -> PeriodicFourierSolve {
        let half = shape.last! / 2 + 1
        // λ per axis; the last axis has only its half + 1 non-negative frequencies.
        let axes = shape.indices.map { a -> [Double] in
            let n = shape[a], m = a == shape.count - 1 ? half : n
            return (0..<m).map { k in Double(n * n) * (2 - 2 * cos(2 * Double.pi * Double(k) / Double(n))) }
        }
        return PeriodicFourierSolve(shape: shape) { k in
            var lambda = 0.0
            for a in k.indices { lambda += axes[a][k[a]] }
            return lambda
        }
    }

    deinit {
        Self.planLock.lock()
        fftw_destroy_plan(forward)
        fftw_destroy_plan(backward)
        Self.planLock.unlock()
        fftw_free(real)
        fftw_free(spectrum)
    }

    /// u with L u = f − mean(f) and mean(u) = 0, written into `u` (both `count` values).
    public func solve(_ f: [Double], into u: inout [Double]) {
        precondition(f.count == count && u.count == count)
        f.withUnsafeBufferPointer { src in u.withUnsafeMutableBufferPointer { solve(src.baseAddress!, into: $0.baseAddress!) } }
    }

    /// The same on raw buffers of `count` values (they may alias).
    func solve(_ f: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>) {
        real.update(from: f, count: count)
        fftw_execute(forward)
        inverseSymbol.withUnsafeBufferPointer { inv in
            for k in 0..<inv.count {
                spectrum[k].0 *= inv[k]
                spectrum[k].1 *= inv[k]
            }
        }
        fftw_execute(backward)
        u.update(from: real, count: count)
    }
}
