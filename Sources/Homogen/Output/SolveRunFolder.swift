import Foundation

/// `summary.json` of a Fokker–Planck run.
public struct SolveSummary: Codable, Sendable {
    public struct Output: Codable, Sendable {
        public let index: Int
        public let t: Double
        /// CSV with cell edges and the cell averages of ρ on the output grid.
        public let density: String
        /// nil (absent) where not finite: a non-M-matrix nine-point run whose density went negative.
        public let energy: Double?
        public let psi: Double?
        public let psiStar: Double?
        public let balanceResidual: Double?
        public let mass: Double
        public let minimumDensity: Double
    }

    public let software: String
    public let version: String
    public let command: String
    public let equation: String
    public let scenario: ScenarioRecord
    public let solverCells: Int
    public let cellsPerEpsilonPeriod: Double
    public let outputCells: Int
    public let dt: Double
    public let steps: Int
    public let seconds: Double
    public let massDrift: Double
    public let minimumDensity: Double
    public let timeStepping: String
    /// The solver's warnings (a non-M-matrix operator, a negative density).
    public let warnings: [String]
    public let effective: EffectiveCoefficients?
    /// Per-step history of E, ψ* and the balance residual.
    public let energyHistory: String
    public let outputs: [Output]
}

/// Writes a `FokkerPlanckResult` as a run folder: `summary.json`, `densities_NNN.csv` per output
/// time (`x_lo,x_hi,density` or `x1_lo,x1_hi,x2_lo,x2_hi,density`) and `energy.csv`
/// (`t,energy,psi_star,balance_residual`, one line per step). The folder appears whole.
public enum SolveRunFolder {
    private static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }

    @discardableResult
    public static func write(_ r: FokkerPlanckResult, to path: String) throws -> SolveSummary {
        var outputs: [SolveSummary.Output] = []
        var summary: SolveSummary?
        try AtomicFile.writeFolder(at: path) { dir in
            for (k, snap) in r.snapshots.enumerated() {
                let name = String(format: "densities_%03d.csv", k)
                try AtomicFile.write(Data(densityCSV(snap.density, cells: r.outputCells, dimension: r.scenario.dimension).utf8),
                                     to: dir + "/" + name)
                outputs.append(.init(
                    index: k, t: snap.time, density: name, energy: finite(snap.energy), psi: finite(snap.psi),
                    psiStar: finite(snap.psiStar), balanceResidual: finite(snap.balanceResidual), mass: snap.mass,
                    minimumDensity: snap.minimumDensity))
            }
            var energyLines = ["t,energy,psi_star,balance_residual"]
            for h in r.history { energyLines.append("\(h.time),\(h.energy),\(h.psiStar),\(h.balanceResidual)") }
            try AtomicFile.write(Data((energyLines.joined(separator: "\n") + "\n").utf8), to: dir + "/energy.csv")
            let s = SolveSummary(
                software: "homogen", version: HomogenVersion.current, command: "solve", equation: r.equation.rawValue,
                scenario: ScenarioRecord(r.scenario), solverCells: r.solverCells,
                cellsPerEpsilonPeriod: Double(r.solverCells) / Double(r.scenario.inverseEpsilon),
                outputCells: r.outputCells, dt: r.dt, steps: r.steps, seconds: r.seconds, massDrift: r.massDrift,
                minimumDensity: r.minimumDensity,
                timeStepping: r.timeStepping, warnings: r.warnings + (r.balanceWarning.map { [$0] } ?? []),
                effective: r.effective, energyHistory: "energy.csv", outputs: outputs)
            try AtomicFile.write(try JSON.encodeSummary(s), to: dir + "/summary.json")
            summary = s
        }
        return summary!
    }

    /// Cell edges and densities, 1D `x_lo,x_hi,density`, 2D `x1_lo,x1_hi,x2_lo,x2_hi,density` (x1 slowest).
    public static func densityCSV(_ density: [Double], cells m: Int, dimension: TorusDimension) -> String {
        let lines = [dimension.cellBoundsHeader + ",density"]
            + density.indices.map { "\(dimension.cellBounds($0, perAxis: m)),\(density[$0])" }
        return lines.joined(separator: "\n") + "\n"
    }
}
