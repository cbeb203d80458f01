import Foundation

/// `summary.json` of `homogen stationary`.
public struct StationarySummary: Codable, Sendable {
    public let software: String
    public let version: String
    public let command: String
    public let scenario: ScenarioRecord
    public let scheme: String
    public let dt: Double
    public let steps: Int
    public let burnIn: Double
    public let burnInRule: String
    public let recordEvery: Int
    public let batches: Int
    public let acceptanceRate: Double?
    public let tauInt: [String: Double]
    public let ess: [String: Double]
    public let observableMeans: [String: Double]
    public let observableExact: [String: Double]
    public let chi2PValuePiEps: Double
    public let chi2PValuePiBar: Double
    public let totalVariationPiEps: Double
    public let totalVariationPiBar: Double
    public let coveragePiEps: Double
    public let coveragePiBar: Double
    public let w2PiEps: Double?
    public let worstCellsPiEps: [[Double]]
    public let worstCellsPiBar: [[Double]]
    public let dtSweep: DtSweep?
    public let seconds: Double
}

/// Writes a stationary run: `summary.json`, `pi_eps.csv` and `pi_bar.csv` (the cell's edges,
/// estimated probability, standard error, exact probability).
public enum StationaryRunFolder {
    @discardableResult
    public static func write(_ r: StationaryResult, sweep: DtSweep?, to path: String) throws -> StationarySummary {
        var summary: StationarySummary?
        try AtomicFile.writeFolder(at: path) { dir in
            for (name, g) in [("pi_eps.csv", r.fine), ("pi_bar.csv", r.coarse)] {
                // Cells as in every run folder: x_lo,x_hi (1D) or x1_lo,x1_hi,x2_lo,x2_hi (2D, row-major:
                // x1 slowest), then the probabilities of the cell.
                let m = g.cells, dimension = r.scenario.dimension
                func edge(_ i: Int) -> String { "\(Double(i) / Double(m))" }
                var lines = [(dimension == 1 ? "x_lo,x_hi" : "x1_lo,x1_hi,x2_lo,x2_hi") + ",estimate,standard_error,exact"]
                for c in g.estimate.indices {
                    let cell = dimension == 1 ? "\(edge(c)),\(edge(c + 1))"
                        : "\(edge(c / m)),\(edge(c / m + 1)),\(edge(c % m)),\(edge(c % m + 1))"
                    lines.append("\(cell),\(g.estimate[c]),\(g.standardError[c]),\(g.exact[c])")
                }
                try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/" + name)
            }
            func dict(_ v: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(r.observables, v)) }
            let s = StationarySummary(
                software: "homogen", version: HomogenVersion.current, command: "stationary", scenario: ScenarioRecord(r.scenario),
                scheme: r.scheme.rawValue, dt: r.dt, steps: r.steps, burnIn: Double(r.burnInSteps) * r.dt,
                burnInRule: "the first 20% of [time] final", recordEvery: r.recordEvery, batches: r.batches,
                acceptanceRate: r.acceptanceRate, tauInt: dict(r.tauInt), ess: dict(r.ess),
                observableMeans: dict(r.observableMeans), observableExact: dict(r.observableExact),
                chi2PValuePiEps: r.fine.chi2PValue, chi2PValuePiBar: r.coarse.chi2PValue,
                totalVariationPiEps: r.fine.totalVariation, totalVariationPiBar: r.coarse.totalVariation,
                coveragePiEps: r.fine.coverage, coveragePiBar: r.coarse.coverage, w2PiEps: r.w2PiEps,
                worstCellsPiEps: r.fine.worstCells, worstCellsPiBar: r.coarse.worstCells, dtSweep: sweep, seconds: r.seconds)
            try AtomicFile.write(try JSON.encodeSummary(s), to: dir + "/summary.json")
            summary = s
        }
        return summary!
    }
}
