import Foundation

/// `summary.json` of a sampling run (keys in snake_case).
public struct SampleSummary: Codable, Sendable {
    public struct Output: Codable, Sendable {
        public let index: Int
        public let t: Double
        /// CSV with cell edges, counts and density.
        public let histogram: String
        /// `.npy` with the positions (N or N×2), when kept.
        public let positions: String?
        public let particles: Int
    }

    /// Which blocks a partial run folder (a shard) holds.
    public struct Shard: Codable, Sendable, Equatable {
        public let index: Int
        public let count: Int
        /// Blocks [first, end).
        public let firstBlock: Int
        public let endBlock: Int
        public let particles: Int
    }

    public let software: String
    public let version: String
    public let command: String
    public let scenario: ScenarioRecord
    /// FNV-1a (64-bit) of the resolved scenario, seed, software version and block size: shards
    /// merge only with shards of the same fingerprint.
    public let fingerprint: String
    /// Set in a shard's partial run folder.
    public let shard: Shard?
    /// Set in a merged run folder: the shard folders it came from, in shard order.
    public let mergedFrom: [String]?
    public let seed: UInt64
    public let threads: Int
    public let generator: String
    public let blockSize: Int
    public let blocks: Int
    public let blockSeedRule: String
    public let vectorKernels: String
    public let steps: Int
    public let seconds: Double
    public let nsPerParticleStep: Double
    public let initialAcceptanceRate: Double
    public let outputs: [Output]
    /// The check of the time step (`TimeStepControl`): the steps tried, their estimated bias
    /// against the run's Monte Carlo noise and the decision. Absent when the step was not checked.
    public var timeStepControl: TimeStepControl.Report? = nil
    /// The particle scheme ("em" or "metropolis"; absent in folders written before schemes).
    public var scheme: String? = nil
    /// A Metropolised run's accepted and proposed moves per output interval; absent for
    /// Euler–Maruyama.
    public var acceptance: [AcceptanceInterval]? = nil
}

/// A Metropolised run's moves between two consecutive output times (the first interval starts
/// at t = 0), summed over all particles: `rate` = accepted / proposed (absent when nothing was
/// proposed, e.g. an output at t = 0). In `summary.json` of sample and compare run folders.
public struct AcceptanceInterval: Codable, Sendable, Equatable {
    public let index: Int
    public let from: Double
    public let to: Double
    public let accepted: Int
    public let proposed: Int
    public let rate: Double?

    /// One interval per snapshot of a Metropolised result; nil for Euler–Maruyama.
    public static func list(_ r: SampleResult) -> [AcceptanceInterval]? {
        guard r.snapshots.allSatisfy({ $0.moves != nil }), !r.snapshots.isEmpty else { return nil }
        return r.snapshots.enumerated().map { k, snap in
            AcceptanceInterval(index: k, from: k == 0 ? 0 : r.snapshots[k - 1].time, to: snap.time,
                               accepted: snap.moves!.accepted, proposed: snap.moves!.proposed, rate: snap.moves!.rate)
        }
    }
}

/// Writes a `SampleResult` as a run folder: `summary.json`, `densities_NNN.csv` per output
/// time and, when positions were kept, `positions_NNN.npy`. The folder appears whole.
public enum SampleRunFolder {
    public static func write(_ r: SampleResult, to path: String, command: String = "sample",
                             shard: (index: Int, count: Int)? = nil) throws -> SampleSummary {
        let s = r.scenario
        var outputs: [SampleSummary.Output] = []
        let summaryHolder = SummaryHolder()
        try AtomicFile.writeFolder(at: path) { dir in
            for (k, snap) in r.snapshots.enumerated() {
                let csvName = String(format: "densities_%03d.csv", k)
                try write(Data(histogramCSV(counts: snap.counts, particles: r.particlesInRange, cells: s.cells,
                                            dimension: s.dimension).utf8), dir, csvName)
                var npyName: String?
                if let p = snap.positions {
                    npyName = String(format: "positions_%03d.npy", k)
                    let shape = s.dimension.positionShape(particles: r.particlesInRange)
                    try write(NPY.encode(p, shape: shape), dir, npyName!)
                }
                outputs.append(.init(
                    index: k, t: snap.time, histogram: csvName, positions: npyName,
                    particles: Int(snap.counts.reduce(0, +))))
            }
            let summary = SampleSummary(
                software: "homogen", version: HomogenVersion.current, command: command,
                scenario: ScenarioRecord(s), fingerprint: try s.runFingerprint(scheme: r.scheme),
                shard: shard.map { .init(index: $0.index, count: $0.count, firstBlock: r.blockRange.lowerBound,
                                         endBlock: r.blockRange.upperBound, particles: r.particlesInRange) },
                mergedFrom: nil, seed: s.particles.seed, threads: r.threads,
                generator: RandomStream.generatorName, blockSize: r.blockSize, blocks: r.blocks,
                blockSeedRule: "seed(s, b) = 1 + (splitmix64(s) mod (2^32-1) + b * 0x9E3779B1) mod (2^32-1)",
                vectorKernels: r.vectorKernels, steps: r.steps, seconds: r.seconds,
                nsPerParticleStep: r.nsPerParticleStep, initialAcceptanceRate: r.initialAcceptanceRate,
                outputs: outputs, timeStepControl: r.timeStepControl, scheme: r.scheme.rawValue,
                acceptance: AcceptanceInterval.list(r))
            try write(try JSON.encodeSummary(summary), dir, "summary.json")
            summaryHolder.value = summary
        }
        return summaryHolder.value!
    }

    private final class SummaryHolder { var value: SampleSummary? }

    /// What the run fingerprint saw differ between a sample folder and the run asked for: the
    /// scenario's entries (as the run folders record them; the derived `facts` only when nothing
    /// else differs), the version and the block size, each with both values.
    static func differences(_ summary: SampleSummary, _ s: Scenario) throws -> [String] {
        func entries(_ r: ScenarioRecord) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: JSON.encode(r)) as? [String: Any] ?? [:]
            return object.mapValues { value in
                (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
            }
        }
        let theirs = try entries(summary.scenario), ours = try entries(ScenarioRecord(s))
        var found = Set(theirs.keys).union(ours.keys).sorted().filter { theirs[$0] != ours[$0] && $0 != "facts" }.map {
            "\($0) \(theirs[$0] ?? "-") in the folder, \(ours[$0] ?? "-") here"
        }
        if summary.version != HomogenVersion.current {
            found.append("version \(summary.version) in the folder, \(HomogenVersion.current) here")
        }
        if summary.blockSize != BlockPlan.standardBlockSize {
            found.append("block size \(summary.blockSize) in the folder, \(BlockPlan.standardBlockSize) here")
        }
        if found.isEmpty, theirs["facts"] != ours["facts"] { found.append("the scenario's checked facts") }
        return found
    }

    /// Reads a complete (not partial) sample run folder of `scenario` back into a `SampleResult`;
    /// refuses a folder of another run (fingerprint) or a shard.
    public static func read(_ folder: String, scenario s: Scenario) throws -> SampleResult {
        let file = (folder as NSString).appendingPathComponent("summary.json")
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ShardMerge.MergeError(message: "\(file): missing (is \(folder) a sample run folder?)", missing: true)
        }
        let summary: SampleSummary
        do { summary = try JSON.decode(SampleSummary.self, from: data) } catch {
            throw ShardMerge.MergeError(message: "\(file): not a sample summary (\(ShardMerge.decodingProblem(error))); "
                                        + "give a run folder written by `homogen sample`")
        }
        // The folder's own time step (the sampler's time-step control may have chosen it).
        let s = try s.replacing(time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: summary.scenario.dt))
        let scheme = try summary.scheme.map { name in
            guard let k = SchemeKind(name: name) else {
                throw ShardMerge.MergeError(message: "\(file): unknown scheme '\(name)'")
            }
            return k
        } ?? .em
        guard summary.fingerprint == (try s.runFingerprint(scheme: scheme)) else {
            let found = try differences(summary, s)
            throw ShardMerge.MergeError(
                message: "\(folder) was sampled from another run: "
                    + (found.isEmpty ? "another scenario, seed, particle count or version" : found.joined(separator: "; "))
                    + " (fingerprint \(summary.fingerprint), this run's \(try s.runFingerprint(scheme: scheme)))")
        }
        guard summary.shard == nil else {
            throw ShardMerge.MergeError(message: "\(folder) is a shard; merge the shards first (homogen merge)")
        }
        if scheme.isMetropolised, summary.acceptance?.count != summary.outputs.count {
            throw ShardMerge.MergeError(message: "\(file): a \(scheme.rawValue) run without its acceptance counts per output time")
        }
        let snapshots = try summary.outputs.enumerated().map { k, o in
            SampleResult.Snapshot(
                time: o.t,
                counts: try ShardMerge.readCounts((folder as NSString).appendingPathComponent(o.histogram), dimension: s.dimension),
                positions: try o.positions.map { try ShardMerge.readNPY((folder as NSString).appendingPathComponent($0)) },
                moves: summary.acceptance.map { SampleResult.Moves(accepted: $0[k].accepted, proposed: $0[k].proposed) })
        }
        var result = SampleResult(
            scenario: s, threads: summary.threads, blockSize: summary.blockSize, blocks: summary.blocks,
            blockRange: 0..<summary.blocks, particlesInRange: s.particles.count, steps: summary.steps,
            seconds: summary.seconds, initialAcceptanceRate: summary.initialAcceptanceRate,
            vectorKernels: summary.vectorKernels, snapshots: snapshots, scheme: scheme)
        result.timeStepControl = summary.timeStepControl
        return result
    }

    private static func write(_ data: Data, _ dir: String, _ name: String) throws {
        try AtomicFile.write(data, to: (dir as NSString).appendingPathComponent(name))
    }

    /// 1D: `x_lo,x_hi,count,density`; 2D: `x1_lo,x1_hi,x2_lo,x2_hi,count,density`, row-major.
    static func histogramCSV(counts: [Double], particles: Int, cells m: Int, dimension: TorusDimension) -> String {
        let density = SampleResult.density(counts: counts, particles: particles, cells: m, dimension: dimension)
        let lines = [dimension.cellBoundsHeader + ",count,density"]
            + counts.indices.map { "\(dimension.cellBounds($0, perAxis: m)),\(Int(counts[$0])),\(density[$0])" }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// JSON as the run folders write it: sorted keys, snake_case, pretty-printed.
public enum JSON {
    /// `snakeCase: false` keeps the coding keys as written (for keys like "A_hom").
    public static func encode<T: Encodable>(_ value: T, snakeCase: Bool = true) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if snakeCase { e.keyEncodingStrategy = .convertToSnakeCase }
        var data = try e.encode(value)
        data.append(0x0A)
        return data
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(type, from: data)
    }
}
