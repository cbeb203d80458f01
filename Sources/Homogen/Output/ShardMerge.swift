import Foundation

/// Combines the partial run folders of a sharded `homogen sample` (`--shard K/N`) into the run
/// folder a single process would have written: histogram counts add as recorder states
/// (`RecorderState`: integers, so the sum does not depend on the order), positions concatenate in
/// block order (`BlockCoverage`), and the data files are
/// byte-identical to the single-process run's; a Metropolised run's acceptance counts add per
/// output interval (integers too). Shards that disagree (fingerprint, shard count),
/// overlap or leave a gap are refused with an error naming the folders; nothing is combined
/// silently.
public enum ShardMerge {
    /// A JSON decoding error in words (a key, a type, a place), without the decoder's debug text.
    static func decodingProblem(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.isEmpty ? "the top level" : keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let key, let c): return "no '\(key.stringValue)' at \(path(c.codingPath))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "an unexpected value at \(path(c.codingPath))"
        case DecodingError.dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "an invalid value at \(path(c.codingPath))"
        default: return "\(error)"
        }
    }

    public struct MergeError: Error, CustomStringConvertible {
        public let message: String
        /// A folder or summary that is not there (an I/O problem, exit 74), not one that is wrong.
        public var missing = false
        public init(message: String, missing: Bool = false) { self.message = message; self.missing = missing }
        public var description: String { message }
    }

    /// Merges the shard folders `folders` (any order) into the run folder `path`.
    @discardableResult
    public static func merge(_ folders: [String], to path: String) throws -> SampleSummary {
        let ordered = try shardsInBlockOrder(folders)
        let first = ordered[0], sc = first.1.scenario
        let totalBlocks = BlockPlan(particles: sc.particles, blockSize: first.1.blockSize).blockCount
        let acceptance = try mergedAcceptance(ordered)
        var outputs: [SampleSummary.Output] = []
        var merged: SampleSummary?
        try AtomicFile.writeFolder(at: path, finish: { dir in
            let seconds = ordered.reduce(0) { $0 + $1.1.seconds }
            let m = SampleSummary(
                software: "homogen", version: HomogenVersion.current, command: "sample", scenario: sc,
                fingerprint: first.1.fingerprint, shard: nil, mergedFrom: ordered.map(\.0), seed: first.1.seed,
                threads: ordered.map(\.1.threads).max()!, generator: first.1.generator, blockSize: first.1.blockSize,
                blocks: totalBlocks, blockSeedRule: first.1.blockSeedRule, vectorKernels: first.1.vectorKernels,
                steps: first.1.steps, seconds: seconds,
                nsPerParticleStep: seconds * 1e9 / (Double(sc.particles) * Double(max(first.1.steps, 1))),
                initialAcceptanceRate: ordered.reduce(0) { $0 + $1.1.initialAcceptanceRate * Double($1.1.shard!.particles) }
                    / Double(sc.particles),
                // The time-step decision is the same in every shard (its pilot is deterministic).
                outputs: outputs, timeStepControl: first.1.timeStepControl, scheme: first.1.scheme, acceptance: acceptance)
            try AtomicFile.write(try JSON.encodeSummary(m), to: (dir as NSString).appendingPathComponent("summary.json"))
            merged = m
        }) { dir in
            for (k, o) in first.1.outputs.enumerated() {
                let parts = try ordered.map { folder, s in
                    RecorderState(counts: try readCounts((folder as NSString).appendingPathComponent(s.outputs[k].histogram),
                                                         dimension: sc.dimension))
                }
                if let bad = parts.firstIndex(where: { !$0.hasShape(of: parts[0]) }) {
                    throw MergeError(message: "\(ordered[bad].0): histogram \(ordered[bad].1.outputs[k].histogram) has \(parts[bad].counts.count) cells, expected \(parts[0].counts.count)")
                }
                // Each shard's histogram counts its own particles, every one of them once.
                for (j, part) in parts.enumerated() {
                    let (folder, s) = ordered[j], file = s.outputs[k].histogram
                    if let bad = part.counts.firstIndex(where: { !($0 >= 0) || $0 != $0.rounded() }) {
                        throw MergeError(message: "\(folder): histogram \(file) has count \(part.counts[bad]) in cell \(bad), not a whole number from 0 (corrupt)")
                    }
                    let total = part.counts.reduce(0, +)
                    guard total == Double(s.shard!.particles) else {
                        throw MergeError(message: "\(folder): histogram \(file) counts \(Int(total)) particles, its summary.json \(s.shard!.particles) (edited or corrupt)")
                    }
                }
                let counts = RecorderState.total(parts)?.counts
                try AtomicFile.write(Data(SampleRunFolder.histogramCSV(counts: counts!, particles: sc.particles, cells: sc.cells,
                                                                        dimension: sc.dimension).utf8),
                                     to: (dir as NSString).appendingPathComponent(o.histogram))
                var npy: String?
                // Some shards with positions and some without: refused, rather than dropping them.
                let withPositions = ordered.filter { $0.1.outputs[k].positions != nil }.map(\.0)
                if !withPositions.isEmpty, withPositions.count < ordered.count {
                    let without = ordered.map(\.0).filter { !withPositions.contains($0) }
                    throw MergeError(message: "\(withPositions.joined(separator: ", ")) kept the positions (--positions) and "
                                     + "\(without.joined(separator: ", ")) did not; run every shard with or every shard without --positions")
                }
                if ordered.allSatisfy({ $0.1.outputs[k].positions != nil }) {
                    var values: [Double] = []
                    for (folder, s) in ordered {
                        let file = (folder as NSString).appendingPathComponent(s.outputs[k].positions!)
                        let shardValues = try readNPY(file)
                        if let bad = shardValues.firstIndex(where: { !$0.isFinite }) {
                            throw MergeError(message: "\(file): entry \(bad) is \(shardValues[bad]), not a finite position (corrupt)")
                        }
                        values += shardValues
                    }
                    let shape = sc.dimension.positionShape(particles: sc.particles)
                    guard values.count == sc.particles * sc.dimension.count else {
                        throw MergeError(message: "the shards' positions hold \(values.count / sc.dimension.count) particles, expected \(sc.particles)")
                    }
                    npy = o.positions
                    try AtomicFile.write(NPY.encode(values, shape: shape), to: (dir as NSString).appendingPathComponent(o.positions!))
                }
                outputs.append(.init(index: k, t: o.t, histogram: o.histogram, positions: npy,
                                     particles: Int(counts!.reduce(0, +))))
            }
        }
        return merged!
    }

    /// Reads the shards' summaries and checks that they are shards of one run covering its blocks
    /// once; returns (folder, summary) in block order.
    private static func shardsInBlockOrder(_ folders: [String]) throws -> [(String, SampleSummary)] {
        guard !folders.isEmpty else { throw MergeError(message: "give at least one shard folder") }
        let shards = try folders.map { folder -> (String, SampleSummary) in
            let file = (folder as NSString).appendingPathComponent("summary.json")
            guard let data = FileManager.default.contents(atPath: file) else {
                throw MergeError(message: "\(file): missing (is \(folder) a shard's run folder?)", missing: true)
            }
            do {
                return (folder, try JSON.decode(SampleSummary.self, from: data))
            } catch {
                throw MergeError(message: "\(file): not a sample summary (\(Self.decodingProblem(error))); "
                                 + "merge takes the run folders written by `homogen sample` (its shards)")
            }
        }
        let first = shards[0]
        for (folder, s) in shards {
            guard let shard = s.shard else { throw MergeError(message: "\(folder) is not a shard (no 'shard' in its summary.json)") }
            guard shard.firstBlock >= 0, shard.firstBlock <= shard.endBlock else {
                throw MergeError(message: "\(folder): its summary.json gives blocks \(shard.firstBlock)..<\(shard.endBlock) (corrupt)")
            }
            guard s.fingerprint == first.1.fingerprint else {
                throw MergeError(message: "\(folder) and \(first.0) come from different runs (fingerprints \(s.fingerprint) and \(first.1.fingerprint): scenario, seed, version or block size differ)")
            }
            guard shard.count == first.1.shard!.count else {
                throw MergeError(message: "\(folder) is shard \(shard.index)/\(shard.count) but \(first.0) is one of \(first.1.shard!.count)")
            }
            guard shard.count >= 1, (0..<shard.count).contains(shard.index), shard.particles >= 0 else {
                throw MergeError(message: "\(folder): its summary.json gives shard \(shard.index)/\(shard.count) of \(shard.particles) particles (corrupt)")
            }
            // The fingerprint is a stored string: the fields it stands for are compared too (a
            // review merged an Euler–Maruyama shard whose fingerprint had been edited to match).
            let differing = [("scenario", s.scenario == first.1.scenario), ("seed", s.seed == first.1.seed),
                             ("scheme", s.scheme == first.1.scheme), ("version", s.version == first.1.version),
                             ("steps", s.steps == first.1.steps), ("block size", s.blockSize == first.1.blockSize),
                             ("output times", s.outputs.map(\.t) == first.1.outputs.map(\.t)),
                             ("time step", s.timeStepControl?.dt == first.1.timeStepControl?.dt)].filter { !$0.1 }.map(\.0)
            guard differing.isEmpty else {
                throw MergeError(message: "\(folder) and \(first.0) differ in their \(differing.joined(separator: ", ")) (summary.json), "
                                 + "though their fingerprints agree: an edited or foreign shard")
            }
        }
        let count = first.1.shard!.count
        var byIndex: [Int: (String, SampleSummary)] = [:]
        for (folder, s) in shards {
            if let other = byIndex[s.shard!.index] {
                throw MergeError(message: "\(folder) and \(other.0) are both shard \(s.shard!.index)/\(count) (overlap)")
            }
            byIndex[s.shard!.index] = (folder, s)
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw MergeError(message: "shards \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) are missing (gap)")
        }
        let sc = first.1.scenario
        guard sc.particles >= 1, first.1.blockSize >= 1 else {
            throw MergeError(message: "\(first.0): its summary.json gives \(sc.particles) particles in blocks of \(first.1.blockSize) (corrupt)")
        }
        let totalBlocks = BlockPlan(particles: sc.particles, blockSize: first.1.blockSize).blockCount
        let ordered: [(String, SampleSummary)]
        do {
            ordered = try BlockCoverage.order(shards.map { $0.1.shard!.firstBlock..<$0.1.shard!.endBlock }, blocks: totalBlocks)
                .map { shards[$0] }
        } catch {
            throw MergeError(message: "the shards do not cover the run's blocks: \(error)")
        }
        return ordered
    }

    /// A Metropolised run's acceptance counts: every shard must hold them, per output time; they
    /// add as recorder states, as the workers' do. Nil for a run without them.
    private static func mergedAcceptance(_ ordered: [(String, SampleSummary)]) throws -> [AcceptanceInterval]? {
        let first = ordered[0]
        var acceptance: [AcceptanceInterval]?
        if let firstIntervals = first.1.acceptance {
            let moves = try ordered.map { folder, s -> RecorderState in
                guard let a = s.acceptance, a.count == firstIntervals.count else {
                    throw MergeError(message: "\(folder): no acceptance counts for its \(firstIntervals.count) output times, unlike \(first.0)")
                }
                return RecorderState(integers: a.flatMap { [$0.accepted, $0.proposed] })
            }
            let total = RecorderState.total(moves)!.integers
            acceptance = firstIntervals.indices.map { k in
                let m = SampleResult.Moves(accepted: total[2 * k], proposed: total[2 * k + 1])
                return AcceptanceInterval(index: k, from: firstIntervals[k].from, to: firstIntervals[k].to,
                                          accepted: m.accepted, proposed: m.proposed, rate: m.rate)
            }
        }
        return acceptance
    }

    /// The integer `count` column of a histogram CSV, parsed byte by byte (64 shards of a
    /// 256 × 256 grid are millions of lines; splitting strings would dominate the merge).
    static func readCounts(_ file: String, dimension: TorusDimension) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: file) else { throw MergeError(message: "\(file): cannot read") }
        let column = dimension.countColumn
        let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        var counts: [Double] = []
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0, line = 1
            while i < b.count, b[i] != newline { i += 1 }   // header
            i += 1
            while i < b.count {
                line += 1
                var field = 0
                while i < b.count, field < column, b[i] != newline { if b[i] == comma { field += 1 }; i += 1 }
                var value = 0, digits = 0
                while i < b.count, b[i] >= zero, b[i] <= nine { value = value * 10 + Int(b[i] - zero); digits += 1; i += 1 }
                guard field == column, digits > 0, i < b.count, b[i] == comma else {
                    throw MergeError(message: "\(file), line \(line): malformed")
                }
                counts.append(Double(value))
                while i < b.count, b[i] != newline { i += 1 }
                i += 1
            }
        }
        return counts
    }

    static func readNPY(_ file: String) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: file) else { throw MergeError(message: "\(file): cannot read") }
        do { return try NPY.decode(data).0 } catch { throw MergeError(message: "\(file): \(error.reason)") }
    }
}
