import Foundation
@testable import Homogen
import XCTest

final class StationaryTests: XCTestCase {
    /// ε = 1/4, started at π_ε; t = 5 is many slow relaxation times.
    private func scenario(count: Int, final: Double = 5, dt: Double = 4e-4, seed: Int = 3) throws -> Scenario {
        try Scenario(toml: scenario1D([
            "count": "count = \(count)", "final": "final = \(final)", "outputs": "outputs = [\(final)]",
            "dt": "dt = \(dt)", "seed": "seed = \(seed)", "cells": "cells = 32"]))
    }

    private func run(_ s: Scenario, _ scheme: SchemeKind, dt: Double? = nil) throws -> StationaryResult {
        var o = StationaryEstimator.Options()
        o.scheme = scheme
        o.dt = dt
        return try StationaryEstimator(scenario: s, options: o).run()
    }

    /// τ_int against its exact value: B = 1, π = 1 is Brownian motion with generator ∂², so
    /// cos 2πx and cos 2πx/ε (ε = 1/4) decay like e^{−t/τe}, τe = 1/(4π²) and 1/(64π²), and the
    /// MALA step is exact (every proposal accepted). The run's estimate — R Var_p(A_p)/σ² from the
    /// particles' time averages — has expectation Σ_{|k|<R} (1 − |k|/R) ρ^|k| recordings
    /// (ρ = e^{−Δ/τe}, Δ the recording interval) and relative standard error about √(2/N): within
    /// 3 of them of it, for N = 4000, over 63 τ_int of the slow observable (not rough). (The windowed
    /// autocorrelation of the particle-averaged series it replaced gave a fifth of the slow value
    /// on a review's run of 10 τ.)
    func testIntegratedAutocorrelationTimeIsExactForBrownianMotion() throws {
        let text = scenario1D(["B": "B = \"1\"", "pi": "pi = \"1\"", "f": "f = \"1\"", "count": "count = 4000",
                               "final": "final = 4", "outputs": "outputs = [4]", "dt": "dt = 1e-4", "cells": "cells = 16"])
        let s = try Scenario(toml: text)
        var o = StationaryEstimator.Options()
        o.threads = 2
        let r = try StationaryEstimator(scenario: s, options: o).run()
        let delta = Double(r.recordEvery) * r.dt, recordings = (r.steps - r.burnInSteps) / r.recordEvery
        // Observables cos, sin 2πx (slow, τe = 1/(4π²)) and cos, sin 2πx/ε (fast, 1/(64π²)).
        for (k, tauE) in [1 / (4 * Double.pi * Double.pi), 1 / (64 * Double.pi * Double.pi)].flatMap({ [$0, $0] }).enumerated() {
            let rho = exp(-delta / tauE)
            var expected = 1.0, power = 1.0
            for lag in 1..<recordings {
                power *= rho
                if power < 1e-18 { break }
                expected += 2 * (1 - Double(lag) / Double(recordings)) * power
            }
            let tolerance = 3 * (2.0 / 4000).squareRoot() * expected * delta
            XCTAssertEqual(r.tauInt[k], expected * delta, accuracy: tolerance, "observable \(k): expected \(expected * delta)")
        }
        XCTAssertFalse(r.runLength.tauIntRough)
    }

    /// At dt = 4e-4 Euler–Maruyama's invariant measure is visibly biased (relative bias of a
    /// fast observable ~6%), and the test on batch means rejects it; MALA keeps π_ε exactly.
    func testMALAIsInvariantWhereEulerMaruyamaIsBiased() throws {
        let s = try scenario(count: 4000)
        let mala = try run(s, .metropolis)
        let em = try run(s, .em)
        XCTAssertGreaterThan(mala.fine.pValue, 1e-3)
        XCTAssertGreaterThan(mala.acceptanceRate!, 0.8)
        XCTAssertLessThan(em.fine.pValue, 1e-6)
        XCTAssertNil(em.acceptanceRate)
    }

    /// Euler–Maruyama's bias of cos 2πx/ε shrinks linearly in dt (weak order 1): the fitted
    /// order over dt = 1.6e-3 … 2e-4 is within 0.2 of 1. The standard errors (~3e-4) are well
    /// below the smallest bias (~7e-3).
    func testEulerMaruyamaBiasIsFirstOrder() throws {
        let s = try scenario(count: 10000)
        var o = StationaryEstimator.Options()
        o.scheme = .em
        let sweep = try DtSweep.run(s, options: o, base: 1.6e-3)
        XCTAssertEqual(try XCTUnwrap(sweep.order), 1, accuracy: 0.2)
        XCTAssertGreaterThan(abs(sweep.bias.last!), 5 * sweep.standardError.last!)
        XCTAssertTrue(sweep.biasesSignificant)
        // Four points: the order's standard error is the larger of the scatter's and the noise's.
        let se = try XCTUnwrap(sweep.orderStandardError)
        XCTAssertTrue(se > 0 && se < 0.2, "\(se)")
        XCTAssertEqual(sweep.order, sweep.fittedSlope)
    }

    /// At tiny steps the biases sink into the Monte Carlo noise: the sweep says so rather than
    /// reporting a fitted order as if it were a measurement.
    func testDtSweepFlagsBiasesBelowTheNoise() throws {
        let s = try scenario(count: 1000, final: 0.05)
        var o = StationaryEstimator.Options()
        o.scheme = .em
        // bias ~ 4.4 dt (from the test above: ~7e-3 at 1.6e-3) is ~1e-5 at dt = 2.5e-6, while the
        // standard errors with 1000 particles over t = 0.05 are ~1e-2.
        let sweep = try DtSweep.run(s, options: o, base: 2.5e-6 * 8)
        XCTAssertFalse(sweep.biasesSignificant, "\(sweep.bias) \(sweep.standardError)")
        XCTAssertNil(sweep.order)
        XCTAssertNil(sweep.orderStandardError)
    }

    /// The swept observable is chosen among the sines too: π ∝ exp(0.8 sin 2πy) with B = 1 is
    /// symmetric under y → 1/2 − y, and so is Euler–Maruyama's chain, so E cos 2πx/ε stays exactly
    /// at its exact 0 at every step while sin 2πx/ε carries the scheme's bias (a review's case:
    /// 23 standard errors off, never swept while only the cosines were candidates).
    func testDtSweepSeesABiasThatOnlyASineCarries() throws {
        let s = try Scenario(toml: scenario1D([
            "B": #"B = "1""#, "pi": #"U = "-0.8*sin(2*pi*y)""#, "count": "count = 4000", "final": "final = 0.5",
            "outputs": "outputs = [0.5]", "dt": "dt = 1e-3", "cells": "cells = 16"]))
        var o = StationaryEstimator.Options()
        o.scheme = .em
        let sweep = try DtSweep.run(s, options: o, base: 2e-3)
        XCTAssertEqual(sweep.observable, "sin(2 pi x / eps)")
        XCTAssertGreaterThan(abs(sweep.bias[0]), 4 * sweep.standardError[0], "\(sweep.bias) \(sweep.standardError)")
    }

    /// The order's standard error from the noise, on exact synthetic biases b = 4 dt: the slope
    /// is 1; with σᵢ = seᵢ/|bᵢ| = 0.05 at every dt the propagated variance is
    /// 0.05² / Σ(xᵢ − x̄)² with xᵢ = log dtᵢ, Σ(xᵢ − x̄)² = 5 (log 2)² — and the scatter is zero.
    /// With standard errors above half the biases, no order.
    func testDtSweepOrderStandardErrorFromTheNoise() throws {
        let dts = [8e-4, 4e-4, 2e-4, 1e-4]
        let sweep = try DtSweep(dts: dts, bias: dts.map { 4 * $0 }, standardError: dts.map { 0.05 * 4 * $0 })
        XCTAssertEqual(try XCTUnwrap(sweep.order), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(sweep.orderStandardError), 0.05 / (5.0.squareRoot() * log(2)), accuracy: 1e-12)
        let noisy = try DtSweep(dts: dts, bias: dts.map { 4 * $0 }, standardError: dts.map { 0.6 * 4 * $0 })
        XCTAssertFalse(noisy.biasesSignificant)
        XCTAssertNil(noisy.order)
        XCTAssertEqual(noisy.fittedSlope, 1, accuracy: 1e-12)
    }

    /// Error bars are honest: over 20 seeds, the 95% intervals of the 32 cells cover the exact
    /// π_ε at a rate within 4 binomial standard errors (sqrt(0.95 · 0.05 / 640) = 0.0086) of 95%.
    func testConfidenceIntervalsCoverAtTheNominalRate() throws {
        var covered = 0.0
        let seeds = 20
        for k in 0..<seeds {
            let r = try run(try scenario(count: 1000, final: 1, seed: 100 + k), .metropolis)
            covered += r.fine.coverage
        }
        XCTAssertEqual(covered / Double(seeds), 0.95, accuracy: 4 * 0.0086)
    }

    /// 2D, uniform case π^II = π0(x) + ε π1(x, x/ε): the coarse-grained estimate (one cell per
    /// ε-period) matches the coarse-grained π_ε within its error bars, and here also π̄ closely
    /// (π1 averages out over each period: the homogenisation error is O(ε³) per cell).
    func testCoarseGrainedEstimateMatchesCoarseGrainedPiEpsIn2D() throws {
        let s = try Scenario(toml: """
            name = "pi2-2d"
            description = "test"
            dimension = 2
            epsilon = "1/8"
            [medium]
            B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)"]
            [equilibrium]
            pi = "(1 + 0.5*cos(2*pi*x1))*(1 + 0.5*cos(2*pi*x2)) + eps*cos(2*pi*y1)*cos(2*pi*y2)"
            [initial]
            f = "1"
            [time]
            final = 0.5
            outputs = [0.5]
            dt = 1e-4
            [particles]
            count = 2000
            seed = 8
            [grid]
            cells = 16
            """)
        let r = try run(s, .metropolis)
        XCTAssertGreaterThan(r.coarse.pValue, 1e-3)
        XCTAssertEqual(r.coarse.cells, 8)
        XCTAssertLessThan(r.homogenisationError.totalVariation, 1e-3)
        // 100 batches merge both grids (16² and 8²) into the same 4 x 4 test cells: one test on
        // the same counts (the same p), counted once in the verdict.
        XCTAssertEqual(r.fine.testCells, 4)
        XCTAssertTrue(r.fineHotellingRepeatsCoarse)
        XCTAssertEqual(r.fine.pValue, r.coarse.pValue, accuracy: 1e-12)
        XCTAssertEqual(r.testPValues.count, 3)
    }

    /// The 2D oscillatory equilibrium of scenarios/stationary-oscillatory-2d.toml, π = g(x1)(1 +
    /// 0.3 sin(2πy1) h(x2)), g = 1 + 0.5 cos 2πx1, h = 1 + 0.5 sin 2πx2, ε = 1/4, MALA started at
    /// π_ε, 2e4 particles: the particles pass the test against the exact coarse-grained π_ε (a
    /// fixed seed; under the null p is uniform, so p > 1e-3 fails one seed in a thousand), while
    /// the coarse-grained π_ε differs from π̄ = g by the homogenisation error, which is reported
    /// (it equals the difference computed here independently, by GSL adaptive quadrature of the
    /// factors), resolved by these particles (several standard errors), and O(ε): to leading
    /// order each coarse cell differs by 0.3 · ε² sin(2πa)/2 · ∫h over the cell (a its left edge;
    /// ∫₀¹ s sin 2πs ds = −1/2π), so TV → ½ · 0.15 ε ∫|sin 2πx| dx = 0.15 ε/π.
    func testParticlesMatchCoarseGrainedPiEpsAndTheHomogenisationErrorIsReported() throws {
        let file = repositoryRoot.appendingPathComponent("scenarios/stationary-oscillatory-2d.toml").path
        let s = try Scenario.load(path: file)
        var o = StationaryEstimator.Options()
        o.final = 1.5
        let r = try StationaryEstimator(scenario: s, options: o).run()
        XCTAssertGreaterThan(r.fine.pValue, 1e-3)
        XCTAssertGreaterThan(r.coarse.pValue, 1e-3)
        XCTAssertTrue(r.consistentWithPiEps)
        XCTAssertTrue(r.runLength.startedAtPiEps)
        XCTAssertFalse(r.runLength.shortRun || r.runLength.shortBurnIn)

        // Independent: p_ij = ε G_i + 0.3 S_i H_j, with G_i = ∫g and S_i = ∫g sin(2πx/ε) over the
        // x1 cell i, H_j = ∫h over the x2 cell j; π̄ = g, so q_ij = ε G_i. Both are normalised
        // already (∫π = ∫g = 1).
        let n = 4, eps = 0.25
        let quad = AdaptiveQuadrature()
        func integral(_ i: Int, _ f: @escaping (Double) -> Double) throws -> Double {
            try quad.integrate(Double(i) * eps, Double(i + 1) * eps, f).value
        }
        let g = { (x: Double) in 1 + 0.5 * cos(2 * .pi * x) }, h = { (x: Double) in 1 + 0.5 * sin(2 * .pi * x) }
        var p: [Double] = [], q: [Double] = []
        for i in 0..<n {
            let gi = try integral(i, g), si = try integral(i) { g($0) * sin(2 * .pi * $0 / eps) }
            for j in 0..<n {
                p.append(gi * eps + 0.3 * si * (try integral(j, h)))
                q.append(gi * eps)
            }
        }
        let expected = HomogenisationError(inverseEpsilon: n, piEps: p, piBar: q)
        let reported = r.homogenisationError
        XCTAssertEqual(reported.totalVariation, expected.totalVariation, accuracy: 1e-9)
        XCTAssertEqual(reported.maxRelativeCellDifference, expected.maxRelativeCellDifference, accuracy: 1e-8)
        XCTAssertEqual(reported.chiSquareDistance, expected.chiSquareDistance, accuracy: 1e-9)
        for c in 0..<(n * n) {
            XCTAssertEqual(r.coarse.exact[c], p[c], accuracy: 1e-12)
            XCTAssertEqual(r.piBarCoarse[c], q[c], accuracy: 1e-9)
        }
        XCTAssertGreaterThan(try XCTUnwrap(reported.largestDifferenceInStandardErrors), 3)

        // O(ε): exact values at ε = 1/4, 1/8, 1/16; each halving halves the error, and ε · 0.15/π
        // is approached with the O(ε) relative correction of the next term.
        let dependence = try HomogenisationError.epsilonDependence(s)
        XCTAssertEqual(dependence.map(\.inverseEpsilon), [4, 8, 16])
        XCTAssertEqual(dependence[0], HomogenisationError(inverseEpsilon: 4, piEps: r.coarse.exact, piBar: r.piBarCoarse))
        for k in 1..<dependence.count {
            XCTAssertEqual(log2(dependence[k - 1].totalVariation / dependence[k].totalVariation), 1, accuracy: 0.1)
        }
        XCTAssertEqual(dependence[2].totalVariation * 16, 0.15 / .pi, accuracy: 0.1 * 0.15 / .pi)
    }

    /// The leading term of the homogenisation error, (ε/2) ∫ |∫₀¹ (s − ½) ∂ₓπ(x, s) ds| dx, vanishes
    /// for a fast profile even about the middle of the period: π = g(x)(1 + 0.5 cos 2πy) (the 1D
    /// scenario of these tests) gives O(ε²) — each halving of ε divides the error by 4 — while the
    /// odd profile 1 + 0.5 sin 2πy gives O(ε), with TV → (ε/2) ∫|g'| · 0.5/(2π) / ∫g = ε/(4π)
    /// for g = 1 + 0.5 cos 2πx (∫|g'| = 2, ∫₀¹ (s − ½) sin 2πs ds = −1/(2π)).
    func testHomogenisationErrorOrderFollowsTheFastProfile() throws {
        let even = try HomogenisationError.epsilonDependence(try Scenario(toml: scenario1D()))
        XCTAssertEqual(even.map(\.inverseEpsilon), [4, 8, 16])
        for k in 1..<3 { XCTAssertEqual(log2(even[k - 1].totalVariation / even[k].totalVariation), 2, accuracy: 0.1) }
        let odd = try HomogenisationError.epsilonDependence(try Scenario(toml: scenario1D(
            ["pi": "pi = \"(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*sin(2*pi*y))\""])))
        for k in 1..<3 { XCTAssertEqual(log2(odd[k - 1].totalVariation / odd[k].totalVariation), 1, accuracy: 0.1) }
        XCTAssertEqual(odd[2].totalVariation * 16, 1 / (4 * .pi), accuracy: 0.1 / (4 * .pi))
    }

    /// Started far from π_ε (f = e^{3 cos 2πx}, ρ0 heaped at x = 0; total variation 0.49 from π_ε)
    /// and run briefly (t = 0.25), the run is flagged on both counts; run long, it is not: with
    /// τ_int ≈ 0.2 (measured on the long run), a burn-in of 2 is 10 τ_int (> 5) and the 23 after it
    /// are ~120 τ_int (> 50: a margin of 2.4, where Sokal's estimate of τ_int at this length has a
    /// relative standard deviation √(20/120) ≈ 0.4). Started at π_ε, a short run needs no flag.
    func testRunLengthIsCheckedAgainstTauIntWhenTheStartIsNotPiEps() throws {
        func result(f: String, final: Double, burnIn: Double?) throws -> StationaryResult {
            let s = try Scenario(toml: scenario1D([
                "f": "f = \"\(f)\"", "count": "count = 1000", "final": "final = 1", "outputs": "outputs = [1]",
                "dt": "dt = 1e-3", "seed": "seed = 4", "cells": "cells = 16"]))
            var o = StationaryEstimator.Options()
            o.final = final
            o.burnIn = burnIn
            return try StationaryEstimator(scenario: s, options: o).run()
        }
        let short = try result(f: "exp(3*cos(2*pi*x))", final: 0.25, burnIn: nil)
        XCTAssertFalse(short.runLength.startedAtPiEps)
        XCTAssertGreaterThan(short.runLength.initialTotalVariation, 0.2)
        XCTAssertTrue(short.runLength.shortRun)
        XCTAssertTrue(short.runLength.shortBurnIn)
        XCTAssertEqual(short.runLength.warnings.count, 2)
        let long = try result(f: "exp(3*cos(2*pi*x))", final: 25, burnIn: 2)
        XCTAssertFalse(long.runLength.shortRun, "\(long.runLength)")
        XCTAssertFalse(long.runLength.shortBurnIn, "\(long.runLength)")
        XCTAssertTrue(long.runLength.warnings.isEmpty)
        let atPiEps = try result(f: "1", final: 0.25, burnIn: 0)
        XCTAssertTrue(atPiEps.runLength.startedAtPiEps)
        XCTAssertFalse(atPiEps.runLength.shortRun || atPiEps.runLength.shortBurnIn)
        XCTAssertTrue(atPiEps.runLength.warnings.isEmpty)
        // Its τ_int is still said to be rough (informational), the long run's is not.
        XCTAssertTrue(atPiEps.runLength.tauIntRough)
        XCTAssertFalse(long.runLength.tauIntRough)
    }

    /// A slow direction along x2 only (a review's case: two wells of U = −3 cos 4πx2, started in
    /// one of them, B and the x1 law fast to mix): τ_int is measured on cos 2πx_k, sin 2πx_k,
    /// cos 2πx_k/ε and sin 2πx_k/ε for every axis, so the run-length check sees the wells' τ_int
    /// (about 4) and flags a burn-in of 2 and a run of 8. With the x1 observables only, τ_int was
    /// 0.09 and the run passed as 85 τ_int long, while the particles had not mixed. The same wells
    /// moved to x2 = 1/4 and 3/4 (U = +3 cos 4πx2) are seen by sin 2πx2 only: cos 2πx2 is 0 at
    /// both, so with cosines alone this run passed the check.
    func testTauIntSeesASlowDirectionAlongTheSecondAxis() throws {
        for (u, f, slowest) in [("-3*cos(4*pi*x2)", "exp(4*cos(2*pi*x2))", 4), ("3*cos(4*pi*x2)", "exp(4*sin(2*pi*x2))", 5)] {
            let s = try Scenario(toml: scenario1D([
                "dimension": "dimension = 2", "B": "B = \"1.5 + 0.5*sin(2*pi*y1)\"",
                "pi": "U = \"\(u) - 0.3*cos(2*pi*y2)\"", "f": "f = \"\(f)\"",
                "count": "count = 1000", "final": "final = 1", "outputs": "outputs = [1]", "dt": "dt = 1e-3", "seed": "seed = 4",
                "cells": "cells = 16"]))
            var o = StationaryEstimator.Options()
            o.final = 10
            o.burnIn = 2
            let r = try StationaryEstimator(scenario: s, options: o).run()
            XCTAssertEqual(r.observables, ["cos(2 pi x1)", "sin(2 pi x1)", "cos(2 pi x1 / eps)", "sin(2 pi x1 / eps)",
                                           "cos(2 pi x2)", "sin(2 pi x2)", "cos(2 pi x2 / eps)", "sin(2 pi x2 / eps)"])
            XCTAssertEqual(r.tauInt.firstIndex(of: r.tauInt.max()!), slowest, "U = \(u): \(r.tauInt)")
            XCTAssertLessThan(r.tauInt[0], 0.5, "\(r.tauInt)")
            XCTAssertTrue(r.runLength.shortBurnIn && r.runLength.shortRun, "U = \(u): \(r.runLength)")
        }
    }

    /// π depending on y only coarse-grains to π̄ exactly at every ε: the homogenisation error is
    /// round-off (1e-16), printed as such, with no "order" fitted to it (a review saw "order
    /// −1.46, −5.91" from 3.1e-16 and 8.6e-16).
    func testAHomogenisationErrorOfRoundOffHasNoOrder() throws {
        let file = temporaryPath("stationary-y-only") + ".toml", out = temporaryPath("stationary-y-only")
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/stationary-1d.toml"), encoding: .utf8)
        let lines = text.components(separatedBy: "\n").map { $0.hasPrefix("pi = ") ? "pi = \"1 + 0.5*cos(2*pi*y)\"" : $0 }
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { for p in [file, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try runHomogen(["stationary", file, "--particles", "1000", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("against eps: eps = 1/8: 0 to round-off; eps = 1/16: 0 to round-off; eps = 1/32: 0 to round-off"),
                      r.stdout)
        XCTAssertFalse(r.stdout.contains("(order"), r.stdout)
    }

    /// ρ0 = π_ε is recognised whether given as f = 1 or as the density itself, and not otherwise.
    func testInitialIsEquilibrium() throws {
        XCTAssertTrue(try Scenario(toml: scenario1D()).initialIsEquilibrium())
        XCTAssertFalse(try Scenario(toml: scenario1D(["f": "f = \"1 + 0.01*cos(2*pi*y)\""])).initialIsEquilibrium())
        XCTAssertTrue(try Scenario(toml: scenario1D(
            ["f": "rho = \"(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*cos(2*pi*y))\""])).initialIsEquilibrium())
    }

    /// --final and --burn-in: the library refuses in its own terms, the command line names the flag
    /// and exits 64 (EX_USAGE).
    /// `stationary` estimates π_ε, the invariant law of the backward-Itô dynamics: another
    /// convention is refused (exit 65) before any work, for both schemes, with the law that
    /// convention has instead; it used to run the backward-Itô dynamics silently.
    func testAnotherConventionIsRefused() throws {
        for convention in [Convention.ito, .stratonovich] {
            let text = scenario1D(["convention": "convention = \"\(convention.rawValue)\""])
            for scheme in [SchemeKind.metropolis, .em] {
                var o = StationaryEstimator.Options()
                o.scheme = scheme
                XCTAssertThrowsError(try StationaryEstimator(scenario: try Scenario(toml: text), options: o)) {
                    XCTAssertEqual($0 as? SamplerError, .stationaryNeedsBackwardIto(convention))
                }
            }
            let file = temporaryPath("convention") + ".toml"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let out = temporaryPath("stationary-convention")
            let r = try runHomogen(["stationary", file, "--particles", "1000", "--out", out])
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("convention = '\(convention.rawValue)'") && r.stderr.contains("backward-ito"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    /// The largest-|z| test takes only cells with 10 independent samples per batch (ESS/B · p_c):
    /// a 3D run of 14 steps (2.2 τ_int) started at π_ε, 2·10⁴ particles in 100 batches (about
    /// 0.5 samples per batch in a cell), said DIFFER at seeds 9 and 11 (largest |z| p = 8e-4 and
    /// 1e-4: low-count cells with small sample variances), though the Metropolised scheme keeps
    /// π_ε exactly. Now no cell qualifies there and the verdict rests on the Hotelling tests;
    /// with 2·10⁵ particles the coarse cells qualify again and the test runs on them.
    func testLargestZSkipsCellsWithTooFewSamplesPerBatch() throws {
        let text = """
            name = "equilibrium-full-3d"
            description = "full B, started at pi_eps"
            dimension = 3
            epsilon = "1/4"
            [medium]
            B = [["2", "0.5*sin(2*pi*y3)", "0"], ["0.5*sin(2*pi*y3)", "2", "0.3*cos(2*pi*y1)"], ["0", "0.3*cos(2*pi*y1)", "2 + sin(2*pi*y2)"]]
            [equilibrium]
            pi = "(1 + 0.5*sin(2*pi*x2)) * (1 + 0.4*cos(2*pi*y1)*cos(2*pi*y2))"
            [initial]
            f = "1"
            [time]
            final = 0.0137
            outputs = [0.0137]
            dt = 1e-3
            [particles]
            count = 20000
            seed = 9
            [grid]
            cells = 8
            """
        for seed in [9, 11] {
            let s = try Scenario(toml: text.replacingOccurrences(of: "seed = 9", with: "seed = \(seed)"))
            let r = try StationaryEstimator(scenario: s).run()
            XCTAssertEqual(r.fine.maxZCells, 0)
            XCTAssertEqual(r.fine.maxZPValue, 1)
            XCTAssertTrue(r.consistentWithPiEps, "seed \(seed): \(r.testPValues)")
        }
        let many = try Scenario(toml: text.replacingOccurrences(of: "count = 20000", with: "count = 200000"))
        let r = try StationaryEstimator(scenario: many).run()
        XCTAssertEqual(r.coarse.maxZCells, 64)
        XCTAssertTrue(r.consistentWithPiEps, "\(r.testPValues)")
    }

    /// A cell empty in every batch (π_ε nearly 0 there; a review's π = 1 − 0.99 cos 2πy) made the
    /// batch covariance singular: the Hotelling p-value was NaN and the run folder could not be
    /// written. The cells are now merged further until the covariance is regular. Batches whose
    /// means equal π_ε's masses exactly give T² = 0 (p = 1); the same batches against masses
    /// shifted by 0.02 between two merged cells give p < 10⁻⁶.
    func testHotellingMergesCellsThatAreEmptyInEveryBatch() {
        let exact = [0, 0.25, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1], perBatch = [Double](repeating: 1000, count: 20)
        let counts = (0..<20).map { j -> [Double] in
            // Noise of mean zero over the batches in each cell, summing to zero over the cells.
            var row: [Double] = [0]
            for c in 1..<8 {
                let noise = Double((j + 3 * c) % 5 - 2) * 4
                row.append(1000 * exact[c] + noise)
            }
            row[7] -= row.reduce(0, +) - 1000
            return row
        }
        let (t2, p, merged) = StationaryResult.hotelling(counts, perBatch: perBatch, exact: exact, cells: 8, dimension: .one)
        XCTAssertLessThan(merged, 8, "the empty cell is merged")
        XCTAssertEqual(t2, 0, accuracy: 1e-9)
        XCTAssertEqual(p, 1, accuracy: 1e-9)
        var shifted = exact
        shifted[2] -= 0.02; shifted[4] += 0.02
        let (_, q, _) = StationaryResult.hotelling(counts, perBatch: perBatch, exact: shifted, cells: 8, dimension: .one)
        XCTAssertLessThan(q, 1e-6)
        XCTAssertTrue(q.isFinite)
        // The empty cell last (the one the test drops): the others then sum to 1 in every batch,
        // a singular covariance whose Cholesky pivot is round-off; merged too, not p ≈ 0.
        let (t2Last, pLast, mergedLast) = StationaryResult.hotelling(counts.map { Array($0.reversed()) }, perBatch: perBatch,
                                                                     exact: exact.reversed(), cells: 8, dimension: .one)
        XCTAssertLessThan(mergedLast, 8)
        XCTAssertEqual(t2Last, 0, accuracy: 1e-9)
        XCTAssertEqual(pLast, 1, accuracy: 1e-9)
    }

    func testRunLengthAndBurnInAreValidated() throws {
        let s = try Scenario(toml: scenario1D())
        func estimator(final: Double?, burnIn: Double?) throws {
            var o = StationaryEstimator.Options()
            o.final = final
            o.burnIn = burnIn
            _ = try StationaryEstimator(scenario: s, options: o)
        }
        XCTAssertThrowsError(try estimator(final: -1, burnIn: nil)) {
            XCTAssertEqual($0 as? StationaryError, .badRunLength(final: -1, dt: 1e-5))
        }
        XCTAssertThrowsError(try estimator(final: 1, burnIn: 1)) {
            XCTAssertEqual($0 as? StationaryError, .badBurnIn(burnIn: 1, final: 1))
        }
        XCTAssertThrowsError(try estimator(final: nil, burnIn: -0.001))
        XCTAssertThrowsError(try estimator(final: nil, burnIn: .nan))
        let ok = try StationaryEstimator(scenario: s, options: {
            var o = StationaryEstimator.Options(); o.final = 0.02; o.burnIn = 0.005; return o }())
        XCTAssertEqual(ok.steps, 2000)
        XCTAssertEqual(ok.burnInSteps, 500)
        XCTAssertEqual(ok.scenario.time.final, 0.02)

        let file = repositoryRoot.appendingPathComponent("scenarios/stationary-1d.toml").path
        for (arguments, flag) in [(["--final", "0"], "--final"), (["--final=-2"], "--final"),
                                  (["--burn-in", "3"], "--burn-in"), (["--final", "1", "--burn-in", "1"], "--burn-in"),
                                  (["--burn-in=-0.1"], "--burn-in")] {
            let out = temporaryPath("stationary-bad")
            let r = try runHomogen(["stationary", file, "--particles", "1000", "--out", out] + arguments)
            XCTAssertEqual(r.status, 64, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(flag), "\(arguments): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    func testStationaryCommandWritesTheSummary() throws {
        let out = temporaryPath("stationary")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["stationary", "scenarios/stationary-1d.toml", "--particles", "2000", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("acceptance rate"), r.stdout)
        XCTAssertTrue(r.stdout.contains("the particles match pi_eps"), r.stdout)
        XCTAssertTrue(r.stdout.contains("homogenisation error at eps = 1/8"), r.stdout)
        XCTAssertFalse(r.stderr.contains("warning"), r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        for key in ["acceptance_rate", "tau_int", "ess", "chi2_p_value_pi_eps", "chi2_p_value_pi_eps_coarse", "burn_in", "final",
                    "homogenisation_error", "homogenisation_error_vs_epsilon", "run_length", "consistent_with_pi_eps", "warnings"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertNil(summary["chi2_p_value_pi_bar"])
        XCTAssertEqual(summary["consistent_with_pi_eps"] as? Bool, true)
        let csv = try String(contentsOfFile: out + "/pi_eps.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "x_lo,x_hi,estimate,standard_error,exact")
        let coarse = try String(contentsOfFile: out + "/pi_eps_coarse.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(coarse.first, "x_lo,x_hi,estimate,standard_error,exact,pi_bar")
        XCTAssertEqual(coarse.count, 9)
    }

    /// A chain started far from π_ε and run briefly: the command warns on standard error and
    /// flags it in summary.json (both checks); a dt sweep whose biases sink into the noise prints
    /// no order, and summary.json has none (order null, biases_significant false).
    func testStationaryCommandWarnsAndFlags() throws {
        let dir = temporaryPath("stationary-warn")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/far.toml"
        try scenario1D(["f": "f = \"exp(3*cos(2*pi*x))\"", "final": "final = 0.05", "outputs": "outputs = [0.05]",
                        "dt": "dt = 2e-5"]).write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runHomogen(["stationary", file, "--particles", "1000", "--dt-sweep", "--out", dir + "/run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("stationary: warning: the particles did not start at pi_eps"), r.stderr)
        XCTAssertTrue(r.stderr.contains("lengthen the burn-in"), r.stderr)
        XCTAssertTrue(r.stderr.contains("lengthen the run"), r.stderr)
        XCTAssertTrue(r.stdout.contains("fitted order: none"), r.stdout)
        XCTAssertFalse(r.stdout.contains("fitted order 0") || r.stdout.contains("fitted order 1"), r.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run/summary.json"))) as! [String: Any]
        let check = try XCTUnwrap(summary["run_length"] as? [String: Any])
        XCTAssertEqual(check["started_at_pi_eps"] as? Bool, false)
        XCTAssertEqual(check["short_run"] as? Bool, true)
        XCTAssertEqual(check["short_burn_in"] as? Bool, true)
        XCTAssertEqual((summary["warnings"] as? [String])?.count, 3)
        let sweep = try XCTUnwrap(summary["dt_sweep"] as? [String: Any])
        XCTAssertEqual(sweep["biases_significant"] as? Bool, false)
        XCTAssertTrue(sweep["order"] is NSNull, "\(sweep)")
        XCTAssertTrue(sweep["order_standard_error"] is NSNull, "\(sweep)")
        XCTAssertNotNil(sweep["fitted_slope"])
    }
}

/// `homogen stationary --shard K/N` and `--merge`: the merged estimate equals the single run's, and
/// so does a run on another number of threads.
final class StationaryShardTests: XCTestCase {
    func testMergedShardsEqualTheSingleRun() throws {
        let base = temporaryPath("stationary-shards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["stationary", "scenarios/stationary-1d.toml", "--particles", "4000"]
        XCTAssertEqual(try runHomogen(common + ["--out", base + "/single"]).status, 0)
        for k in 0..<3 { XCTAssertEqual(try runHomogen(common + ["--shard", "\(k)/3", "--out", "\(base)/s\(k)"]).status, 0) }
        let merged = try runHomogen(common + ["--merge", "\(base)/s2", "\(base)/s0", "\(base)/s1", "--out", base + "/merged"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        for f in ["pi_eps.csv", "pi_eps_coarse.csv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/single/\(f)"), FileManager.default.contents(atPath: "\(base)/merged/\(f)"), f)
        }
        func summary(_ dir: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        }
        let a = try summary(base + "/single"), b = try summary(base + "/merged")
        let ma = a["observable_means"] as! [String: Double], mb = b["observable_means"] as! [String: Double]
        for (k, v) in ma { XCTAssertEqual(v, mb[k]!, k) }   // exact sums: bit for bit
        XCTAssertEqual(a["acceptance_rate"] as? Double, b["acceptance_rate"] as? Double)
        // Any thread count gives the same bits (the observable sums are exact per block).
        XCTAssertEqual(try runHomogen(common + ["--threads", "3", "--out", base + "/three"]).status, 0)
        let c = try summary(base + "/three")
        XCTAssertEqual(c["observable_means"] as! [String: Double], ma)
        XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/single/pi_eps.csv"), FileManager.default.contents(atPath: "\(base)/three/pi_eps.csv"))
        let gap = try runHomogen(common + ["--merge", "\(base)/s0", "\(base)/s2", "--out", base + "/gap"])
        XCTAssertNotEqual(gap.status, 0)
        XCTAssertTrue(gap.stderr.contains("leave a gap"), gap.stderr)
        let other = try runHomogen(common + ["--seed", "5", "--merge", "\(base)/s0", "\(base)/s1", "\(base)/s2", "--out", base + "/other"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("another run"), other.stderr)
        // Edited partial results no run writes (a review's, each merged with exit 0): refused.
        for (name, edit, message) in [("negative", { (j: inout [String: Any]) in
                                           var fine = j["fine_counts"] as! [[Double]]; fine[0][0] = -3; j["fine_counts"] = fine },
                                       "visit count -3.0"),
                                      ("rate", { (j: inout [String: Any]) in j["accepted"] = (j["proposed"] as! Int) + 10 },
                                       "moves accepted of"),
                                      ("count0", { (j: inout [String: Any]) in j["shard_count"] = 0 }, "shard 1 of 0")] {
            try FileManager.default.copyItem(atPath: base + "/s1", toPath: base + "/" + name)
            let file = URL(fileURLWithPath: base + "/" + name + "/partial.json")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
            edit(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: file)
            let r = try runHomogen(common + ["--merge", "\(base)/s0", "\(base)/\(name)", "\(base)/s2", "--out", base + "/never"])
            XCTAssertEqual(r.status, 65, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/never"))
        }
    }

    /// `stationary --checkpoint-every`: SIGTERM (after the first checkpoint) exits 130 and names
    /// the checkpoint; `--resume` writes the run folder of the uninterrupted run — the same
    /// histograms byte for byte, the same summary but for timings and provenance.
    func testStationaryCheckpointAndResumeFromTheCommandLine() throws {
        let base = temporaryPath("stationary-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["stationary", "scenarios/bench-1d.toml", "--particles", "20000", "--final", "0.05", "--threads", "2",
                      "--batches", "20"]
        XCTAssertEqual(try runHomogen(common + ["--out", base + "/full"]).status, 0)
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = common + ["--out", base + "/run", "--checkpoint-every", "0.2"]
        p.currentDirectoryURL = repositoryRoot
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("continue with --resume \(base)/run.checkpoint"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/run"), "no half-written run folder")
        let resumed = try runHomogen(common + ["--resume", base + "/run.checkpoint"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        for f in ["pi_eps.csv", "pi_eps_coarse.csv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"), FileManager.default.contents(atPath: "\(base)/run/\(f)"), f)
        }
        func summary(_ dir: String) throws -> [String: Any] {
            var s = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
            for key in ["seconds", "provenance"] { s.removeValue(forKey: key) }
            return s
        }
        XCTAssertEqual(NSDictionary(dictionary: try summary(base + "/full")), NSDictionary(dictionary: try summary(base + "/run")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/run.checkpoint"), "the checkpoint is removed after success")
        let merging = try runHomogen(common + ["--merge", base + "/x", "--resume", base + "/run.checkpoint"])
        XCTAssertEqual(merging.status, 64, merging.stderr)
    }

    /// Fewer than 20 batches: the run warns that its error bars have few degrees of freedom and its
    /// tests little power (with 2 batches a z of 20 has p = 1), on standard error and in summary.json.
    func testFewBatchesAreWarnedAbout() throws {
        let base = temporaryPath("stationary-batches")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["stationary", "scenarios/bench-1d.toml", "--particles", "4000", "--final", "0.01", "--threads", "2"]
        let few = try runHomogen(common + ["--batches", "2", "--out", base + "/few"])
        XCTAssertEqual(few.status, 0, few.stderr)
        XCTAssertTrue(few.stderr.contains("warning: only 2 batches: the standard errors have 1 degrees of freedom (95% intervals of ±12.71 SE"),
                      few.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/few/summary.json"))) as! [String: Any]
        XCTAssertTrue((summary["warnings"] as! [String]).contains { $0.hasPrefix("only 2 batches") })
        let enough = try runHomogen(common + ["--batches", "20", "--out", base + "/enough"])
        XCTAssertEqual(enough.status, 0, enough.stderr)
        XCTAssertFalse(enough.stderr.contains("batches:"), enough.stderr)
    }
}
