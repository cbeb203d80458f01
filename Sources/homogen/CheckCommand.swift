import ArgumentParser
import Foundation
import Homogen

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a scenario file and print it resolved, with what the checks found.")

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @Flag(help: "Print the resolved scenario as JSON.")
    var json = false

    func run() throws {
        Interrupts.install("check", safePoints: false)
        let s = try Scenario.load(path: scenario)
        let readiness: String
        do {
            let sampler = try ParticleSampler(scenario: s)
            readiness = "ready: \(sampler.stepCount) steps x \(s.particles.count) particles in \(sampler.plan.blockCount) blocks"
        } catch let e as SamplerError {
            readiness = "not ready: \(e)"
        }
        if json {
            // The resolved scenario plus `checks`: everything the text form reports.
            let checks = CheckReport(facts: s.facts, timeStepLimit: ParticleSampler.timeStepLimit(s), dt: s.time.dt,
                                     samplerReady: readiness.hasPrefix("ready"), sampler: readiness)
            print(String(decoding: try JSON.encode(ScenarioRecord(s), adding: "checks", checks), as: UTF8.self), terminator: "")
            return
        }
        let f = s.facts
        print("# \(scenario): valid")
        print(s.tomlText)
        print("""
            # Checks on the grid of the cell (points per variable, the most any field was checked at: \(f.gridPointsPerVariable.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            #   eigenvalues of B in [\(f.mediumSmallestEigenvalue), \(f.mediumLargestEigenvalue)]
            #   pi in [\(f.equilibriumMinimum), \(f.equilibriumMaximum)], integral of pi_eps = \(f.equilibriumMass)\(f.quadratureRefinement > 1 ? " (quadrature points per period x\(f.quadratureRefinement) for the sharp features of pi)" : "")
            #   rho0 <= \(f.initialMaximum), integral of rho0 = \(f.initialMass)\(f.initialRefinement > f.quadratureRefinement ? " (quadrature points per period x\(f.initialRefinement) for the sharp features of rho0)" : "")
            #   time-step rule dt <= eps^2 * lambda_min(B) / 10 = \(ParticleSampler.timeStepLimit(s)) (dt = \(s.time.dt))
            # Sampler: \(readiness)
            """)
    }
}

/// The `checks` object of `homogen check --json`.
private struct CheckReport: Encodable {
    let facts: ScenarioFacts
    /// dt <= eps^2 * lambda_min(B) / 10.
    let timeStepLimit: Double
    let dt: Double
    let samplerReady: Bool
    let sampler: String
}
