import Foundation

/// The solution of a sampling run: histograms (and optionally positions) at each output time,
/// with the metadata that makes it reproducible. `RunFolder` writes it to disk.
public struct SampleResult: Sendable {
    public struct Snapshot: Sendable {
        public let time: Double
        /// Particle counts per cell: `cells` in 1D, `cells²` row-major (i1 * cells + i2) in 2D.
        public let counts: [Double]
        /// Positions, interleaved by particle (x1, x2, x1, x2, ... in 2D), when kept.
        public let positions: [Double]?
    }

    public let scenario: Scenario
    public let threads: Int
    public let blockSize: Int
    public let blocks: Int
    /// Time steps of positive length.
    public let steps: Int
    /// Wall time of the sampling (initial draws, steps, histograms), all threads.
    public let seconds: Double
    /// Fraction of rejection-sampling proposals accepted for the initial positions.
    public let initialAcceptanceRate: Double
    /// Which build of the array kernels ran ("avx2+fma" or "baseline").
    public let vectorKernels: String
    public let snapshots: [Snapshot]

    /// Wall nanoseconds per particle-step, all threads together.
    public var nsPerParticleStep: Double {
        seconds * 1e9 / (Double(scenario.particles.count) * Double(max(steps, 1)))
    }

    /// Density of each cell: count / (N · cell volume).
    public func density(_ snapshot: Snapshot) -> [Double] {
        let volume = 1 / pow(Double(scenario.cells), Double(scenario.dimension))
        let n = Double(scenario.particles.count)
        return snapshot.counts.map { $0 / (n * volume) }
    }
}
