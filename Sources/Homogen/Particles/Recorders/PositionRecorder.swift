/// Every particle's position at each record, into one buffer shared by all workers (each block
/// writes only its own particles): record k of particle p (relative to the first particle of the
/// run or shard) at `k * particles * d + p * d + c`, coordinates interleaved by particle. Its state
/// is the buffer itself, which a checkpoint saves whole (`positions-HASH.bin`), so it has no
/// `RecorderState`.
final class PositionRecorder: ParticleRecorder {
    let buffer: UnsafeMutablePointer<Double>
    /// Particles the buffer covers (the run's or the shard's).
    let particles: Int
    /// The first particle the buffer covers.
    let firstParticle: Int
    let dimension: TorusDimension

    init(buffer: UnsafeMutablePointer<Double>, particles: Int, firstParticle: Int, dimension: TorusDimension) {
        self.buffer = buffer
        self.particles = particles
        self.firstParticle = firstParticle
        self.dimension = dimension
    }

    func beginBlock(_ block: ParticleBlock) {}

    func record(_ block: ParticleBlock, at k: Int) {
        let d = dimension.count
        let base = buffer + k * particles * d + (block.firstParticle - firstParticle) * d
        for i in 0..<block.count { for c in 0..<d { base[i * d + c] = block.x[c][i] } }
    }

    func commitBlock() {}
    var committedState: RecorderState? { nil }
    var pendingState: RecorderState? { nil }
    func restorePending(_ state: RecorderState) {}
}
