import Foundation

/// The state of an interrupted sampling run: which blocks are complete and the sum of their
/// histogram counts per output time; for every block in progress, its particles' positions,
/// the number of time steps it has taken, its GSL generator state and its counts so far; and,
/// with positions kept, the positions recorded at the output times. Blocks are independent and
/// deterministic, so resuming continues the blocks in progress from their saved state, runs the
/// remaining ones and adds everything: the result is bit-identical to an uninterrupted run, and
/// no completed time step is lost.
///
/// A checkpoint is a folder with `checkpoint.json` and, with positions, `positions.bin` (raw
/// little-endian float64); both are replaced atomically (temporary file, then rename), and the
/// JSON records the run's fingerprint and an FNV-1a hash of the positions, so that a corrupt or
/// mismatched checkpoint is refused, never half-used.
public struct Checkpoint: Codable, Sendable {
    public let fingerprint: String
    public let blockSize: Int
    public let firstBlock: Int
    public let endBlock: Int
    public let completed: [Int]
    /// Per output time, the summed counts of the completed blocks.
    public let counts: [[Double]]
    public let positionsHash: String?
    /// Blocks in progress at the checkpoint.
    public let inProgress: [BlockState]
    /// A Metropolised run's accepted and proposed moves of the completed blocks per output
    /// interval (`AcceptanceRecorder` layout); nil for Euler–Maruyama.
    public var acceptance: [Int]? = nil

    /// A block stopped at a step boundary.
    public struct BlockState: Codable, Sendable {
        public let block: Int
        /// Iterations of the time schedule already taken (steps and output records).
        public let iterations: Int
        /// Positions, one array per coordinate.
        public let x: [[Double]]
        /// `gsl_rng_state` bytes of the block's generator.
        public let generator: [UInt8]
        /// The block's counts so far, per output time.
        public let counts: [[Double]]
        /// Its initial-draw proposals (for the acceptance rate).
        public let proposals: Int
        /// A Metropolised run's moves of this block so far (`AcceptanceRecorder.pendingState`).
        public var acceptance: [Int]? = nil
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let message: String
        /// The checkpoint was written by a run that kept the positions, and this run does not.
        public var needsPositions = false
        public var description: String { message }
    }

    static func hash(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(format: "%016llx", h)
    }

    /// Writes the checkpoint into `directory` (created if needed), atomically per file.
    func write(to directory: String, positions: Data?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let positions { try AtomicFile.write(positions, to: directory + "/positions.bin") }
        try AtomicFile.write(try JSON.encode(self), to: directory + "/checkpoint.json")
    }

    /// Loads and checks a checkpoint against the run about to resume.
    /// `metropolised`: the run books acceptance counts (then the checkpoint must hold them).
    public static func load(from directory: String, fingerprint: String, blockSize: Int, blocks range: Range<Int>, outputs: Int,
                            cells: Int, positionsBytes: Int?, metropolised: Bool = false) throws -> (Checkpoint, Data?) {
        let file = directory + "/checkpoint.json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Invalid(message: "\(file): missing (is \(directory) a checkpoint folder?)")
        }
        let c: Checkpoint
        do { c = try JSON.decode(Checkpoint.self, from: data) } catch {
            throw Invalid(message: "\(file): corrupt (\(error))")
        }
        guard c.fingerprint == fingerprint else {
            throw Invalid(message: "\(file) belongs to another run (fingerprint \(c.fingerprint), this run \(fingerprint): scenario, seed, version or block size differ)")
        }
        guard c.blockSize == blockSize, c.firstBlock == range.lowerBound, c.endBlock == range.upperBound else {
            throw Invalid(message: "\(file) covers blocks \(c.firstBlock)..<\(c.endBlock), this run \(range)")
        }
        guard c.counts.count == outputs, c.counts.allSatisfy({ $0.count == cells }),
              c.completed.allSatisfy({ range.contains($0) }), Set(c.completed).count == c.completed.count,
              c.inProgress.allSatisfy({ range.contains($0.block) && !c.completed.contains($0.block)
                  && $0.counts.count == outputs && $0.counts.allSatisfy { $0.count == cells } }) else {
            throw Invalid(message: "\(file): corrupt (counts or completed blocks do not fit this run)")
        }
        if metropolised {
            guard c.acceptance?.count == 2 * outputs, c.inProgress.allSatisfy({ $0.acceptance?.count == 2 * outputs + 2 }) else {
                throw Invalid(message: "\(file): corrupt (no acceptance counts for this Metropolised run)")
            }
        }
        var positions: Data?
        if let bytes = positionsBytes {
            guard let p = FileManager.default.contents(atPath: directory + "/positions.bin"), p.count == bytes,
                  hash(p) == c.positionsHash else {
                throw Invalid(message: "\(directory)/positions.bin: missing, truncated or not the one checkpoint.json was written with")
            }
            positions = p
        } else if c.positionsHash != nil {
            throw Invalid(message: "\(file) was written by a run that keeps the particle positions; resume it keeping them too",
                          needsPositions: true)
        }
        return (c, positions)
    }
}
