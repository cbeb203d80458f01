import Foundation
import Homogen
import XCTest

/// The ε-PDE reference of `compare` is checked against a finer solve and refined until its error
/// is small against the run's Monte Carlo noise (`ReferenceCheck`).
final class ReferenceCheckTests: XCTestCase {
    /// A thin energy barrier (π falls by e³ over a twentieth of the ε-cell): 32 solver cells per
    /// period, the default, leave an error far above the noise of 10⁵ particles.
    private func stiffEnergy(count: Int = 100_000) throws -> Scenario {
        try Scenario(toml: scenario1D([
            "B": "B = \"1\"", "pi": "pi = \"exp(-3*exp(-40*sin(pi*y)^2))\"", "f": "rho = \"1 + 0.8*cos(2*pi*x)\"",
            "final": "final = 0.05", "outputs": "outputs = [0.0, 0.01, 0.05]", "count": "count = \(count)", "cells": "cells = 64"]))
    }

    private func solve(_ s: Scenario, _ r: Int, _ dt: Double) throws -> FokkerPlanckResult {
        try FokkerPlanckSolver(scenario: s, options: .init(resolution: r, dt: dt)).run()
    }

    /// The default start is found too coarse (by far), the check refines, and the reference it
    /// picks is within the allowed error against a solve four times finer in space and time — the
    /// bound it certifies holds.
    func testAnUnderResolvedReferenceIsRefinedUntilItsErrorIsSmall() throws {
        let s = try stiffEnergy()
        let check = ReferenceCheck(scenario: s, particles: s.particles.count)
        let (reference, report) = try check.run(resolution: 32, dt: 1e-5) { try solve(s, $0, $1) }
        XCTAssertTrue(report.passed)
        XCTAssertGreaterThan(report.levels[0].ratio, 10, "the default resolution should be far too coarse here")
        XCTAssertGreaterThanOrEqual(report.resolution, 64)
        XCTAssertEqual(reference.solverCells, report.solverCells)
        XCTAssertEqual(reference.dt, report.dt)
        XCTAssertLessThanOrEqual(report.levels.last!.ratio, 1)
        // The true error of the reference, against a much finer solve: judge() doubles the
        // difference it is given, so the true λ / allowed is a quarter of its ratio.
        let truth = try solve(s, report.resolution * 4, report.dt / 4)
        let trueRatio = check.judge(reference, truth, resolution: report.resolution).ratio / 4
        XCTAssertLessThanOrEqual(trueRatio, 1, "the certified reference's true error exceeds the allowed shift")
    }

    /// A smooth medium at the default resolution passes at once: one level, the start is the reference.
    func testASmoothReferencePassesAtOnce() throws {
        let s = try Scenario(toml: scenario1D(["count": "count = 100000"]))
        let (reference, report) = try ReferenceCheck(scenario: s, particles: s.particles.count)
            .run(resolution: 32, dt: 1e-5) { try solve(s, $0, $1) }
        XCTAssertTrue(report.passed)
        XCTAssertEqual(report.levels.count, 1)
        XCTAssertEqual(report.resolution, 32)
        XCTAssertEqual(reference.dt, 1e-5)
    }

    /// With no refinement allowed, an under-resolved start is reported as not converged, and the
    /// finer of the two solves is the reference.
    func testRunningOutOfRefinementsIsReported() throws {
        let s = try stiffEnergy()
        let (reference, report) = try ReferenceCheck(scenario: s, particles: s.particles.count)
            .run(resolution: 32, dt: 1e-5, maximumRefinements: 0) { try solve(s, $0, $1) }
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.levels.count, 1)
        XCTAssertEqual(report.resolution, 64)
        XCTAssertEqual(reference.dt, 5e-6)
        XCTAssertNil(report.stoppedBecause)
    }

    /// On a grid where resolution × 2 would not nest (60 output cells, ε = 1/4: 32 cells per period
    /// give 180 solver cells, 64 would give 300), every refinement doubles the solver's own cells,
    /// so the reference averages exactly onto the first grid.
    func testRefinementsNestInTheFirstGrid() throws {
        let s = try Scenario(toml: scenario1D([
            "B": "B = \"1\"", "pi": "pi = \"exp(-3*exp(-40*sin(pi*y)^2))\"", "f": "rho = \"1 + 0.8*cos(2*pi*x)\"",
            "final": "final = 0.01", "outputs": "outputs = [0.0, 0.01]", "count": "count = 100000", "cells": "cells = 60"]))
        let (reference, report) = try ReferenceCheck(scenario: s, particles: 100_000)
            .run(resolution: 32, dt: 1e-5, maximumRefinements: 1) { try solve(s, $0, $1) }
        XCTAssertEqual(report.levels.first?.solverCells, 180)
        XCTAssertGreaterThan(report.levels.first?.ratio ?? 0, 1, "32 cells per period should not pass here")
        for (a, b) in zip(report.levels, report.levels.dropFirst()) { XCTAssertEqual(b.solverCells, 2 * a.solverCells) }
        XCTAssertEqual(reference.solverCells % 180, 0)
        let averaged = reference.averaged(toSolverCells: 180)
        for (q, r) in zip(averaged.snapshots, reference.snapshots) {
            // Mass (Σ density × cell width) is kept to round-off.
            XCTAssertEqual(q.solverDensity.reduce(0, +) / 180, r.solverDensity.reduce(0, +) / Double(reference.solverCells),
                           accuracy: 1e-12)
        }
    }

    /// At the solver's resolution limit the check cannot refine: the first solve is the
    /// reference, not passed, and the report says why.
    func testTheSolverLimitStopsTheCheckAndSaysSo() throws {
        let s = try Scenario(toml: scenario1D(["count": "count = 1000", "final": "final = 0.0001", "outputs": "outputs = [0.0, 0.0001]"]))
        let (reference, report) = try ReferenceCheck(scenario: s, particles: 1000).run(resolution: 4096, dt: 1e-4) { try solve(s, $0, $1) }
        XCTAssertFalse(report.passed)
        XCTAssertTrue(report.levels.isEmpty)
        XCTAssertEqual(report.resolution, 4096)
        XCTAssertEqual(reference.solverCells, report.solverCells)
        XCTAssertTrue(report.stoppedBecause?.contains("cannot refine to 8192 cells per period") == true, report.stoppedBecause ?? "nil")
        // On the command line (a review's case: an output grid of 32768 cells at ε = 1/8 already
        // takes the finest grid): the error is NOT measured, and the verdict says what allows the
        // check — not "NOT converged (raise --resolution, ...)" with an empty list of bounds.
        let file = temporaryPath("fine-output") + ".toml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["epsilon": "epsilon = \"1/8\"", "cells": "cells = 32768", "final": "final = 0.002",
                        "outputs": "outputs = [0.0, 0.002]", "dt": "dt = 1e-4"]).write(toFile: file, atomically: true, encoding: .utf8)
        let out = temporaryPath("fine-output-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["compare", file, "--particles", "2000", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("its error is NOT measured: the solver cannot refine to 8192 cells per period"), r.stdout)
        XCTAssertTrue(r.stdout.contains("fewer [grid] cells allow the check"), r.stdout)
        XCTAssertFalse(r.stdout.contains("NOT converged"), r.stdout)
    }

    /// The error allowed scales with the noise: 100 particles see no error where 10⁵ see one.
    func testTheAllowedErrorScalesWithTheParticleCount() throws {
        let s = try stiffEnergy(count: 100)
        let (_, report) = try ReferenceCheck(scenario: s, particles: 100).run(resolution: 32, dt: 1e-5) { try solve(s, $0, $1) }
        let many = ReferenceCheck(scenario: s, particles: 100_000)
        let coarse = try solve(s, 32, 1e-5), fine = try solve(s, 64, 5e-6)
        let ratioMany = many.judge(coarse, fine, resolution: 32).ratio
        XCTAssertLessThan(report.levels[0].ratio, ratioMany)
        XCTAssertGreaterThan(ratioMany, 1)
    }

    /// Through the CLI: the table names the reference and its check, summary.json records it;
    /// `--skip-reference-check` uses the given resolution and flags the verdict.
    func testCompareReportsTheReferenceCheck() throws {
        let file = temporaryPath("reference.toml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["B": "B = \"1\"", "pi": "pi = \"exp(-3*exp(-40*sin(pi*y)^2))\"", "count": "count = 20000",
                        "f": "rho = \"1 + 0.8*cos(2*pi*x)\"",
                        "cells": "cells = 32", "outputs": "outputs = [0.0, 0.002]", "final": "final = 0.002"])
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out1 = temporaryPath("reference-1"), out2 = temporaryPath("reference-2")
        defer { for o in [out1, out2] { try? FileManager.default.removeItem(atPath: o) } }
        let checked = try runHomogen(["compare", file, "--dt", "1e-6", "--skip-dt-check", "--resolution", "8",
                                      "--out", out1, "--quiet"])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        let line = checked.stdout.split(separator: "\n").first { $0.hasPrefix("eps-PDE reference:") }.map(String.init) ?? ""
        XCTAssertTrue(line.contains("8 cells/period"), line)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out1 + "/summary.json"))) as! [String: Any]
        let check = try XCTUnwrap(summary["reference_check"] as? [String: Any])
        let levels = try XCTUnwrap(check["levels"] as? [[String: Any]])
        XCTAssertGreaterThan(levels[0]["ratio"] as? Double ?? 0, 1, "8 cells per period should not pass here")
        XCTAssertGreaterThan(check["resolution"] as? Int ?? 0, 8)
        XCTAssertEqual(check["passed"] as? Bool, true)

        let skipped = try runHomogen(["compare", file, "--dt", "1e-6", "--skip-dt-check", "--resolution", "8",
                                      "--skip-reference-check", "--out", out2, "--quiet"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        let last = skipped.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasSuffix("the eps-PDE reference was NOT checked"), last)
        let summary2 = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out2 + "/summary.json"))) as! [String: Any]
        XCTAssertNil(summary2["reference_check"])
    }
}
