import Dispatch
import Foundation

/// "These N particles are a sample of this density": a parametric bootstrap of the W2
/// distance. The observed W2 between the particles and the density is compared with the W2 of
/// samples of size N drawn from the density itself (GSL generators; each draw its own stream), and
/// the p-value is the sequential Monte Carlo p-value of `SequentialMonteCarlo` (Besag & Clifford):
/// valid under the null, as small as 1/n when the particles differ, and cheap when they do not.
public struct BootstrapResult: Sendable {
    public let distance: Double
    public let pValue: Double
    /// The bootstrap distribution's mean and 95% quantile (the Monte Carlo floor of W2 at this N).
    public let nullMean: Double
    public let nullQuantile95: Double
    /// Null draws made, and draws up to the sequential decision.
    public let repetitions: Int
    public let drawsToDecision: Int
}

public enum ParametricBootstrap {
    /// 1D: particles on the circle against a density constant on `masses.count` cells.
    public static func circle(particles: [Double], cellMasses masses: [Double], test: SequentialMonteCarlo,
                              seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> BootstrapResult {
        // Round-off negatives as 0; real ones refused by cell (GSL's table needs weights ≥ 0).
        let masses = try GridWasserstein.normalised(masses, which: 1)
        let density = CircleMeasure(cellMasses: masses)
        let observed = CircleWasserstein.distance(CircleMeasure(samples: particles), density).distance
        let n = particles.count
        let m = masses.count
        let table = DiscreteDistribution(weights: masses)
        let outcome = try test.run(observed: observed, threads: threads) { k in
            let rng = RandomStream(seed: BlockSeeds.seed(run: seed, block: UInt64(k)))
            let sample = sortedDraw(n, cells: m, table, rng)
            return CircleWasserstein.distance(CircleMeasure(sortedSamples: sample), density).distance
        }
        return summarise(observed, outcome)
    }

    /// N points (cell + u)/m, the cell from `table` and u uniform on [0, 1), drawn in this order
    /// and returned sorted: a counting sort on the cell, then a sort inside each cell (about
    /// N log(N/m) instead of N log N). The same points in the same order as sorting the whole
    /// draw; a point that rounds to 1 is the point 0 of the circle.
    static func sortedDraw(_ n: Int, cells m: Int, _ table: DiscreteDistribution, _ rng: RandomStream) -> [Double] {
        var cell = [Int32](repeating: 0, count: n)
        var point = [Double](repeating: 0, count: n)
        var start = [Int](repeating: 0, count: m + 2)   // bucket 0: points that rounded to 1
        for i in 0..<n {
            let c = table.draw(rng)
            let x = (Double(c) + rng.uniform()) / Double(m)
            let bucket = x >= 1 ? 0 : c + 1
            cell[i] = Int32(bucket)
            point[i] = x >= 1 ? 0 : x
            start[bucket + 1] += 1
        }
        for b in 1...(m + 1) { start[b] += start[b - 1] }
        var sorted = [Double](repeating: 0, count: n)
        var next = start
        for i in 0..<n {
            let b = Int(cell[i])
            sorted[next[b]] = point[i]
            next[b] += 1
        }
        sorted.withUnsafeMutableBufferPointer { all in
            for b in 0...m where start[b + 1] - start[b] > 1 {
                var bucket = UnsafeMutableBufferPointer(rebasing: all[start[b]..<start[b + 1]])
                bucket.sort()
            }
        }
        return sorted
    }

    /// 2D and 3D: particle counts on a grid of g cells per axis (`dimension`) against cell masses
    /// on the same grid; the observed distance and each null repetition (N cells drawn from the
    /// masses) by the back-and-forth grid W2 (`GridWasserstein`), the same pipeline.
    public static func torus(particleCounts counts: [Double], cellMasses masses: [Double], cells g: Int,
                             dimension: TorusDimension = .two, particles n: Int, test: SequentialMonteCarlo, seed: UInt64,
                             threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> BootstrapResult {
        let shape = [Int](repeating: g, count: dimension.count)
        let masses = try GridWasserstein.normalised(masses, which: 1)
        let observed = try GridWasserstein.distance(counts, masses, shape: shape).distance
        let table = DiscreteDistribution(weights: masses)
        let outcome = try test.run(observed: observed, threads: threads) { k in
            let rng = RandomStream(seed: BlockSeeds.seed(run: seed, block: UInt64(k)))
            var c = [Double](repeating: 0, count: masses.count)
            for _ in 0..<n { c[table.draw(rng)] += 1 }
            return try GridWasserstein.distance(c, masses, shape: shape).distance
        }
        return summarise(observed, outcome)
    }

    /// The verdict statistics of a bootstrap: the one place where they are computed.
    static func summarise(_ observed: Double, _ outcome: SequentialMonteCarlo.Outcome) -> BootstrapResult {
        let null = outcome.null
        let sorted = null.sorted()
        return BootstrapResult(
            distance: observed, pValue: outcome.pValue,
            nullMean: null.reduce(0, +) / Double(null.count),
            nullQuantile95: sorted[min(sorted.count - 1, Int(0.95 * Double(sorted.count)))],
            repetitions: null.count, drawsToDecision: outcome.drawsToDecision)
    }
}
