import Foundation

/// The state of an interrupted particle run (sampling or stationary): which blocks are complete
/// and the committed state of every recorder over them (`RecorderState`: histogram counts,
/// acceptance counts, batch-means accumulators); for every block in progress, its particles'
/// positions, the number of schedule iterations it has taken, its GSL generator state and its
/// recorders' pending states; and, with positions kept, the positions recorded so far. Blocks are
/// independent and deterministic, so resuming continues the blocks in progress from their saved
/// state, runs the remaining ones and adds everything: the result is bit-identical to an
/// uninterrupted run, and no completed time step is lost.
///
/// A checkpoint is a folder with `checkpoint.json` and, with positions, `positions-HASH.bin` (raw
/// little-endian float64, named by its FNV-1a hash); each is written atomically (temporary file,
/// then rename), the positions first and the JSON, which names them by that hash, last; the
/// previous positions file is removed only then. So a kill at any moment leaves the old checkpoint
/// or the new one whole (with one `positions.bin` for both, a kill between the two renames left the
/// new positions beside the old JSON: a checkpoint that could not be resumed, and the run lost).
/// The JSON also records the run's fingerprint and a hash of its own content, so that a corrupt,
/// edited or mismatched checkpoint is refused, never half-used.
public struct Checkpoint: Codable, Sendable {
    public let fingerprint: String
    public let blockSize: Int
    public let firstBlock: Int
    public let endBlock: Int
    public let completed: [Int]
    /// Per recorder of the run, in the composition's order: the committed state of the completed
    /// blocks (nil for a recorder without one).
    public let recorders: [RecorderState?]
    public let positionsHash: String?
    /// Blocks in progress at the checkpoint.
    public let inProgress: [BlockState]
    /// The time step the run samples at (absent in checkpoints written before session 13): lets a
    /// resumed run refuse a foreign checkpoint before it measures its own step (`precheck`).
    public var dt: Double? = nil
    /// The time-step control's decision for `dt` (absent before session 23, and for a run whose
    /// step was not checked): a resume takes it instead of repeating the pilots.
    public var timeStepControl: TimeStepControl.Report? = nil
    /// FNV-1a of this JSON written without this field: an edited or damaged file is refused.
    public var contentHash: String? = nil

    /// A block stopped at a step boundary.
    public struct BlockState: Codable, Sendable {
        public let block: Int
        /// Iterations of the time schedule already taken (steps and records).
        public let iterations: Int
        /// Positions, one array per coordinate.
        public let x: [[Double]]
        /// `gsl_rng_state` bytes of the block's generator.
        public let generator: [UInt8]
        /// Its initial-draw proposals (for the acceptance rate of the initial draw).
        public let proposals: Int
        /// Its recorders' pending states, in the composition's order.
        public let recorders: [RecorderState?]
        /// The scheme's carried values (`ParticleScheme.blockState`; MALA's cache), if any.
        public var scheme: [Double]? = nil
    }

    /// What a run expects of a checkpoint, to refuse one that does not fit it.
    struct Expectation {
        let fingerprint: String
        let blockSize: Int
        let blocks: Range<Int>
        /// Coordinates per particle, and the particles of each block.
        let dimension: Int
        let particlesInBlock: (Int) -> Int
        /// A fresh worker's recorder states (committed, pending): the shapes a checkpoint must have.
        let committed: [RecorderState?]
        let pending: [RecorderState?]
        /// Bytes of `positions.bin`, when the run keeps positions.
        let positionsBytes: Int?
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

    /// The positions file of a checkpoint whose positions hash to `hash`.
    static func positionsFile(_ directory: String, hash: String) -> String { directory + "/positions-\(hash).bin" }

    /// Writes the checkpoint into `directory` (created if needed): the positions, then the JSON
    /// that names them, then the removal of older positions files.
    func write(to directory: String, positions: Data?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let current = positionsHash.map { Self.positionsFile(directory, hash: $0) }
        if let positions, let current { try AtomicFile.write(positions, to: current) }
        var sealed = self
        sealed.contentHash = nil
        sealed.contentHash = Self.hash(try JSON.encode(sealed))
        try AtomicFile.write(try JSON.encode(sealed), to: directory + "/checkpoint.json")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in files where name.hasPrefix("positions") && name.hasSuffix(".bin") && directory + "/" + name != current {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// The step and time-step decision a checkpoint was written with, once it is checked to belong
    /// to this run (`precheck`): a resume samples at that step without repeating the pilots.
    public struct Saved: Sendable {
        public let dt: Double?
        public let timeStepControl: TimeStepControl.Report?
    }

    /// Refuses, before any work that depends on the time step (the time-step pilots), a checkpoint
    /// that cannot be this run's: missing, corrupt, or written for another scenario, seed, scheme,
    /// block size or build at the step it records. (`load` checks everything again at the step
    /// chosen.)
    @discardableResult
    public static func precheck(directory: String, scenario: Scenario, blockSize: Int, scheme: SchemeKind) throws -> Saved {
        let c = try read(from: directory)
        guard let dt = c.dt else { return Saved(dt: nil, timeStepControl: nil) }
        let s = try scenario.replacing(time: TimeSettings(final: scenario.time.final, outputs: scenario.time.outputs, dt: dt))
        let fingerprint = try s.runFingerprint(blockSize: blockSize, scheme: scheme)
        guard c.fingerprint == fingerprint else { throw foreign(directory, c.fingerprint, fingerprint) }
        let control = c.timeStepControl.flatMap { $0.dt == dt && $0.scheme == scheme ? $0 : nil }
        return Saved(dt: dt, timeStepControl: control)
    }

    private static func read(from directory: String) throws -> Checkpoint {
        let file = directory + "/checkpoint.json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Invalid(message: "\(file): missing (is \(directory) a checkpoint folder?)")
        }
        let c: Checkpoint
        do { c = try JSON.decode(Checkpoint.self, from: data) } catch {
            throw Invalid(message: "\(file): corrupt (\(error))")
        }
        if let recorded = c.contentHash {
            var unsealed = c
            unsealed.contentHash = nil
            guard (try? hash(JSON.encode(unsealed))) == recorded else {
                throw Invalid(message: "\(file): corrupt (its content does not match the hash it was written with: edited or damaged)")
            }
        }
        return c
    }

    private static func foreign(_ directory: String, _ theirs: String, _ ours: String) -> Invalid {
        Invalid(message: "\(directory)/checkpoint.json belongs to another run (fingerprint \(theirs), this run \(ours): scenario, seed, version, block size or options differ)")
    }

    /// Loads and checks a checkpoint against the run about to resume.
    static func load(from directory: String, expecting e: Expectation) throws -> (Checkpoint, Data?) {
        let file = directory + "/checkpoint.json"
        let c = try read(from: directory)
        guard c.fingerprint == e.fingerprint else { throw foreign(directory, c.fingerprint, e.fingerprint) }
        let range = e.blocks
        guard c.blockSize == e.blockSize, c.firstBlock == range.lowerBound, c.endBlock == range.upperBound else {
            throw Invalid(message: "\(file) covers blocks \(c.firstBlock)..<\(c.endBlock), this run \(range)")
        }
        var positions: Data?
        if let bytes = e.positionsBytes {
            guard c.positionsHash != nil else {
                throw Invalid(message: "\(file) was written by a run that does not keep the particle positions; resume it "
                              + "without keeping them (no --positions)")
            }
            // (Checkpoints written before session 23 kept one positions.bin.)
            let named = positionsFile(directory, hash: c.positionsHash!)
            let path = FileManager.default.fileExists(atPath: named) ? named : directory + "/positions.bin"
            guard let p = FileManager.default.contents(atPath: path), p.count == bytes,
                  hash(p) == c.positionsHash else {
                throw Invalid(message: "\(named): missing, truncated or not the one checkpoint.json was written with")
            }
            positions = p
        } else if c.positionsHash != nil {
            throw Invalid(message: "\(file) was written by a run that keeps the particle positions; resume it keeping them too",
                          needsPositions: true)
        }
        func fits(_ states: [RecorderState?], _ template: [RecorderState?]) -> Bool {
            states.count == template.count && zip(states, template).allSatisfy { a, b in
                switch (a, b) {
                case (nil, nil): return true
                case let (a?, b?): return a.hasShape(of: b)
                default: return false
                }
            }
        }
        guard fits(c.recorders, e.committed),
              c.completed.allSatisfy({ range.contains($0) }), Set(c.completed).count == c.completed.count,
              c.inProgress.allSatisfy({ b in
                  range.contains(b.block) && !c.completed.contains(b.block) && fits(b.recorders, e.pending)
                      && b.x.count == e.dimension && b.x.allSatisfy { $0.count == e.particlesInBlock(b.block) } }) else {
            throw Invalid(message: "\(file): corrupt (its recorder states or blocks do not fit this run)")
        }
        return (c, positions)
    }
}
