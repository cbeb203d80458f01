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
    /// The run's length (--final, or the scenario's [time] final).
    public let final: Double
    public let burnIn: Double
    public let burnInRule: String
    public let recordEvery: Int
    public let batches: Int
    public let acceptanceRate: Double?
    public let tauInt: [String: Double]
    public let ess: [String: Double]
    public let observableMeans: [String: Double]
    public let observableExact: [String: Double]
    /// The tests of the particles against π_ε: on the output grid, and on one cell per ε-period
    /// (the coarse-grained π_ε).
    public let chi2PValuePiEps: Double
    public let chi2PValuePiEpsCoarse: Double
    public let totalVariationPiEps: Double
    public let totalVariationPiEpsCoarse: Double
    public let coveragePiEps: Double
    public let coveragePiEpsCoarse: Double
    /// The largest-|z| tests (Bonferroni over the cells) on the two grids (nil in folders written
    /// before they existed).
    public let maxZPValuePiEps: Double?
    public let maxZPValuePiEpsCoarse: Double?
    /// The cells those tests ran over (those with 10 independent samples per batch expected under π_ε).
    public let maxZCellsPiEps: Int?
    public let maxZCellsPiEpsCoarse: Int?
    public let w2PiEps: Double?
    public let worstCellsPiEps: [[Double]]
    public let worstCellsPiEpsCoarse: [[Double]]
    /// No test rejects at level 0.01/4 (Bonferroni over the four: Hotelling and the largest |z| on each grid).
    public let consistentWithPiEps: Bool
    /// Coarse-grained π_ε against π̄ (exact, not a test), at this ε and, where cheap, at ε/2, ε/4.
    public let homogenisationError: HomogenisationError
    public let homogenisationErrorVsEpsilon: [HomogenisationError]
    /// The burn-in and the run length against the measured τ_int, with the two warning flags.
    public let runLength: RunLengthCheck
    /// The warnings printed by the command (empty when none).
    public let warnings: [String]
    public let dtSweep: DtSweep?
    public let seconds: Double
}

/// Writes a stationary run: `summary.json`, `pi_eps.csv` (output grid) and `pi_eps_coarse.csv`
/// (one cell per ε-period): the cell's edges, estimated probability, standard error, exact
/// probability under π_ε, and in `pi_eps_coarse.csv` also π̄'s.
public enum StationaryRunFolder {
    /// Fewer batches than this leave the batch-means error bars too few degrees of freedom for the
    /// tests to have power (t_{19, 0.975} = 2.09 is within 7% of the normal 1.96).
    public static let fewBatches = 20

    /// The warnings of a run: the run-length check's, too few batches, then the dt sweep's.
    public static func warnings(_ r: StationaryResult, sweep: DtSweep?) -> [String] {
        var batches: [String] = []
        if r.batches < fewBatches {
            let t = Distributions.tQuantile(0.975, degreesOfFreedom: Double(r.batches - 1))
            batches = [String(format: "only %d batches: the standard errors have %d degrees of freedom (95%% intervals of "
                              + "±%.2f SE, against ±1.98 at the default 100) and the tests merge the cells into %d groups, "
                              + "so they have little power to see a wrong law; use %d batches or more (--batches)",
                              r.batches, r.batches - 1, t, r.batches - 1, fewBatches)]
        }
        return r.runLength.warnings + batches + (sweep.map { $0.biasesSignificant ? [] : [DtSweep.notSignificantWarning] } ?? [])
    }

    @discardableResult
    public static func write(_ r: StationaryResult, sweep: DtSweep?, epsilonDependence: [HomogenisationError],
                             to path: String) throws -> StationarySummary {
        var summary: StationarySummary?
        try AtomicFile.writeFolder(at: path) { dir in
            for (name, g) in [("pi_eps.csv", r.fine), ("pi_eps_coarse.csv", r.coarse)] {
                // Cells as in every run folder: x_lo,x_hi (1D) or x1_lo,x1_hi,x2_lo,x2_hi (2D, row-major:
                // x1 slowest), then the probabilities of the cell.
                let dimension = r.scenario.dimension
                let coarse = name == "pi_eps_coarse.csv"
                var lines = [dimension.cellBoundsHeader + ",estimate,standard_error,exact" + (coarse ? ",pi_bar" : "")]
                for c in g.estimate.indices {
                    let cell = dimension.cellBounds(c, perAxis: g.cells)
                    lines.append("\(cell),\(g.estimate[c]),\(g.standardError[c]),\(g.exact[c])" + (coarse ? ",\(r.piBarCoarse[c])" : ""))
                }
                try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/" + name)
            }
            func dict(_ v: [Double]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(r.observables, v)) }
            let s = StationarySummary(
                software: "homogen", version: HomogenVersion.current, command: "stationary", scenario: ScenarioRecord(r.scenario),
                scheme: r.scheme.rawValue, dt: r.dt, steps: r.steps, final: Double(r.steps) * r.dt, burnIn: Double(r.burnInSteps) * r.dt,
                burnInRule: r.burnInRule, recordEvery: r.recordEvery, batches: r.batches,
                acceptanceRate: r.acceptanceRate, tauInt: dict(r.tauInt), ess: dict(r.ess),
                observableMeans: dict(r.observableMeans), observableExact: dict(r.observableExact),
                chi2PValuePiEps: r.fine.pValue, chi2PValuePiEpsCoarse: r.coarse.pValue,
                totalVariationPiEps: r.fine.totalVariation, totalVariationPiEpsCoarse: r.coarse.totalVariation,
                coveragePiEps: r.fine.coverage, coveragePiEpsCoarse: r.coarse.coverage,
                maxZPValuePiEps: r.fine.maxZPValue, maxZPValuePiEpsCoarse: r.coarse.maxZPValue,
                maxZCellsPiEps: r.fine.maxZCells, maxZCellsPiEpsCoarse: r.coarse.maxZCells, w2PiEps: r.w2PiEps,
                worstCellsPiEps: r.fine.worstCells, worstCellsPiEpsCoarse: r.coarse.worstCells,
                consistentWithPiEps: r.consistentWithPiEps,
                homogenisationError: r.homogenisationError, homogenisationErrorVsEpsilon: epsilonDependence,
                runLength: r.runLength, warnings: warnings(r, sweep: sweep), dtSweep: sweep, seconds: r.seconds)
            try AtomicFile.write(try JSON.encodeSummary(s), to: dir + "/summary.json")
            summary = s
        }
        return summary!
    }
}
