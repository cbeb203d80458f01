import Foundation

/// `summary.json` of `homogen compare`.
public struct CompareSummary: Codable, Sendable {
    public let software: String
    public let version: String
    public let command: String
    public let scenario: ScenarioRecord
    public let particles: Int
    public let seed: UInt64
    /// The bootstrap's maximum draws (sequential Monte Carlo p-values).
    public let bootstrapRepetitions: Int
    /// The verdict's level α (Holm over all tests) and the verdict: true when the particles agree
    /// with the ε-PDE at every output time.
    public let significance: Double
    public let consistent: Bool
    public let distanceMethod: String
    public let bBarIsConstant: Bool
    public let bBar: [Double]?
    public let cGh: Double?
    public let timeContinuityConstant: Double?
    public let seconds: Double
    public let samplerSeconds: Double
    public let epsilonSolverSeconds: Double
    public let homogenisedSolverSeconds: Double
    public let outputs: [OutputRow]
    /// Per output time: CSV with the three densities on the output grid.
    public let densities: [String]
    public let epsilonStudy: Comparison.EpsilonStudy?
    /// The sampler's time step (absent when the particles came from a sample folder).
    public let samplerDt: Double?
    /// The check of the sampler's time step (`TimeStepControl`; from the sample folder's summary
    /// when the particles came from one). Absent when the step was not checked.
    public var timeStepControl: TimeStepControl.Report? = nil
    /// The check of the ε-PDE reference (`ReferenceCheck`): the resolution and step used, and
    /// every solve checked. Absent when not checked.
    public var referenceCheck: ReferenceCheck.Report? = nil
    /// The particles' scheme ("em" or "metropolis").
    public var samplerScheme: String? = nil
    /// A Metropolised sampler's accepted and proposed moves per output interval (absent for
    /// Euler–Maruyama).
    public var acceptance: [AcceptanceInterval]? = nil
    /// How the effective coefficients were computed (`EffectiveCoefficients.method`), and for the
    /// cell problem its resolution and the certified bracket of A_hom at the first slow point
    /// (row-major lower and upper bounds), and what its caveats say (`bracketCaveat`,
    /// `resolutionCaveat`). Absent in folders written before they were recorded.
    public var effectiveMethod: String? = nil
    public var cellResolution: Int? = nil
    public var aHomBounds: [[Double]]? = nil
    public var cellCaveats: [String]? = nil
    /// Distances the run computed but could not resolve (`Comparison.Result.distanceWarnings`);
    /// absent when there are none.
    public var warnings: [String]? = nil
}

/// Writes a comparison as a run folder: `summary.json` and `densities_NNN.csv` (cell edges; the
/// particle histogram, ε-PDE and homogenised densities; and the equilibria π_ε and π̄, all as
/// cell averages on the output grid).
public enum CompareRunFolder {
    @discardableResult
    public static func write(_ r: Comparison.Result, to path: String) throws -> CompareSummary {
        let s = r.scenario
        var summary: CompareSummary?
        try AtomicFile.writeFolder(at: path) { dir in
            var names: [String] = []
            let cellVolume = s.dimension.volume(side: 1 / Double(s.cells))
            let piEps = s.equilibriumCellMasses().map { $0 / cellVolume }
            let piBar = s.lowered().fastAverageCellMasses(cells: s.cells).map { $0 / cellVolume }
            for k in s.time.outputs.indices {
                let name = String(format: "densities_%03d.csv", k)
                let particles = r.sample.density(r.sample.snapshots[k])
                let eps = r.epsilonSolution.snapshots[k].density, hom = r.homogenisedSolution.snapshots[k].density
                var lines = [s.dimension.cellBoundsHeader + ",particles,epsilon,homogenised,pi_eps,pi_bar"]
                for c in particles.indices {
                    lines.append("\(s.dimension.cellBounds(c, perAxis: s.cells)),\(particles[c]),\(eps[c]),\(hom[c]),\(piEps[c]),\(piBar[c])")
                }
                try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/" + name)
                names.append(name)
            }
            let e = r.effective
            let c = e.cGH.flatMap { g in g.allSatisfy { $0 == g[0] } ? g[0] : nil }
            let sum = CompareSummary(
                software: "homogen", version: HomogenVersion.current, command: "compare", scenario: ScenarioRecord(s),
                particles: s.particles.count, seed: s.particles.seed, bootstrapRepetitions: r.bootstrapRepetitions,
                significance: r.significance, consistent: r.consistent,
                distanceMethod: TransportMethod(s.dimension).description,
                bBarIsConstant: e.isConstant, bBar: e.isConstant ? e.bBar[0] : nil, cGh: c,
                timeContinuityConstant: r.timeContinuityConstant, seconds: r.seconds, samplerSeconds: r.sample.seconds,
                epsilonSolverSeconds: r.epsilonSolution.seconds, homogenisedSolverSeconds: r.homogenisedSolution.seconds,
                outputs: r.rows.map { OutputRow(row: $0, verdict: VerdictText.row($0, significance: r.significance)) }, densities: names, epsilonStudy: r.epsilonStudy,
                samplerDt: r.sample.steps > 0 ? r.sample.scenario.time.dt : nil, timeStepControl: r.sample.timeStepControl,
                referenceCheck: r.referenceCheck, samplerScheme: r.sample.scheme.rawValue,
                acceptance: AcceptanceInterval.list(r.sample), effectiveMethod: e.method, cellResolution: e.resolution,
                aHomBounds: e.aHomLower.flatMap { l in e.aHomUpper.map { [l[0], $0[0]] } },
                cellCaveats: Optional([e.bracketCaveat, e.resolutionCaveat].compactMap { $0 }).flatMap { $0.isEmpty ? nil : $0 },
                warnings: r.distanceWarnings.isEmpty ? nil : r.distanceWarnings)
            try AtomicFile.write(try JSON.encodeSummary(sum), to: dir + "/summary.json")
            summary = sum
        }
        return summary!
    }
}

/// One output time of `CompareSummary`: the comparison's row, and its verdict in words
/// (`VerdictText`), written as one JSON object.
public struct OutputRow: Codable, Sendable {
    public let row: Comparison.Row
    public let verdict: String

    public init(row: Comparison.Row, verdict: String) { self.row = row; self.verdict = verdict }

    private enum Key: String, CodingKey { case verdict }

    public init(from decoder: Decoder) throws {
        row = try Comparison.Row(from: decoder)
        verdict = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .verdict)
    }

    public func encode(to encoder: Encoder) throws {
        try row.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(verdict, forKey: .verdict)
    }
}
