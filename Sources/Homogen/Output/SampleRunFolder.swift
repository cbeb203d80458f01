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

    public let software: String
    public let version: String
    public let command: String
    public let scenario: ScenarioRecord
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
}

/// Writes a `SampleResult` as a run folder: `summary.json`, `histogram_NNN.csv` per output
/// time and, when positions were kept, `positions_NNN.npy`. The folder appears whole.
public enum SampleRunFolder {
    public static func write(_ r: SampleResult, to path: String, command: String = "sample") throws -> SampleSummary {
        let s = r.scenario
        var outputs: [SampleSummary.Output] = []
        let summaryHolder = SummaryHolder()
        try AtomicFile.writeFolder(at: path) { dir in
            for (k, snap) in r.snapshots.enumerated() {
                let csvName = String(format: "histogram_%03d.csv", k)
                try write(Data(histogramCSV(r, snap).utf8), dir, csvName)
                var npyName: String?
                if let p = snap.positions {
                    npyName = String(format: "positions_%03d.npy", k)
                    let shape = s.dimension == 1 ? [s.particles.count] : [s.particles.count, 2]
                    try write(NPY.encode(p, shape: shape), dir, npyName!)
                }
                outputs.append(.init(
                    index: k, t: snap.time, histogram: csvName, positions: npyName,
                    particles: Int(snap.counts.reduce(0, +))))
            }
            let summary = SampleSummary(
                software: "homogen", version: HomogenVersion.current, command: command,
                scenario: ScenarioRecord(s), seed: s.particles.seed, threads: r.threads,
                generator: RandomStream.generatorName, blockSize: r.blockSize, blocks: r.blocks,
                blockSeedRule: "seed(s, b) = 1 + (splitmix64(s) mod (2^32-1) + b * 0x9E3779B1) mod (2^32-1)",
                vectorKernels: r.vectorKernels, steps: r.steps, seconds: r.seconds,
                nsPerParticleStep: r.nsPerParticleStep, initialAcceptanceRate: r.initialAcceptanceRate,
                outputs: outputs)
            try write(try JSON.encode(summary), dir, "summary.json")
            summaryHolder.value = summary
        }
        return summaryHolder.value!
    }

    private final class SummaryHolder { var value: SampleSummary? }

    private static func write(_ data: Data, _ dir: String, _ name: String) throws {
        try AtomicFile.write(data, to: (dir as NSString).appendingPathComponent(name))
    }

    /// 1D: `x_lo,x_hi,count,density`; 2D: `x1_lo,x1_hi,x2_lo,x2_hi,count,density`, row-major.
    static func histogramCSV(_ r: SampleResult, _ snap: SampleResult.Snapshot) -> String {
        let m = r.scenario.cells
        let density = r.density(snap)
        func edge(_ i: Int) -> String { "\(Double(i) / Double(m))" }
        var lines: [String] = []
        if r.scenario.dimension == 1 {
            lines.append("x_lo,x_hi,count,density")
            for i in 0..<m { lines.append("\(edge(i)),\(edge(i + 1)),\(Int(snap.counts[i])),\(density[i])") }
        } else {
            lines.append("x1_lo,x1_hi,x2_lo,x2_hi,count,density")
            for i in 0..<m {
                for j in 0..<m {
                    let k = i * m + j
                    lines.append("\(edge(i)),\(edge(i + 1)),\(edge(j)),\(edge(j + 1)),\(Int(snap.counts[k])),\(density[k])")
                }
            }
        }
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
