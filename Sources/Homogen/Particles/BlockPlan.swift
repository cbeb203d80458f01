/// How a run's particles are cut into blocks, the unit of work, randomness and distribution.
///
/// Block b holds particles b·blockSize ..< min((b+1)·blockSize, N) and is driven by its own GSL
/// stream seeded from (run seed, b) (`BlockSeeds`), so a block's trajectory does not depend on
/// which thread, shard, process or MPI rank runs it. Shards are contiguous block ranges.
public struct BlockPlan: Sendable, Equatable {
    /// Particles per random stream: part of the definition of a run's output (changing it changes
    /// every trajectory, so it enters the run fingerprint).
    public static let standardBlockSize = 1024

    public let particles: Int
    public let blockSize: Int

    public init(particles: Int, blockSize: Int = BlockPlan.standardBlockSize) {
        precondition(particles >= 1 && blockSize >= 1)
        self.particles = particles
        self.blockSize = blockSize
    }

    public var blockCount: Int { (particles + blockSize - 1) / blockSize }

    /// Index of the first particle of `block`.
    public func firstParticle(of block: Int) -> Int { block * blockSize }

    /// Particles in `block` (the last block may be short).
    public func particles(in block: Int) -> Int { min(blockSize, particles - block * blockSize) }

    /// Particles in a range of blocks.
    public func particles(in blocks: Range<Int>) -> Int {
        guard !blocks.isEmpty else { return 0 }
        return min(particles, blocks.upperBound * blockSize) - blocks.lowerBound * blockSize
    }

    /// Shard `index` of `count`: a contiguous, deterministic block range; the shards of one count
    /// cover every block exactly once. Nil when the shard does not exist (index outside 0..<count)
    /// or would be empty (more shards than blocks).
    public func blocks(ofShard index: Int, of count: Int) -> Range<Int>? {
        guard count >= 1, count <= blockCount, index >= 0, index < count else { return nil }
        return (index * blockCount / count)..<((index + 1) * blockCount / count)
    }

    /// The seed of `block`'s stream in a run with seed `run`.
    public func seed(run: UInt64, block: Int) -> UInt64 { BlockSeeds.seed(run: run, block: UInt64(block)) }
}

/// Partial runs (shards, stationary partial results) that must cover a run's blocks exactly once:
/// sorted by their first block, each must start where the previous one ended, the first at 0 and
/// the last at the run's block count. The one check of every merge.
public enum BlockCoverage {
    /// Why the parts do not cover the run.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A part starts before (overlap) or after (gap) the end of the previous one.
        case overlapOrGap(start: Int, expected: Int)
        /// The parts end before the run's last block.
        case shortEnd(end: Int, blocks: Int)

        public var description: String {
            switch self {
            case .overlapOrGap(let start, let expected):
                return "the partial results \(start > expected ? "leave a gap" : "overlap") at block \(min(start, expected))"
            case .shortEnd(let end, let blocks): return "the partial results end at block \(end) of \(blocks) (gap)"
            }
        }
    }

    /// Checks that `ranges` (in any order) cover 0..<blocks exactly once; returns the indices of
    /// `ranges` in block order.
    public static func order(_ ranges: [Range<Int>], blocks: Int) throws(Failure) -> [Int] {
        let order = ranges.indices.sorted { ranges[$0].lowerBound < ranges[$1].lowerBound }
        var expected = 0
        for i in order {
            guard ranges[i].lowerBound == expected else {
                throw .overlapOrGap(start: ranges[i].lowerBound, expected: expected)
            }
            expected = ranges[i].upperBound
        }
        guard expected == blocks else { throw .shortEnd(end: expected, blocks: blocks) }
        return order
    }
}
