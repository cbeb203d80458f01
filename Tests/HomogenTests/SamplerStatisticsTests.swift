import Foundation
import Homogen
import XCTest

/// Statistical checks of the sampler at fixed seeds. Each compares histograms with exact cell
/// probabilities (Gauss–Legendre cell integrals of the density) by Pearson's chi-square test
/// and requires p > 0.001. Time steps are chosen so that the O(dt) bias of Euler–Maruyama's
/// invariant measure (weak order 1; Talay–Tubaro, Mattingly–Stuart–Tretyakov) is far below the
/// sampling noise: its relative size is about dt·|b'| (b the drift), which the comments bound,
/// and its contribution to X² is then N·Σ δ_i²/p_i, well under one degree of freedom.
final class SamplerStatisticsTests: XCTestCase {
    private func run(_ text: String, threads: Int = 2) throws -> SampleResult {
        let s = try Scenario(toml: text)
        return try ParticleSampler(scenario: s, options: .init(threads: threads)).run()
    }

    private func pValue(_ r: SampleResult, output: Int, against masses: [Double]) -> Double {
        ChiSquareTest(counts: r.snapshots[output].counts, probabilities: masses).pValue
    }

    /// Start from π_ε and stay there: backward Itô keeps π_ε invariant (ε = 1/4, t = 0.02 is
    /// four fast relaxation times ε²/(4π² λ_min(B⁻¹))). Drift derivative |b'| ≲ 4π²/ε² · 0.5
    /// ≈ 300, so dt = 1e-5 gives a relative bias ≲ 3e-3 and N Σδ²/p ≲ 1 for N = 1e5.
    /// The initial histogram (rejection sampling from ρ0 = π_ε) is tested too.
    func testStationaryFromEquilibrium1D() throws {
        let text = scenario1D([
            "final": "final = 0.02", "outputs": "outputs = [0.0, 0.02]", "count": "count = 100000",
            "cells": "cells = 32"])
        let r = try run(text)
        let exact = r.scenario.equilibriumCellMasses()
        XCTAssertGreaterThan(pValue(r, output: 0, against: exact), 1e-3)
        XCTAssertGreaterThan(pValue(r, output: 1, against: exact), 1e-3)
        // Power: the slow factor alone (what one would get without the fast oscillation) is rejected.
        let wrong = try Scenario(toml: scenario1D(["pi": "pi = \"1 + 0.5*cos(2*pi*x)\"", "cells": "cells = 32"]))
        XCTAssertLessThan(pValue(r, output: 1, against: wrong.equilibriumCellMasses()), 1e-6)
    }

    /// The three conventions converge to π (backward Itô), √B·π (Stratonovich) and B·π (Itô)
    /// in 1D. ε = 1 (slow and fast variable coincide), uniform start; t = 1.5 is many
    /// relaxation times (spectral gap ≳ 4π²·min B⁻¹·min π / max π ≈ 4). |b'| ≲ 60, so
    /// dt = 5e-5 gives a relative bias ≲ 3e-3.
    func testConventionsConvergeToTheirStationaryDensities() throws {
        let b = "2 + sin(2*pi*y)", p = "1 + 0.5*cos(2*pi*x)"
        let densities = ["backward-ito": p, "stratonovich": "sqrt(\(b)) * (\(p))", "ito": "(\(b)) * (\(p))"]
        var masses: [String: [Double]] = [:]
        for (name, density) in densities {
            let s = try Scenario(toml: scenario1D([
                "epsilon": "epsilon = 1", "pi": "pi = \"\(density)\"", "cells": "cells = 16"]))
            masses[name] = s.equilibriumCellMasses()
        }
        for convention in densities.keys.sorted() {
            let r = try run(scenario1D([
                "epsilon": "epsilon = 1", "B": "B = \"\(b)\"", "pi": "pi = \"\(p)\"", "f": "rho = \"1\"",
                "final": "final = 1.5", "outputs": "outputs = [1.5]", "dt": "dt = 5e-5",
                "count": "count = 20000", "cells": "cells = 16", "convention": "convention = \"\(convention)\""]))
            for (name, m) in masses {
                let p = pValue(r, output: 0, against: m)
                if name == convention {
                    XCTAssertGreaterThan(p, 1e-3, "\(convention) against its own density")
                } else {
                    XCTAssertLessThan(p, 1e-6, "\(convention) against the density of \(name)")
                }
            }
        }
    }

    /// A full (non-diagonal) 2D medium that varies in the cell: the drift's divergence term
    /// ∇·B⁻¹ couples both coordinates and the noise uses the Cholesky factor. Start from π_ε
    /// (ε = 1/2) and stay there for t = 0.03, about five fast relaxation times.
    func testStationaryFromEquilibrium2DFullMedium() throws {
        let text = """
            name = "full-2d"
            description = "test"
            dimension = 2
            epsilon = "1/2"
            [medium]
            B = [["2 + sin(2*pi*y1)", "0.5*cos(2*pi*y2)"], ["0.5*cos(2*pi*y2)", "2 + cos(2*pi*y2)"]]
            [equilibrium]
            pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*x2)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2))"
            [initial]
            f = "1"
            [time]
            final = 0.03
            outputs = [0.0, 0.03]
            dt = 1e-5
            [particles]
            count = 100000
            seed = 11
            [grid]
            cells = 8
            """
        let r = try run(text)
        let exact = r.scenario.equilibriumCellMasses()
        XCTAssertGreaterThan(pValue(r, output: 0, against: exact), 1e-3)
        XCTAssertGreaterThan(pValue(r, output: 1, against: exact), 1e-3)
        // Power: dropping the divergence term (Itô) moves the distribution visibly.
        let ito = try run(text.replacingOccurrences(of: "seed = 11", with: "seed = 11\nconvention = \"ito\""))
        XCTAssertLessThan(pValue(ito, output: 1, against: exact), 1e-6)
    }

    /// Constant full medium, π = 1: the SDE is a Brownian motion with covariance 2B⁻¹t, which
    /// Euler–Maruyama samples exactly. The sample covariance of the (minimum-image)
    /// displacements must match within 4 standard errors, entry by entry.
    func testCholeskyNoiseHasCovarianceTwoBInverse() throws {
        let t = 0.0025
        let s = try Scenario(toml: """
            name = "brownian"
            description = "test"
            dimension = 2
            epsilon = 1
            [medium]
            B = [["2", "0.5"], ["0.5", "1"]]
            [equilibrium]
            pi = "1"
            [initial]
            rho = "1"
            [time]
            final = \(t)
            outputs = [0.0, \(t)]
            dt = 1e-4
            [particles]
            count = 20000
            seed = 5
            [grid]
            cells = 4
            """)
        let r = try ParticleSampler(scenario: s, options: .init(threads: 2, keepPositions: true)).run()
        let p0 = r.snapshots[0].positions!, p1 = r.snapshots[1].positions!
        let n = s.particles.count
        func wrap(_ d: Double) -> Double { d - (d + 0.5).rounded(.down) }
        var c = [[0.0, 0.0], [0.0, 0.0]]
        for i in 0..<n {
            let d = [wrap(p1[2 * i] - p0[2 * i]), wrap(p1[2 * i + 1] - p0[2 * i + 1])]
            for a in 0..<2 { for b in 0..<2 { c[a][b] += d[a] * d[b] / Double(n) } }
        }
        let det = 2.0 * 1 - 0.25
        let exact = [[2 * t * 1 / det, 2 * t * -0.5 / det], [2 * t * -0.5 / det, 2 * t * 2 / det]]
        for a in 0..<2 {
            for b in 0..<2 {
                let se = ((exact[a][a] * exact[b][b] + exact[a][b] * exact[a][b]) / Double(n)).squareRoot()
                XCTAssertEqual(c[a][b], exact[a][b], accuracy: 4 * se, "covariance entry (\(a), \(b))")
            }
        }
    }
}
