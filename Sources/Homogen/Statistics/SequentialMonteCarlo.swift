import Dispatch
import Foundation
import Synchronization

/// Sequential Monte Carlo p-values (Besag & Clifford, Biometrika 1991): draw null statistics one
/// after another and stop as soon as `exceedances` (h) of them are at least the observed value, or
/// after `maximumDraws` (n − 1). With l draws at the stop,
///
///     p = h / l              if the h-th exceedance came at draw l (the statistic is unremarkable),
///     p = (g + 1) / n        if n − 1 draws gave only g < h exceedances,
///
/// a valid p-value (P(p ≤ u) ≤ u under the null) whose smallest value is 1/n, while a statistic far
/// from significance costs only about h / p draws. The draws are numbered and each is a function of
/// its number alone, so the result does not depend on how many threads compute them.
public struct SequentialMonteCarlo: Sendable {
    public let maximumDraws: Int
    public let exceedances: Int
    /// Draws made even when the stop comes earlier, so that the null's mean and quantiles (the
    /// Monte Carlo floor) rest on enough draws.
    public let minimumDraws: Int

    public init(maximumDraws: Int, exceedances: Int = 10, minimumDraws: Int = 39) {
        precondition(maximumDraws >= 1 && exceedances >= 1)
        self.maximumDraws = maximumDraws
        self.exceedances = exceedances
        self.minimumDraws = min(minimumDraws, maximumDraws)
    }

    /// The smallest p-value this test can give: 1/n.
    public var smallestPValue: Double { 1 / Double(maximumDraws + 1) }

    /// The maximum number of draws that makes the smallest p-value at most `target`.
    public static func draws(forSmallestPValue target: Double) -> Int { max(1, Int((1 / target).rounded(.up)) - 1) }

    public struct Outcome: Sendable {
        public let pValue: Double
        /// The null statistics drawn, in draw order.
        public let null: [Double]
        /// Draws up to the stop (≤ null.count).
        public let drawsToDecision: Int
    }

    /// Runs the test of `observed` against the null statistics `draw(k)`, k = 0, 1, …, computed in
    /// parallel batches on `threads` threads.
    public func run(observed: Double, threads: Int, draw: @escaping @Sendable (Int) throws -> Double) throws -> Outcome {
        var null: [Double] = []
        var hits = 0
        var stop: Int?
        let t = max(1, threads)
        while null.count < maximumDraws, stop == nil || null.count < minimumDraws {
            let batch = min(maximumDraws - null.count, max(2 * t, 8))
            let first = null.count
            let values = try Self.parallel(batch, threads: t) { try draw(first + $0) }
            for v in values {
                null.append(v)
                if stop == nil, v >= observed {
                    hits += 1
                    if hits == exceedances { stop = null.count }
                }
            }
        }
        if let l = stop {
            return Outcome(pValue: Double(exceedances) / Double(l), null: null, drawsToDecision: l)
        }
        return Outcome(pValue: Double(hits + 1) / Double(maximumDraws + 1), null: null, drawsToDecision: maximumDraws)
    }

    /// Runs `body(k)` for k in 0..<count on `threads` threads; results in k order; the first error is rethrown.
    static func parallel(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> Double) throws -> [Double] {
        let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        defer { out.deallocate() }
        let failure = Mutex<Error?>(nil)
        nonisolated(unsafe) let buffer = out
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { w in
            var k = w
            while k < count {
                do { buffer[k] = try body(k) } catch { failure.withLock { if $0 == nil { $0 = error } }; return }
                k += max(1, min(threads, count))
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        return Array(out)
    }
}

/// Holm's step-down correction (Holm, Scand. J. Statist. 1979) for a family of m tests: with the
/// p-values sorted, p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)); rejecting every test with
/// p̃ ≤ α controls the probability of any false rejection at α, whatever the dependence between
/// the tests.
public enum Holm {
    /// The adjusted p-values, in the order given.
    public static func adjust(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }
}
