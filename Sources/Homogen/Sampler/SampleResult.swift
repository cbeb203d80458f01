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

        public init(time: Double, counts: [Double], positions: [Double]?) {
            self.time = time; self.counts = counts; self.positions = positions
        }
    }

    /// A result assembled from parts (the MPI mode reduces the ranks' shards into one).
    public init(scenario: Scenario, threads: Int, blockSize: Int, blocks: Int, blockRange: Range<Int>,
                particlesInRange: Int, steps: Int, seconds: Double, initialAcceptanceRate: Double,
                vectorKernels: String, snapshots: [Snapshot]) {
        self.scenario = scenario; self.threads = threads; self.blockSize = blockSize; self.blocks = blocks
        self.blockRange = blockRange; self.particlesInRange = particlesInRange; self.steps = steps
        self.seconds = seconds; self.initialAcceptanceRate = initialAcceptanceRate
        self.vectorKernels = vectorKernels; self.snapshots = snapshots
    }

    public let scenario: Scenario
    public let threads: Int
    public let blockSize: Int
    /// Blocks of the whole run.
    public let blocks: Int
    /// The blocks this result covers (all of them unless it is a shard).
    public let blockRange: Range<Int>
    /// Particles in `blockRange`: the histograms count these.
    public let particlesInRange: Int
    /// Time steps of positive length.
    public let steps: Int
    /// Wall time of the sampling (initial draws, steps, histograms), all threads.
    public let seconds: Double
    /// Fraction of rejection-sampling proposals accepted for the initial positions.
    public let initialAcceptanceRate: Double
    /// Which build of the array kernels ran ("avx2+fma" or "baseline").
    public let vectorKernels: String
    public let snapshots: [Snapshot]
    /// How the time step was checked or chosen (nil: not checked).
    public var timeStepControl: TimeStepControl.Report?

    /// Wall nanoseconds per particle-step, all threads together.
    public var nsPerParticleStep: Double {
        seconds * 1e9 / (Double(particlesInRange) * Double(max(steps, 1)))
    }

    /// Density of each cell: count / (N · cell volume), N the particles counted.
    public func density(_ snapshot: Snapshot) -> [Double] {
        SampleResult.density(counts: snapshot.counts, particles: particlesInRange, cells: scenario.cells,
                             dimension: scenario.dimension)
    }

    public static func density(counts: [Double], particles: Int, cells: Int, dimension: Int) -> [Double] {
        let volume = 1 / pow(Double(cells), Double(dimension))
        return counts.map { $0 / (Double(particles) * volume) }
    }
}
