/// The particles of one block while a worker steps them: positions stored by coordinate
/// (`x[k][i]`, coordinate k of particle i), the block's random stream and its normals. A worker
/// owns one and reuses it for every block it runs.
final class ParticleBlock {
    let dimension: TorusDimension
    /// Particles the buffers hold (the plan's block size).
    let capacity: Int
    /// The block's index in its run.
    private(set) var index = 0
    /// Particles in this block (≤ capacity).
    private(set) var count = 0
    /// Index, in the run, of the block's first particle.
    private(set) var firstParticle = 0
    /// The block's own stream (see `BlockPlan.seed`).
    private(set) var rng: RandomStream!
    /// Positions, one array of `capacity` per coordinate, always on the unit torus [0, 1)ⁿ.
    let x: [UnsafeMutablePointer<Double>]
    /// The same pointers as a C array (`double *const *`), for the kernels.
    let positionTable: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>
    /// Standard normals of the current step: coordinate k's at `normals + k * capacity`.
    let normals: UnsafeMutablePointer<Double>

    init(dimension: TorusDimension, capacity: Int) {
        self.dimension = dimension
        self.capacity = capacity
        x = dimension.axes.map { _ in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
            p.initialize(repeating: 0, count: capacity)
            return p
        }
        positionTable = .allocate(capacity: dimension.count)
        positionTable.initialize(from: x.map { Optional($0) }, count: dimension.count)
        normals = .allocate(capacity: dimension.count * capacity)
        normals.initialize(repeating: 0, count: dimension.count * capacity)
    }

    deinit {
        for p in x { p.deallocate() }
        positionTable.deallocate()
        normals.deallocate()
    }

    /// Starts block `index` of `plan` with a fresh stream.
    func start(_ index: Int, of plan: BlockPlan, seed: UInt64) {
        precondition(plan.blockSize == capacity)
        self.index = index
        count = plan.particles(in: index)
        firstParticle = plan.firstParticle(of: index)
        rng = RandomStream(seed: plan.seed(run: seed, block: index))
    }

    /// Draws the step's normals: all of coordinate 0 in particle order, then coordinate 1, … (the
    /// stream layout that defines a run's trajectories).
    func drawNormals() {
        for k in dimension.axes { rng.fillGaussian(normals + k * capacity, count: count) }
    }

    /// The normals of coordinate k.
    func normals(_ k: Int) -> UnsafeMutablePointer<Double> { normals + k * capacity }

    /// The positions as arrays (for checkpoints and tests).
    var positionArrays: [[Double]] { x.map { Array(UnsafeBufferPointer(start: $0, count: count)) } }
}
