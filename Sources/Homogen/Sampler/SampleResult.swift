import Foundation

/// The solution of a sampling run: histograms (and optionally positions) at each output time,
/// with the metadata that makes it reproducible. `SampleRunFolder` writes it to disk.
public struct SampleResult: Sendable {
    public struct Snapshot: Sendable {
        public let time: Double
        /// Particle counts per cell: `cells` in 1D, `cells²` row-major (i1 * cells + i2) in 2D.
        public let counts: [Double]
        /// Positions, interleaved by particle (x1, x2, x1, x2, ... in 2D), when kept.
        public let positions: [Double]?
        /// A Metropolised run's moves in the interval from the previous output time (or the start)
        /// to this one, over all particles counted; nil for Euler–Maruyama.
        public let moves: Moves?

        public init(time: Double, counts: [Double], positions: [Double]?, moves: Moves? = nil) {
            self.time = time; self.counts = counts; self.positions = positions; self.moves = moves
        }
    }

    /// Accepted and proposed moves of a Metropolised scheme over an interval.
    public struct Moves: Sendable, Equatable {
        public let accepted: Int
        public let proposed: Int
        public init(accepted: Int, proposed: Int) { self.accepted = accepted; self.proposed = proposed }
        /// accepted / proposed (nil when nothing was proposed).
        public var rate: Double? { proposed > 0 ? Double(accepted) / Double(proposed) : nil }
    }

    /// A result assembled from parts (the MPI mode reduces the ranks' shards into one).
    public init(scenario: Scenario, threads: Int, blockSize: Int, blocks: Int, blockRange: Range<Int>,
                particlesInRange: Int, steps: Int, seconds: Double, initialAcceptanceRate: Double,
                vectorKernels: String, snapshots: [Snapshot], scheme: SchemeKind = .em) {
        self.scenario = scenario; self.threads = threads; self.blockSize = blockSize; self.blocks = blocks
        self.blockRange = blockRange; self.particlesInRange = particlesInRange; self.steps = steps
        self.seconds = seconds; self.initialAcceptanceRate = initialAcceptanceRate
        self.vectorKernels = vectorKernels; self.snapshots = snapshots; self.scheme = scheme
    }

    /// The scheme that stepped the particles.
    public let scheme: SchemeKind

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

    /// A Metropolised run's moves over the whole run (nil for Euler–Maruyama).
    public var totalMoves: Moves? {
        let m = snapshots.compactMap(\.moves)
        guard !m.isEmpty else { return nil }
        return Moves(accepted: m.reduce(0) { $0 + $1.accepted }, proposed: m.reduce(0) { $0 + $1.proposed })
    }

    /// Particle-steps a resumed run found done in its checkpoint (0 for a run from the start):
    /// `seconds` timed only the rest.
    public var resumedParticleSteps = 0.0

    /// Wall nanoseconds per particle-step, all threads together, over the particle-steps this run
    /// took (a resumed run's excluding those of its checkpoint).
    public var nsPerParticleStep: Double {
        seconds * 1e9 / max(Double(particlesInRange) * Double(max(steps, 1)) - resumedParticleSteps, 1)
    }

    /// Density of each cell: count / (N · cell volume), N the particles counted.
    public func density(_ snapshot: Snapshot) -> [Double] {
        SampleResult.density(counts: snapshot.counts, particles: particlesInRange, cells: scenario.cells,
                             dimension: scenario.dimension)
    }

    public static func density(counts: [Double], particles: Int, cells: Int, dimension: TorusDimension) -> [Double] {
        let volume = 1 / Double(dimension.cells(perAxis: cells))
        return counts.map { $0 / (Double(particles) * volume) }
    }
}
