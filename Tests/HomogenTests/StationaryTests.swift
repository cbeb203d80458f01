import Foundation
import Homogen
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

    /// At dt = 4e-4 Euler–Maruyama's invariant measure is visibly biased (relative bias of a
    /// fast observable ~6%), and the test on batch means rejects it; MALA keeps π_ε exactly.
    func testMALAIsInvariantWhereEulerMaruyamaIsBiased() throws {
        let s = try scenario(count: 4000)
        let mala = try run(s, .metropolis)
        let em = try run(s, .em)
        XCTAssertGreaterThan(mala.fine.chi2PValue, 1e-3)
        XCTAssertGreaterThan(mala.acceptanceRate!, 0.8)
        XCTAssertLessThan(em.fine.chi2PValue, 1e-6)
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
        XCTAssertEqual(sweep.order, 1, accuracy: 0.2)
        XCTAssertGreaterThan(abs(sweep.bias.last!), 5 * sweep.standardError.last!)
        XCTAssertTrue(sweep.biasesSignificant)
        // Four points: the order's standard error comes from the scatter about the line.
        let se = try XCTUnwrap(sweep.orderStandardError)
        XCTAssertTrue(se > 0 && se < 0.2, "\(se)")
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
    /// ε-period) matches π̄ within its error bars.
    func testCoarseGrainedEstimateMatchesPiBarIn2D() throws {
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
        XCTAssertGreaterThan(r.coarse.chi2PValue, 1e-3)
        XCTAssertEqual(r.coarse.cells, 8)
    }

    func testStationaryCommandWritesTheSummary() throws {
        let out = temporaryPath("stationary")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["stationary", "scenarios/stationary-1d.toml", "--particles", "2000", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("acceptance rate"), r.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        for key in ["acceptance_rate", "tau_int", "ess", "chi2_p_value_pi_eps", "chi2_p_value_pi_bar", "burn_in"] {
            XCTAssertNotNil(summary[key], key)
        }
        let csv = try String(contentsOfFile: out + "/pi_eps.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "x_lo,x_hi,estimate,standard_error,exact")
    }
}

/// `homogen stationary --shard K/N` and `--merge`: the merged estimate equals the single run's.
final class StationaryShardTests: XCTestCase {
    func testMergedShardsEqualTheSingleRun() throws {
        let base = temporaryPath("stationary-shards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["stationary", "scenarios/stationary-1d.toml", "--particles", "4000"]
        XCTAssertEqual(try runHomogen(common + ["--out", base + "/single"]).status, 0)
        for k in 0..<3 { XCTAssertEqual(try runHomogen(common + ["--shard", "\(k)/3", "--out", "\(base)/s\(k)"]).status, 0) }
        let merged = try runHomogen(common + ["--merge", "\(base)/s2", "\(base)/s0", "\(base)/s1", "--out", base + "/merged"])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        for f in ["pi_eps.csv", "pi_bar.csv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/single/\(f)"), FileManager.default.contents(atPath: "\(base)/merged/\(f)"), f)
        }
        func summary(_ dir: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        }
        let a = try summary(base + "/single"), b = try summary(base + "/merged")
        let ma = a["observable_means"] as! [String: Double], mb = b["observable_means"] as! [String: Double]
        for (k, v) in ma { XCTAssertEqual(v, mb[k]!, accuracy: 1e-12, k) }
        XCTAssertEqual(a["acceptance_rate"] as? Double, b["acceptance_rate"] as? Double)
        let gap = try runHomogen(common + ["--merge", "\(base)/s0", "\(base)/s2", "--out", base + "/gap"])
        XCTAssertNotEqual(gap.status, 0)
        XCTAssertTrue(gap.stderr.contains("leave a gap"), gap.stderr)
        let other = try runHomogen(common + ["--seed", "5", "--merge", "\(base)/s0", "\(base)/s1", "\(base)/s2", "--out", base + "/other"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("another run"), other.stderr)
    }
}
