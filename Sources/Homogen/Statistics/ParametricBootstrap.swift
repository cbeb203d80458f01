import Dispatch
import Foundation

/// "These N particles are a sample of this density": a parametric bootstrap of the W2
/// distance (DESIGN §3). The observed W2 between the particles and the density is compared with
/// the W2 of R samples of size N drawn from the density itself (GSL generators; each
/// repetition its own stream), and the p-value is (1 + #{W2_r ≥ W2_obs}) / (R + 1), exact in
/// the sense that it is uniform on {1/(R+1), …, 1} under the null.
public struct BootstrapResult: Sendable {
    public let distance: Double
    public let pValue: Double
    /// The bootstrap distribution's mean and 95% quantile (the Monte Carlo floor of W2 at this N).
    public let nullMean: Double
    public let nullQuantile95: Double
    public let repetitions: Int
}

public enum ParametricBootstrap {
    /// 1D: particles on the circle against a density constant on `masses.count` cells.
    public static func circle(particles: [Double], cellMasses masses: [Double], repetitions r: Int = 99,
                              seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> BootstrapResult {
        let density = CircleMeasure(cellMasses: masses)
        let observed = CircleWasserstein.distance(CircleMeasure(samples: particles), density).distance
        let n = particles.count
        let m = masses.count
        let table = DiscreteDistribution(weights: masses)
        let null = repeatInParallel(r, threads: threads) { k in
            let rng = RandomStream(seed: BlockSeeds.seed(run: seed, block: UInt64(k)))
            let sample = (0..<n).map { _ in (Double(table.draw(rng)) + rng.uniform()) / Double(m) }
            return CircleWasserstein.distance(CircleMeasure(samples: sample), density).distance
        }
        return summarise(observed, null)
    }

    /// 2D: particle counts on a g × g grid against cell masses on the same grid; the observed
    /// distance and each null repetition (N cells drawn from the masses) by the back-and-forth
    /// grid W2 (`GridWasserstein`, `metric` its diagonal constant metric), the same pipeline.
    public static func torus(particleCounts counts: [Double], cellMasses masses: [Double], cells g: Int,
                             particles n: Int, metric: (Double, Double) = (1, 1), repetitions r: Int = 49, seed: UInt64,
                             threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> BootstrapResult {
        var options = GridWasserstein.Options()
        options.metric = metric
        let observed = try GridWasserstein.distance(counts, masses, n1: g, n2: g, options: options).distance
        let table = DiscreteDistribution(weights: masses)
        var failure: Error?
        let lock = NSLock()
        let null = repeatInParallel(r, threads: threads) { k -> Double in
            let rng = RandomStream(seed: BlockSeeds.seed(run: seed, block: UInt64(k)))
            var c = [Double](repeating: 0, count: g * g)
            for _ in 0..<n { c[table.draw(rng)] += 1 }
            do {
                return try GridWasserstein.distance(c, masses, n1: g, n2: g, options: options).distance
            } catch {
                lock.withLock { failure = error }
                return .nan
            }
        }
        if let failure { throw failure }
        return summarise(observed, null)
    }

    /// The p-value (1 + #{W2_r ≥ W2_obs}) / (R + 1) and the null's summary: the one place where
    /// the bootstrap's verdict statistics are computed.
    static func summarise(_ observed: Double, _ null: [Double]) -> BootstrapResult {
        let sorted = null.sorted()
        let exceed = null.filter { $0 >= observed }.count
        return BootstrapResult(
            distance: observed, pValue: Double(1 + exceed) / Double(null.count + 1),
            nullMean: null.reduce(0, +) / Double(null.count),
            nullQuantile95: sorted[min(sorted.count - 1, Int(0.95 * Double(sorted.count)))],
            repetitions: null.count)
    }

    /// Runs `body(k)` for k in 0..<count on `threads` threads; results in k order.
    static func repeatInParallel(_ count: Int, threads: Int, _ body: @escaping (Int) -> Double) -> [Double] {
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        defer { out.deallocate() }
        let t = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: t) { w in
            var k = w
            while k < count { out[k] = body(k); k += t }
        }
        return Array(out)
    }
}
