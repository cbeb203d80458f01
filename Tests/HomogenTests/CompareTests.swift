import Foundation
import Homogen
import XCTest

/// The main job end to end.
final class CompareTests: XCTestCase {
    /// On a 1D scenario the particles agree with the ε-solution (p > 0.01 at a fixed seed), the
    /// ε-solution is further from the homogenised one than the Monte Carlo floor, and the ε study
    /// shows W2(ε-PDE, homogenised) decreasing as ε does. dt = 1e-5 at ε = 1/4 keeps the
    /// Euler–Maruyama bias (relative dt·|b'| ≈ 3e-3) below the sampling noise of 20000 particles.
    func testParticlesAgreeAndTheLimitIsApproached() throws {
        let s = try Scenario(toml: scenario1D([
            "f": "f = \"1 + 0.5*cos(2*pi*x)\"", "count": "count = 20000", "cells": "cells = 32",
            "outputs": "outputs = [0.0, 0.005, 0.01]"]))
        var o = Comparison.Options()
        o.epsilonStudy = [4, 8, 16, 32]
        let r = try Comparison(scenario: s, options: o).run()
        for row in r.rows {
            XCTAssertGreaterThan(row.pValueParticlesEpsilon, 0.01, "t = \(row.t)")
            XCTAssertGreaterThan(row.w2EpsilonHomogenised, row.w2MonteCarloFloor)
            XCTAssertNotNil(row.w2BarEpsilonHomogenised)
            XCTAssertLessThan(row.wGhEpsilonHomogenised!, row.w2BarEpsilonHomogenised!)
        }
        let w = r.epsilonStudy!.w2EpsilonHomogenised
        for k in 1..<w.count { XCTAssertLessThan(w[k], w[k - 1]) }
        XCTAssertGreaterThan(r.epsilonStudy!.fittedRate!, 0.5)
        XCTAssertNotNil(r.timeContinuityConstant)
    }

    func testCompareCommandWritesTheSummaryKeys() throws {
        for (file, extra) in [("scenarios/bench-1d.toml", ["--epsilons", "1/8,1/16"]), ("scenarios/bench-2d.toml", [])] {
            let out = temporaryPath("compare")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try runHomogen(["compare", file, "--particles", "3000", "--bootstrap", "19", "--out", out, "--quiet"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("W2(part,eps)"), r.stdout)
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
            let outputs = summary["outputs"] as! [[String: Any]]
            for key in ["t", "w2_particles_epsilon", "p_value_particles_epsilon", "w2_particles_homogenised",
                        "w2_epsilon_homogenised", "w2_bar_epsilon_homogenised", "verdict"] {
                XCTAssertNotNil(outputs[0][key], "\(file): \(key)")
            }
            if file.contains("2d") {
                XCTAssertNotNil(outputs[0]["marginal_error_epsilon_homogenised"])
                XCTAssertTrue((summary["distance_method"] as! String).contains("back-and-forth"))
            }
            if !extra.isEmpty {
                let study = summary["epsilon_study"] as! [String: Any]
                XCTAssertEqual((study["w2_epsilon_homogenised"] as! [Double]).count, 2)
                XCTAssertNotNil(study["fitted_rate"])
                XCTAssertTrue(r.stdout.contains("fitted rate"), r.stdout)
            }
        }
    }

    /// 2D, everything a function of x1 alone (B(y1), π(x1, y1), f(x1)): both PDE solutions depend
    /// on x1 only, so W2 between them on the torus is the exact W2 on the circle between their x1
    /// profiles, an independent value (`CircleWasserstein`). The back-and-forth value on the solver
    /// grid agrees within 1% (the grid method's accuracy), and the particles pass their bootstrap.
    func testTwoDimensionalDistanceAgainstTheExactCircleValue() throws {
        let s = try Scenario(toml: """
            name = "x1-only-2d"
            description = "test"
            dimension = 2
            epsilon = "1/4"
            [medium]
            B = "2 + sin(2*pi*y1)"
            [equilibrium]
            pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*y1))"
            [initial]
            f = "1 + 0.5*sin(2*pi*x1)"
            [time]
            final = 0.004
            outputs = [0.0, 0.004]
            dt = 5e-5
            [particles]
            count = 4000
            seed = 3
            [grid]
            cells = 16
            """)
        var o = Comparison.Options()
        o.bootstrap = 19
        let r = try Comparison(scenario: s, options: o).run()
        for (k, row) in r.rows.enumerated() {
            let n = r.epsilonSolution.solverCells
            func profile(_ f: FokkerPlanckResult) -> [Double] { (0..<n).map { f.snapshots[k].solverDensity[$0 * n] } }
            let exact = CircleWasserstein.distance(CircleMeasure(cellMasses: profile(r.epsilonSolution)),
                                                   CircleMeasure(cellMasses: profile(r.homogenisedSolution))).distance
            XCTAssertEqual(row.w2EpsilonHomogenised, exact, accuracy: 0.01 * exact, "t = \(row.t)")
            XCTAssertNotNil(row.marginalErrorEpsilonHomogenised)
            XCTAssertGreaterThan(row.pValueParticlesEpsilon, 0.01)
        }
    }
}
