import Foundation
import Homogen
import XCTest

/// The verdict of `compare` can say no: its smallest p-value lies below the level, it rejects
/// wrong particles (a coarse step, a rotated initial density, a wrong medium), it keeps its size
/// on correct ones, and `--strict` turns a rejection into an exit status.
final class VerdictTests: XCTestCase {
    /// 1D scenario of the tests (ε = 1/4) with a well-prepared start and two output times.
    private func scenario(_ replace: [String: String] = [:], count: Int = 5000) throws -> Scenario {
        var r = ["f": "f = \"1 + 0.5*cos(2*pi*x)\"", "count": "count = \(count)", "cells": "cells = 32",
                 "outputs": "outputs = [0.0, 0.01]", "final": "final = 0.01"]
        for (k, v) in replace { r[k] = v }
        return try Scenario(toml: scenario1D(r))
    }

    /// Particles of `other` (same times, grid and count), compared with the PDEs of `s`.
    private func compare(_ s: Scenario, particlesOf other: Scenario, allowCoarse: Bool = false) throws -> Comparison.Result {
        let particles = try ParticleSampler(scenario: other, options: .init(allowCoarseTimeStep: allowCoarse, keepPositions: true)).run()
        return try Comparison(scenario: s, options: .init()).run(particles: particles)
    }

    func testTheSmallestDefaultPValueIsWellBelowTheLevel() throws {
        let s = try scenario()
        // Defaults: α = 0.01, two tests per output time, Holm's smallest threshold α / m.
        let m = 2 * s.time.outputs.count
        let r = try compare(s, particlesOf: try scenario(["f": "f = \"1 + 0.5*cos(2*pi*(x - 0.125))\""]))
        XCTAssertEqual(r.significance, 0.01)
        XCTAssertLessThanOrEqual(1 / Double(r.bootstrapRepetitions + 1), 0.01 / Double(2 * m))
        // Far-off particles reach that smallest p-value, and the verdict says DIFFER.
        XCTAssertEqual(r.rows[0].pValueParticlesEpsilon, 1 / Double(r.bootstrapRepetitions + 1))
        XCTAssertFalse(r.consistent)
    }

    /// A rotated initial density (an eighth of the circle): rejected at every time, by a named test.
    func testARotatedInitialDensityIsRejected() throws {
        let s = try scenario()
        let r = try compare(s, particlesOf: try scenario(["f": "f = \"1 + 0.5*cos(2*pi*(x - 0.125))\""]))
        for row in r.rows {
            XCTAssertFalse(row.consistent, "t = \(row.t)")
            XCTAssertNotNil(row.decidedBy)
            XCTAssertTrue(VerdictText.row(row, significance: 0.01).contains("DIFFER"), VerdictText.row(row, significance: 0.01))
        }
    }

    /// A wrong medium (B = 2 + sin instead of 2 + 0.5 sin) changes the dynamics: rejected at t > 0,
    /// not at t = 0 (same initial density).
    func testAWrongMediumIsRejected() throws {
        let s = try scenario(["B": "B = \"2 + 0.5*sin(2*pi*y)\""])
        let r = try compare(s, particlesOf: try scenario(["B": "B = \"0.7 + 0.5*sin(2*pi*y)\""]))
        XCTAssertTrue(r.rows[0].consistent, VerdictText.row(r.rows[0], significance: 0.01))
        XCTAssertFalse(r.rows[1].consistent, VerdictText.row(r.rows[1], significance: 0.01))
    }

    /// A step far above the rule (dt = 2e-3 at ε = 1/4, 32x the rule's 6.25e-5·…) biases the
    /// particles: the verdict rejects at t = 0.01 instead of printing "consistent".
    func testACoarseStepIsRejected() throws {
        let s = try scenario()
        let coarse = try s.replacing(time: TimeSettings(final: 0.01, outputs: [0.0, 0.01], dt: 2e-3))
        let r = try compare(s, particlesOf: coarse, allowCoarse: true)
        XCTAssertFalse(r.rows[1].consistent, VerdictText.row(r.rows[1], significance: 0.01))
        XCTAssertFalse(r.consistent)
    }

    /// Size: correct particles (exact draws of the ε-PDE's density at t = 0, over 40 seeds) are
    /// called consistent at a rate ≥ 1 − α − 3 SE; each seed's two tests are valid p-values.
    func testCorrectParticlesAreCalledConsistent() throws {
        var consistent = 0
        let seeds = 40
        for k in 0..<seeds {
            let s = try scenario(["outputs": "outputs = [0.0]", "final": "final = 0.0001", "seed": "seed = \(100 + k)"], count: 2000)
            let r = try compare(s, particlesOf: s)
            if r.consistent { consistent += 1 }
        }
        let se = (0.01 * 0.99 / Double(seeds)).squareRoot()
        XCTAssertGreaterThanOrEqual(Double(consistent) / Double(seeds), 0.99 - 3 * se - 1e-12)
    }

    /// `--strict` exits 3 on a rejection (and writes everything first); without it the run exits 0
    /// and the last line says the particles differ.
    func testStrictTurnsARejectionIntoAnExitStatus() throws {
        let file = temporaryPath("coarse-verdict.toml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["f": "f = \"1 + 0.5*cos(2*pi*x)\"", "count": "count = 5000", "cells": "cells = 32",
                        "outputs": "outputs = [0.0, 0.01]", "dt": "dt = 2e-3"])
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out1 = temporaryPath("verdict-1"), out2 = temporaryPath("verdict-2")
        defer { for o in [out1, out2] { try? FileManager.default.removeItem(atPath: o) } }
        let plain = try runHomogen(["compare", file, "--dt", "2e-3", "--allow-coarse-dt", "--out", out1, "--quiet"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let last = plain.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("verdict: the particles DIFFER"), last)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out1 + "/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["consistent"] as? Bool, false)
        let rows = summary["outputs"] as! [[String: Any]]
        XCTAssertEqual(rows[1]["consistent"] as? Bool, false)
        XCTAssertNotNil(rows[1]["chi2_p_value_particles_epsilon"])
        XCTAssertTrue((rows[1]["verdict"] as? String ?? "").contains("DIFFER"))
        let strict = try runHomogen(["compare", file, "--dt", "2e-3", "--allow-coarse-dt", "--strict", "--out", out2, "--quiet"])
        XCTAssertEqual(strict.status, 3, strict.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out2 + "/summary.json"))
    }
}
