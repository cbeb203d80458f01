import Foundation
import Homogen
import XCTest

final class FokkerPlanckTests: XCTestCase {
    private func solve(_ text: String, _ options: FokkerPlanckSolver.Options = .init()) throws -> FokkerPlanckResult {
        try FokkerPlanckSolver(scenario: try Scenario(toml: text), options: options).run()
    }

    private let twoDimensional = """
        name = "fp-2d"
        description = "test"
        dimension = 2
        epsilon = "1/4"
        [medium]
        B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)"]
        [equilibrium]
        pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*x2)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2))"
        [initial]
        rho = "exp(3*cos(2*pi*(x1 - 0.3)) + 2*sin(2*pi*x2))"
        [time]
        final = 0.01
        outputs = [0.0, 0.005, 0.01]
        dt = 1e-4
        [particles]
        count = 1
        seed = 1
        [grid]
        cells = 16
        """

    /// Started at π_ε (f = 1), the solution stays there to round-off; mass is conserved.
    func testEquilibriumIsStationaryToRoundOff() throws {
        for (text, equation) in [(scenario1D(["f": "f = \"1\""]), FokkerPlanckSolver.Equation.epsilon),
                                 (twoDimensional.replacingOccurrences(of: "rho = \"exp(3*cos(2*pi*(x1 - 0.3)) + 2*sin(2*pi*x2))\"", with: "f = \"1\""), .epsilon)] {
            let solver = try FokkerPlanckSolver(scenario: try Scenario(toml: text), options: .init(equation: equation))
            let r = try solver.run()
            let last = r.snapshots.last!.solverDensity
            let maxDeviation = zip(last, solver.pi).map { abs($0 - $1) / $1 }.max()!
            XCTAssertLessThan(maxDeviation, 1e-13)
            XCTAssertLessThan(r.massDrift, 1e-13)
            XCTAssertEqual(r.snapshots.last!.energy, 0, accuracy: 1e-13)
        }
    }

    /// A sharply peaked initial density: mass conserved to round-off, density positive throughout.
    func testMassAndPositivity() throws {
        for text in [scenario1D(["f": "rho = \"exp(20*cos(2*pi*x))\"", "outputs": "outputs = [0.0, 0.001, 0.01]"]),
                     twoDimensional] {
            let r = try solve(text, .init(dt: 1e-3))
            XCTAssertLessThan(r.massDrift, 1e-12)
            XCTAssertGreaterThan(r.minimumDensity, 0)
            for s in r.snapshots { XCTAssertEqual(s.mass, 1, accuracy: 1e-12) }
        }
    }

    /// Second order in space: with the time step fixed, the differences between resolutions
    /// R = 8, 16, 32 (cells per ε-period) shrink by 4 (observed order within 0.3 of 2).
    func testSecondOrderInSpace() throws {
        let text = scenario1D(["f": "rho = \"1 + 0.8*cos(2*pi*x)\"", "outputs": "outputs = [0.002]", "final": "final = 0.002",
                               "cells": "cells = 8"])
        let d = try [8, 16, 32].map { try solve(text, .init(resolution: $0, dt: 1e-5)).snapshots[0].density }
        func l1(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } }
        let order = log2(l1(d[0], d[1]) / l1(d[1], d[2]))
        XCTAssertEqual(order, 2, accuracy: 0.3)
    }

    /// The energy–dissipation balance (2.21) closes to the time-discretisation error: backward
    /// Euler is first order, so halving dt halves the residual (ratio within [1.7, 2.3]).
    /// ψ (from the weighted elliptic solve (2.23)) agrees with ψ* (2.22) along the flow.
    func testEnergyDissipationBalance() throws {
        let text = scenario1D(["f": "f = \"1 + 0.5*cos(2*pi*x)\"", "outputs": "outputs = [0.0, 0.01]"])
        let residuals = try [4e-5, 2e-5].map { dt -> Double in
            let r = try solve(text, .init(dt: dt))
            let last = r.snapshots.last!
            XCTAssertEqual(last.psi, last.psiStar, accuracy: 1e-7 * last.psiStar)
            XCTAssertLessThan(last.energy, r.snapshots[0].energy)
            return abs(last.balanceResidual)
        }
        XCTAssertEqual(residuals[0] / residuals[1], 2, accuracy: 0.3)
        XCTAssertLessThan(residuals[1], 1e-3 * (try solve(text, .init(dt: 2e-5)).snapshots[0].energy))
        // 2D (Lie splitting): ψ and ψ* agree to the splitting error.
        let r2 = try solve(twoDimensional)
        for s in r2.snapshots.dropFirst() { XCTAssertEqual(s.psi, s.psiStar, accuracy: 0.05 * s.psiStar) }
        XCTAssertEqual(r2.snapshots[0].psi, r2.snapshots[0].psiStar, accuracy: 1e-7 * r2.snapshots[0].psiStar)
    }

    /// ε → 0: the coarse-grained distance between the ε-solution and the homogenised solution
    /// at a fixed time decreases as ε = 1/4, 1/8, 1/16, 1/32.
    func testEpsilonSolutionsApproachTheHomogenisedOne() throws {
        var distances: [Double] = []
        for n in [4, 8, 16, 32] {
            let text = scenario1D(["epsilon": "epsilon = \"1/\(n)\"", "f": "f = \"1 + 0.8*cos(2*pi*x)\"",
                                   "outputs": "outputs = [0.02]", "final": "final = 0.02", "cells": "cells = 8"])
            let e = try solve(text, .init(equation: .epsilon, dt: 1e-4)).snapshots[0].density
            let h = try solve(text, .init(equation: .homogenised, dt: 1e-4)).snapshots[0].density
            distances.append(zip(e, h).reduce(0) { $0 + abs($1.0 - $1.1) } / 8)
        }
        for k in 1..<distances.count { XCTAssertLessThan(distances[k], distances[k - 1], "\(distances)") }
    }

    /// The homogenised equation keeps π̄ stationary, and in 2D uses the cell-problem B̄.
    func testHomogenisedEquationHasStationaryPiBar() throws {
        let text = twoDimensional.replacingOccurrences(of: "rho = \"exp(3*cos(2*pi*(x1 - 0.3)) + 2*sin(2*pi*x2))\"", with: "f = \"1\"")
        let s = try Scenario(toml: text)
        let solver = try FokkerPlanckSolver(scenario: s, options: .init(equation: .homogenised))
        let r = try solver.run()
        let last = r.snapshots.last!.solverDensity
        XCTAssertLessThan(zip(last, solver.pi).map { abs($0 - $1) / $1 }.max()!, 1e-13)
        XCTAssertNotNil(r.effective)
        XCTAssertTrue(r.effective!.isConstant)
    }
}
