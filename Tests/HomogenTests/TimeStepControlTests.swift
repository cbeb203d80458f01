import Foundation
@testable import Homogen
import XCTest

/// The sampler's time-step control: the bias statistic against exact values, the decision on an
/// exact scheme, and the command line's choice, check and refusal.
final class TimeStepControlTests: XCTestCase {
    /// A reproducible uniform stream for synthetic positions (SplitMix64).
    private struct SplitMix {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// Coarse positions displaced from the fine ones by δ sin 2πx: the estimated non-centrality
    /// must match N Σ b_g²/p_g with b_g = 2 ∫ (w_g(x + δ sin 2πx) − w_g(x)) dx (cloud-in-cell
    /// weights, by a fine midpoint rule), within three of its own standard errors; identical paths
    /// give exactly zero.
    func testBiasStatisticMatchesAKnownDisplacement() {
        let cells = 16, m = 40_000, delta = 0.004
        var rng = SplitMix(state: 11)
        let fine = (0..<m).map { _ in rng.next() }
        let displaced = { (x: Double) -> Double in
            let y = x + delta * sin(2 * .pi * x)
            return y - y.rounded(.down)
        }
        let record = CoupledPilot.Record(coarse: [fine.map(displaced)], fine: [fine])
        let statistic = DiscretisationBias(cells: cells, dimension: .one, runParticles: m, order: 1)
        let estimate = statistic.estimates(record)[0]
        // Exact cell biases: hat weights around cell centres (g + ½)/n.
        func weights(_ x: Double) -> [Double] {
            var w = [Double](repeating: 0, count: cells)
            let u = x * Double(cells) - 0.5, lower = u.rounded(.down), f = u - lower
            let i0 = ((Int(lower) % cells) + cells) % cells
            w[i0] += 1 - f; w[(i0 + 1) % cells] += f
            return w
        }
        var b = [Double](repeating: 0, count: cells)
        let q = 400_000
        for j in 0..<q {
            let x = (Double(j) + 0.5) / Double(q)
            let a = weights(displaced(x)), c = weights(x)
            for g in 0..<cells { b[g] += 2 * (a[g] - c[g]) / Double(q) }
        }
        let exact = Double(m) * b.reduce(0) { $0 + $1 * $1 / (1 / Double(cells)) }
        XCTAssertEqual(estimate.coarsening, 1)
        XCTAssertEqual(estimate.groups, cells)
        XCTAssertGreaterThan(exact, 10 * estimate.standardError, "the test needs a resolved bias")
        XCTAssertEqual(estimate.noncentrality, exact, accuracy: 3 * estimate.standardError)
        // A second-order scheme's Richardson factor is 4/3 instead of 2: λ scales by (2/3)².
        let second = DiscretisationBias(cells: cells, dimension: .one, runParticles: m, order: 2).estimates(record)[0]
        XCTAssertEqual(second.noncentrality, exact * 4 / 9, accuracy: 3 * second.standardError)
        let same = statistic.estimates(CoupledPilot.Record(coarse: [fine], fine: [fine]))
        for e in same {
            XCTAssertEqual(e.noncentrality, 0)
            XCTAssertEqual(e.standardError, 0)
        }
    }

    /// Constant medium and uniform equilibrium: Euler–Maruyama is exact in law and the coupled
    /// paths coincide, so the first guess passes by its own pilot.
    func testExactSchemePassesAtTheFirstGuess() throws {
        let s = try Scenario(toml: scenario1D([
            "B": "B = \"2\"", "pi": "pi = \"1\"", "f": "rho = \"1 + 0.5*cos(2*pi*x)\"",
            "count": "count = 20000", "dt": "dt = 1e-4",
        ]))
        let report = try TimeStepControl(scenario: s, threads: 2).choose()
        XCTAssertTrue(report.passed)
        XCTAssertEqual(report.dt, TimeStepControl(scenario: s).firstGuess)
        XCTAssertLessThan(report.boundOverThreshold, 1e-6)
    }

    private var coarseScenario: String {
        scenario1D([
            "B": "B = \"1.5 + sin(2*pi*y)\"",
            "pi": "pi = \"1 + 0.5*cos(2*pi*x) + 0.4*cos(2*pi*y)\"",
            "f": "rho = \"1 + 0.8*cos(2*pi*x)\"",
            "final": "final = 0.02", "outputs": "outputs = [0.0, 0.005, 0.02]", "dt": "dt = 1e-3",
            "count": "count = 20000", "cells": "cells = 32",
        ])
    }

    /// dt = 1e-3 is below the rule of thumb here (ε² λ_min(B)/10 = 3.1e-3) but far too coarse for
    /// 2·10⁴ particles: `--dt 1e-3` is refused, naming a step that passes; `--allow-coarse-dt` runs
    /// it and says so; without `--dt` the control chooses a finer step; `--skip-dt-check` says
    /// that nothing was checked.
    func testCommandLineChoosesChecksAndRefuses() throws {
        let file = temporaryPath("coarse.toml")
        try coarseScenario.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }

        let refused = try runHomogen(["sample", file, "--dt", "1e-3", "--out", temporaryPath("never")])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("too coarse for this many particles"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("passes (--dt"), refused.stderr)

        let forcedFolder = temporaryPath("forced")
        let forced = try runHomogen(["sample", file, "--dt", "1e-3", "--allow-coarse-dt", "--out", forcedFolder])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stdout.contains("NOT small against the Monte Carlo noise"), forced.stdout)
        let forcedSummary = try summary(forcedFolder)
        let forcedControl = try XCTUnwrap(forcedSummary["time_step_control"] as? [String: Any])
        XCTAssertEqual(forcedControl["passed"] as? Bool, false)
        XCTAssertEqual(forcedControl["dt"] as? Double, 1e-3)

        let chosenFolder = temporaryPath("chosen")
        let chosen = try runHomogen(["sample", file, "--out", chosenFolder])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let control = try XCTUnwrap(try summary(chosenFolder)["time_step_control"] as? [String: Any])
        XCTAssertEqual(control["passed"] as? Bool, true)
        let dt = try XCTUnwrap(control["dt"] as? Double)
        XCTAssertLessThan(dt, 1e-3)
        XCTAssertLessThanOrEqual(try XCTUnwrap(control["bound_over_threshold"] as? Double), 1)
        XCTAssertTrue(chosen.stdout.contains("time step: dt = \(dt)"), chosen.stdout)

        let unchecked = try runHomogen(["sample", file, "--dt", "1e-4", "--skip-dt-check", "--out", temporaryPath("unchecked")])
        XCTAssertEqual(unchecked.status, 0, unchecked.stderr)
        XCTAssertTrue(unchecked.stdout.contains("NOT checked"), unchecked.stdout)
    }

    /// scenarios/anisotropic-full-2d.toml (a review's case): the local weak error sinks into the
    /// probe's noise where weak2 leaves its pre-asymptotic regime, and the control, which carried
    /// the pre-asymptotic ratio 1.42, certified 1.5625e-6 where the review measured 2e-4 adequate
    /// (2e5 particles against the exact law). With the level probed again, `compare` certifies a
    /// step of at least 1e-4 (within 2 of the adequate one: the issue asks 4), and its particles
    /// agree with the ε-PDE (here π_ε: the run starts at equilibrium) at that step, one seed at
    /// level 0.01.
    func testAStiffAnisotropicCaseIsCertifiedNearItsAdequateStep() throws {
        let out = temporaryPath("anisotropic")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["compare", "scenarios/anisotropic-full-2d.toml", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let control = try XCTUnwrap(try summary(out)["time_step_control"] as? [String: Any])
        XCTAssertEqual(control["passed"] as? Bool, true)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(control["dt"] as? Double), 1e-4, r.stderr)
        XCTAssertTrue(r.stdout.contains("verdict: the particles agree with the eps-PDE"), r.stdout)
    }

    /// End to end: by default `compare` samples at the step the control chooses and the verdict
    /// agrees; forced to dt = 1e-3 the particles are wrong, and the verdict both rejects and flags
    /// the step. (The verdict's level is 1%: a correct run is called different with probability
    /// 0.01, fixed here by the seed.)
    func testCompareAtTheChosenStepAgreesAndAtACoarseStepDiffers() throws {
        let file = temporaryPath("coarse.toml")
        try coarseScenario.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let chosen = try runHomogen(["compare", file, "--out", temporaryPath("compare-chosen")])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let last = chosen.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("verdict: the particles agree"), chosen.stdout)
        XCTAssertFalse(last.contains("NOT checked") || last.contains("TOO COARSE"), last)

        let coarse = try runHomogen(["compare", file, "--dt", "1e-3", "--allow-coarse-dt", "--strict",
                                     "--out", temporaryPath("compare-coarse")])
        XCTAssertEqual(coarse.status, 3, coarse.stderr)
        let verdict = coarse.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(verdict.contains("DIFFER") && verdict.contains("TOO COARSE"), verdict)
    }

    /// A step certified by extrapolation below the finest pilot carries a caveat for a DIFFER
    /// verdict (an independent review: 10⁻⁵ extrapolated from 8·10⁻⁵ had λ ≈ 9, ten times the
    /// allowed shift), naming a quarter of the step to rerun with; a step its own pilot passed, or
    /// one not certified, has none.
    func testAnExtrapolatedStepCarriesACaveatForADifferVerdict() {
        let pilot = TimeStepControl.Trial(dt: 8e-5, noncentrality: 211, standardError: 31, threshold: 0.866, worstTime: 0.05,
                                          coarsening: 16, groups: 7, passes: false, finite: true, resolved: true, largestCellBias: 0.01)
        func report(_ dt: Double, _ method: TimeStepControl.Method, passed: Bool = true) -> TimeStepControl.Report {
            TimeStepControl.Report(dt: dt, scheme: .weak2, passed: passed, method: method, ratio: 7.33, boundOverThreshold: 0.63,
                                   trials: [pilot], localErrors: [], pilotParticles: 100000, runParticles: 100000, seconds: 1)
        }
        let caveat = report(1e-5, .extrapolated).extrapolationCaveat ?? ""
        XCTAssertTrue(caveat.contains("dt = 1e-05 was certified by extrapolation from the finest pilot at 8e-05"), caveat)
        XCTAssertTrue(caveat.contains("rerun with --dt 2.5e-06"), caveat)
        XCTAssertNil(report(8e-5, .pilot).extrapolationCaveat)
        XCTAssertNil(report(1e-5, .extrapolated, passed: false).extrapolationCaveat)
        XCTAssertNil(report(1e-5, .unresolved, passed: false).extrapolationCaveat)
    }

    /// JSON has no infinity: an unbounded bias (no pilot bounds the step) is written as null and
    /// read back as infinity, so that `--allow-coarse-dt` runs can always write their summary.
    func testAnUnboundedBiasIsWrittenAsNull() throws {
        let blewUp = TimeStepControl.Trial(dt: 1e-3, noncentrality: .infinity, standardError: 1, threshold: 2, worstTime: 0.1,
                                           coarsening: 1, groups: 4, passes: false, finite: false, resolved: true,
                                           largestCellBias: .nan)
        let finite = TimeStepControl.Trial(dt: 5e-4, noncentrality: 3.5, standardError: 1, threshold: 2, worstTime: 0.1,
                                           coarsening: 1, groups: 4, passes: false, finite: true, resolved: true,
                                           largestCellBias: 0.25)
        let report = TimeStepControl.Report(dt: 1e-3, scheme: .em, passed: false, method: .none, ratio: nil,
                                            boundOverThreshold: .infinity, trials: [blewUp, finite], localErrors: [],
                                            pilotParticles: 20000, runParticles: 20000, seconds: 0.1)
        let data = try JSON.encodeSummary(report)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertTrue(object["bound_over_threshold"] is NSNull, "\(object)")
        let trials = object["trials"] as! [[String: Any]]
        XCTAssertTrue(trials[0]["noncentrality"] is NSNull && trials[0]["largest_cell_bias"] is NSNull, "\(trials[0])")
        XCTAssertEqual(trials[1]["noncentrality"] as? Double, 3.5)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let back = try decoder.decode(TimeStepControl.Report.self, from: data)
        XCTAssertEqual(back.boundOverThreshold, .infinity)
        XCTAssertEqual(back.trials[0].noncentrality, .infinity)
        XCTAssertEqual(back.trials[1], finite)
        // An absent value reads as unbounded too (folders written before the key existed).
        var old = object
        old.removeValue(forKey: "bound_over_threshold")
        old.removeValue(forKey: "provenance")
        let reread = try decoder.decode(TimeStepControl.Report.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertEqual(reread.boundOverThreshold, .infinity)
    }

    private func summary(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

extension TimeStepControlTests {
    /// A journal's decision above the step it was for (a review edited the cache file to 20 times
    /// the scenario's step; the run took it, called certified) is not reused: the control measures.
    /// One at or below it is.
    func testAJournalDecisionAboveItsStepIsNotReused() throws {
        let s = try Scenario(toml: scenario1D(["dt": "dt = 1e-3", "count": "count = 2000"]))
        let control = TimeStepControl(scenario: s, scheme: .standard, threads: 2)
        for (dt, reused) in [(2e-2, false), (5e-4, true)] {
            let directory = temporaryPath("journal-edited")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let report = TimeStepControl.Report(dt: dt, scheme: .standard, passed: true, method: .pilot, ratio: nil,
                                                boundOverThreshold: 0.5, trials: [], localErrors: [], pilotParticles: 20000,
                                                runParticles: 2000, seconds: 0)
            try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test").record(decision: report)
            let chosen = try control.choose(journal: try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test"))
            XCTAssertEqual(chosen.reused, reused, "journal dt \(dt)")
            XCTAssertLessThanOrEqual(chosen.dt, control.firstGuess, "journal dt \(dt)")
        }
    }

    /// A decision far below the scenario's step (here one kept in the run's journal, 4096 times
    /// below) that makes the run costly (`costlyRun` particle-steps) is refused with its cost, not
    /// started unannounced. Within `maximumShrink`, or where the run stays cheap, it is used; a
    /// requested step is the user's choice and is not refused for its cost.
    func testAPassingStepFarBelowTheScenariosIsRefusedWithItsCost() throws {
        func decided(_ dt: Double, count: Int, name: String, requested: Double? = nil) throws -> Double {
            let s = try Scenario(toml: scenario1D(["dt": "dt = 1e-3", "count": "count = \(count)"]))
            let control = TimeStepControl(scenario: s, scheme: .standard, threads: 2)
            let directory = temporaryPath(name)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let report = TimeStepControl.Report(dt: dt, scheme: .standard, passed: true, method: .pilot, ratio: nil,
                                                boundOverThreshold: 0.5, trials: [], localErrors: [], pilotParticles: 20000,
                                                runParticles: count, seconds: 0)
            try TimeStepJournal(control: control, requested: requested, directory: directory, build: "test").record(decision: report)
            let journal = try TimeStepJournal(control: control, requested: requested, directory: directory, build: "test")
            return try control.choose(requested: requested, journal: journal).dt
        }
        let tiny = 1e-3 / 4096
        XCTAssertThrowsError(try decided(tiny, count: 400_000, name: "journal-costly")) { error in
            guard case TimeStepControl.Failure.passingStepTooCostly(let dt, let scenarioDt, let work) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(dt, tiny)
            XCTAssertEqual(scenarioDt, 1e-3)
            XCTAssertEqual(work, 400_000 * 0.01 / tiny, accuracy: 1)
            XCTAssertGreaterThan(work, TimeStepControl.costlyRun)
            XCTAssertTrue("\(error)".contains("4096 times below the scenario's"), "\(error)")
        }
        XCTAssertEqual(try decided(1e-3 / 128, count: 400_000, name: "journal-within"), 1e-3 / 128)
        XCTAssertEqual(try decided(tiny, count: 20000, name: "journal-cheap"), tiny, "2e8 particle-steps: cheap")
        XCTAssertEqual(try decided(tiny, count: 400_000, name: "journal-requested", requested: tiny), tiny)
    }

    /// The Richardson factor follows the ratio measured over the pilot's own halving: with
    /// b(h/2) = b(h)/√r the difference D = p(h) − p(h/2) is b(h)(1 − r^(−1/2)), so a λ̂ formed with
    /// the order's factor 2^q/(2^q − 1) is corrected by c = ((1 − 2^(−q))/(1 − r^(−1/2)))²: 1 at
    /// the order's ratio 4^q, 2.25 for weak2 at r = 4 (and for Euler–Maruyama at r = 9/4), +∞ where
    /// no decrease is shown. Where the probe resolves nothing, the pilots' fitted ratio (or else the
    /// order's) is used, and the pilots' fit never overrides a ratio the probe measured.
    func testTheRichardsonFactorFollowsTheMeasuredRatio() {
        func level(_ dt: Double, _ pooled: Double) -> LocalWeakError.Level {
            LocalWeakError.Level(dt: dt, pooled: pooled, standardError: 1e-9 * pooled)
        }
        let (c16, c4) = (1.0 - 1 / 4.0, 1.0 - 1 / 2.0)
        // L falls 64, 16, 1.1 per halving: r = 16, 4, then 1 (clamped).
        let x = Extrapolation(top: 8e-3, levels: [level(8e-3, 1), level(4e-3, 1.0 / 64), level(2e-3, 1.0 / 1024),
                                                  level(1e-3, 1.0 / 1126.4)], scheme: .weak2)
        XCTAssertEqual(x.richardsonCorrection(at: 8e-3, order: 2), 1, accuracy: 1e-6)
        XCTAssertEqual(x.richardsonCorrection(at: 4e-3, order: 2), (c16 / c4) * (c16 / c4), accuracy: 1e-6)
        XCTAssertEqual(x.richardsonCorrection(at: 2e-3, order: 2), .infinity)
        XCTAssertEqual(x.richardsonCorrection(at: 1e-3, order: 2), .infinity, "finer than probed: the finest measured halving's")
        x.global = 16
        XCTAssertEqual(x.ratio(halving: 2), 1, "the pilots' fit does not override the probe")
        // Euler–Maruyama at r = 9/4: ((1 − 1/2)/(1 − 2/3))² = 2.25.
        let em = Extrapolation(top: 8e-3, levels: [level(8e-3, 1), level(4e-3, 1 / 9.0)], scheme: .em)
        XCTAssertEqual(em.richardsonCorrection(at: 8e-3, order: 1), 2.25, accuracy: 1e-6)
        // Nothing resolved: the pilots' fitted ratio, else the order's.
        let none = Extrapolation(top: 8e-3, levels: [LocalWeakError.Level(dt: 8e-3, pooled: 1e-12, standardError: 1e-12)],
                                 scheme: .weak2)
        XCTAssertEqual(none.richardsonCorrection(at: 8e-3, order: 2), 1)
        XCTAssertEqual(none.ratio(halving: 0), 1)
        none.global = 4
        XCTAssertEqual(none.richardsonCorrection(at: 8e-3, order: 2), 2.25, accuracy: 1e-9)
        XCTAssertEqual(none.ratio(halving: 3), 4)
        // A corrected estimate scales λ̂ and its error by c, |b̂| by √c; unbounded bounds nothing.
        let e = DiscretisationBias.Estimate(coarsening: 1, groups: 5, noncentrality: 10, standardError: 2, threshold: 0.5,
                                            largestBias: 0.01)
        XCTAssertEqual(e.corrected(by: 4).noncentrality, 40)
        XCTAssertEqual(e.corrected(by: 4).standardError, 8)
        XCTAssertEqual(e.corrected(by: 4).largestBias, 0.02)
        XCTAssertTrue(e.corrected(by: 4).resolved)
        XCTAssertFalse(e.corrected(by: .infinity).resolved)
        XCTAssertEqual(e.corrected(by: .infinity).ratio, .infinity)
    }

    /// Review O's case, replayed from its measured pilots and probe (1D, ε = 1/10, B and U of x
    /// and y, started at π_ε, 10⁵ particles to t = 0.05; the journal of `homogen sample` on it).
    /// Weak2's bias there falls far more slowly than its order promises: sampled with 4·10⁵
    /// particles at 8, 4, 2, 1 and 0.5·10⁻⁵ against the exact π_ε, the chi-square shift on 4 cells
    /// at t = 0.05 (scaled to 10⁵ particles) is 760, 352, 96, 11 and 1.3 (± 1.3), against an allowed
    /// 0.61 — ratios 2.2, 3.7 and 8.7 per halving, where the probe measures (as lower bounds) 1.8,
    /// 3.1 and 5.5. With the Richardson factor of the order and the pilots' fitted ratio (7.3 per
    /// halving) the control certified 10⁻⁵, where the shift is 18 times the allowed one. Corrected, it must
    /// choose a step no coarser than 2.5·10⁻⁶ (the largest the sweep shows adequate) and, by the
    /// issue's goal, within 4 times of it.
    func testReviewCaseWithASlowlyFallingBiasIsNotCertifiedTooCoarse() throws {
        let s = try Scenario(toml: """
            name = "s1-eq-U-1d"
            description = "1D, B of x and y, pi through U, started at equilibrium"
            dimension = 1
            epsilon = "1/10"
            [medium]
            B = "1.5 + 0.5*sin(2*pi*x) + 0.7*cos(2*pi*y)"
            [equilibrium]
            U = "0.8*sin(2*pi*y) + 0.3*cos(2*pi*x) + 0.2*sin(2*pi*(x+y))"
            [initial]
            f = "1"
            [time]
            final = 0.05
            outputs = [0, 0.02, 0.05]
            dt = 2e-5
            [particles]
            count = 100000
            seed = 11
            [grid]
            cells = 100
            """)
        let control = TimeStepControl(scenario: s, scheme: .weak2, threads: 2)
        // (dt, [output time][scale] of (λ̂, SE, groups)) as the pilots measured them.
        let pilots: [(Double, [[(Double, Double, Int)]])] = [
            (0.00128, [[(2.527e+04, 498.3, 100), (1.482e+04, 398.7, 50), (9774, 334.3, 25), (7990, 300.3, 13), (6280, 245.4, 7)],
              [(2.243e+04, 473.6, 100), (2.009e+04, 490.4, 50), (1.5e+04, 419.6, 25), (1.171e+04, 361.2, 13), (1.038e+04, 327.8, 7)]]),
            (0.00064, [[(8498, 274.1, 100), (7948, 286.7, 50), (7348, 275.3, 25), (7265, 269.2, 13), (6646, 235.1, 7)],
              [(1.672e+04, 392.2, 100), (1.611e+04, 420.8, 50), (1.451e+04, 405.1, 25), (1.437e+04, 402.2, 13), (1.299e+04, 357.3, 7)]]),
            (0.00032, [[(5869, 214.3, 100), (5305, 216.6, 50), (4857, 207, 25), (4588, 196.2, 13), (4418, 175.7, 7)],
              [(1.225e+04, 327.9, 100), (1.2e+04, 354, 50), (1.185e+04, 359.5, 25), (1.14e+04, 347.8, 13), (1.089e+04, 320.1, 7)]]),
            (0.00016, [[(1367, 96.47, 100), (607.7, 68.66, 50), (260.8, 44.2, 25), (130.6, 29.53, 13), (117.5, 23.36, 7)],
              [(713.4, 79.48, 100), (424.5, 66.13, 50), (345.4, 57.98, 25), (310.1, 52.57, 13), (262.8, 43.1, 7)]]),
            (8e-05, [[(442.7, 50.29, 100), (241.2, 38.75, 50), (100.1, 23.32, 25), (80.36, 19.38, 13), (63.59, 13.38, 7)],
              [(491.6, 58.7, 100), (330.5, 49.76, 50), (235.8, 40.08, 25), (213.1, 36.4, 13), (211.3, 31.07, 7)]]),
            (4e-05, [[(235.1, 31.96, 100), (178.2, 27.16, 50), (125.2, 20.73, 25), (111.9, 18.33, 13), (82.74, 12.46, 7)],
              [(307.4, 40.89, 100), (268.7, 38.06, 50), (230.3, 33.36, 25), (229.9, 31.76, 13), (187.6, 24.35, 7)]]),
            (2e-05, [[(39.71, 13, 100), (31.48, 10.41, 50), (27.38, 7.967, 25), (28.76, 7.075, 13), (22.47, 4.87, 7)],
              [(110.6, 21.64, 100), (96.92, 19.87, 50), (96.09, 18.01, 25), (87.46, 16.21, 13), (62.12, 11.24, 7)]]),
            // Measured in session 20, when the refinement began after three halvings (the same
            // seeds: the coarser pilots above came out identical).
            (1e-05, [[(2.658, 5.274, 100), (2.639, 3.661, 50), (1.192, 2.218, 25), (2.037, 1.752, 13), (1.605, 1.002, 7)],
              [(22.54, 9.163, 100), (16.75, 7.243, 50), (13.4, 5.597, 25), (14.42, 4.938, 13), (13.52, 3.957, 7)]]),
        ]
        let levels = [
            (0.00128, 0.05516, 0.0009014),
            (0.00064, 0.0185, 0.0003816),
            (0.00032, 0.003548, 9.822e-05),
            (0.00016, 0.0007897, 2.479e-05),
            (8e-05, 0.0001817, 6.4e-06),
            (4e-05, 2.426e-05, 1.127e-06),
            (2e-05, 1.78e-06, 1.271e-07),
            (1e-05, 6.874e-08, 1.007e-08),
            (5e-06, 2.192e-09, 7.794e-10),
            (2.5e-06, 3.785e-11, 5.113e-11)
        ].map { LocalWeakError.Level(dt: $0.0, pooled: $0.1, standardError: $0.2) }
        let directory = temporaryPath("journal-review")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        for (h, times) in pilots {
            let estimates = times.map { scales in
                scales.enumerated().map { DiscretisationBias.Estimate(coarsening: 1 << $0.offset, groups: $0.element.2,
                                                                      noncentrality: $0.element.0, standardError: $0.element.1,
                                                                      threshold: TestedScales.threshold(groups: $0.element.2,
                                                                                                        tolerance: DiscretisationBias.tolerance),
                                                                      largestBias: 0.01) }
            }
            let trial = TimeStepControl.Trial(dt: h, noncentrality: 0, standardError: 0, threshold: 1, worstTime: 0.05, coarsening: 1,
                                              groups: 7, passes: false, finite: true, resolved: true, largestCellBias: 0.01)
            try journal.record(.init(dt: h, estimates: estimates, trial: trial))
        }
        try journal.record(localErrors: levels)
        var tried: [Double] = []
        let report = try control.choose(journal: journal, tried: { tried.append($0.dt) })
        XCTAssertEqual(tried, pilots.map(\.0), "every pilot is replayed, none measured again")
        XCTAssertTrue(report.passed)
        XCTAssertEqual(report.method, .extrapolated)
        XCTAssertLessThanOrEqual(report.dt, 2.5e-6 * (1 + 1e-12), "the sweep shows 5e-6 and 1e-5 too coarse")
        XCTAssertGreaterThanOrEqual(report.dt, 2.5e-6 / 4 * (1 - 1e-12), "within 4 times of the largest adequate step")
        // The trials carry the corrected estimates: at 8e-5 the probe's ratio 1.76 gives c ≈ 9.
        let at8 = try XCTUnwrap(report.trials.first { abs($0.dt - 8e-5) < 1e-12 })
        XCTAssertGreaterThan(at8.noncentrality, 211.28 * 8)
    }

    /// The ratio per halving where the probe resolves the local error at h but not at h/2, and no
    /// halving at both ends: a lower bound from h/2's upper bound L̂ + 2 SE, carried to finer steps
    /// (it was 1, which left every pilot's bias unbounded).
    func testAResolvedLevelAboveAnUnresolvedOneBoundsTheRatio() {
        let levels = [LocalWeakError.Level(dt: 8e-4, pooled: 5.9e-6, standardError: 1.27e-6),
                      LocalWeakError.Level(dt: 4e-4, pooled: 1.0e-7, standardError: 2.3e-7),
                      LocalWeakError.Level(dt: 2e-4, pooled: 1.3e-8, standardError: 5.0e-8)]
        let expected = 5.9e-6 * exp(-1.27 / 5.9) / (1.0e-7 + 2 * 2.3e-7) / 4
        XCTAssertEqual(try XCTUnwrap(LocalWeakError.ratioBelowNoise(levels[0], levels[1], order: 2)), expected, accuracy: 1e-12)
        XCTAssertNil(LocalWeakError.ratioBelowNoise(levels[1], levels[2], order: 2), "nothing resolved at h")
        let x = Extrapolation(top: 8e-4, levels: levels, scheme: .weak2)
        XCTAssertEqual(x.ratio(halving: 0), expected, accuracy: 1e-12)
        XCTAssertEqual(x.ratio(halving: 3), expected, accuracy: 1e-12, "carried to finer halvings")
        XCTAssertLessThan(x.richardsonCorrection(at: 8e-4, order: 2), .infinity)
    }

    /// An independent review's full-tensor laminate (2D, ε = 1/4, N = 10⁴, t = 0.01): the default
    /// top step 8·10⁻⁴ resolved the local error there but not below, and every step down to the
    /// scenario's 10⁻⁴ was NOT certified; a requested 7.5·10⁻⁴, whose probe resolved nothing, took
    /// the order's ratio 16 and was certified by its own pilot. Now the default is certified
    /// (extrapolated), 7.5·10⁻⁴ is probed above itself and refused, and the step the refusal names is
    /// recorded, so that a rerun with it, as advised, reuses the decision.
    func testAStepIsNotCertifiedWhileTheStepsBelowItAreNot() throws {
        let s = try Scenario(toml: scenario1D([
            "dimension": "dimension = 2",
            "B": #"B = [["2 + sin(2*pi*y1)", "0.5*cos(2*pi*y1)"], ["0.5*cos(2*pi*y1)", "1 + 0.5*cos(2*pi*y1)"]]"#,
            "pi": #"pi = "1 + 0.5*sin(2*pi*y1)""#, "f": #"f = "1 + 0.5*sin(2*pi*x2)""#, "dt": "dt = 1e-4",
            "count": "count = 10000", "seed": "seed = 5"]))
        let control = TimeStepControl(scenario: s, scheme: .weak2, threads: 2)
        let automatic = try control.choose()
        XCTAssertTrue(automatic.passed, "\(automatic)")
        XCTAssertEqual(automatic.method, .extrapolated)
        let directory = temporaryPath("journal-sibling")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try TimeStepJournal(control: control, requested: 7.5e-4, directory: directory, build: "test")
        XCTAssertThrowsError(try control.choose(requested: 7.5e-4, journal: journal)) { error in
            guard case TimeStepControl.Failure.requestedStepTooCoarse(_, let bound, let passing, let certified) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertGreaterThan(bound, 1)
            XCTAssertTrue(certified)
            guard let passing else { return XCTFail("a passing step is named") }
            let rerun = try? TimeStepJournal(control: control, requested: passing, directory: directory, build: "test")
            XCTAssertEqual(rerun?.decision?.dt, passing)
            XCTAssertEqual(rerun?.decision?.passed, true)
            XCTAssertGreaterThan(rerun?.decision?.localErrors.first?.dt ?? 0, 7.5e-4, "probed above the top step")
        }
    }

    /// A refusal whose bound is infinite (no pilot bounds the step's bias) says so in words, not
    /// as "inf times the allowed"; a finite bound is quoted.
    func testARefusalWithAnUnboundedBiasSaysSoInWords() {
        let unbounded = TimeStepControl.Failure.requestedStepTooCoarse(dt: 1e-3, boundOverThreshold: .infinity, passing: 1.5625e-5,
                                                                        certified: true).description
        XCTAssertTrue(unbounded.hasPrefix("the time step 0.001 is too coarse for this many particles: the pilots cannot bound its bias"),
                      unbounded)
        XCTAssertFalse(unbounded.contains("inf"), unbounded)
        XCTAssertTrue(unbounded.hasSuffix("; dt = 1.5625e-05 passes"), unbounded)
        let bounded = TimeStepControl.Failure.requestedStepTooCoarse(dt: 1e-3, boundOverThreshold: 1250, passing: nil,
                                                                      certified: false).description
        XCTAssertTrue(bounded.contains("by up to 1.25e+03 times the allowed 0.25 null standard deviations; no smaller step passes either"),
                      bounded)
    }

    /// Records pilots (dt, λ̂, SE) in a journal, each one estimate at one output time and scale
    /// against a threshold of 1, as `TimeStepControl.choose` reads them back.
    private func record(_ pilots: [(Double, Double, Double)], in journal: TimeStepJournal) throws {
        for (h, lambda, se) in pilots {
            let e = DiscretisationBias.Estimate(coarsening: 1, groups: 16, noncentrality: lambda, standardError: se, threshold: 1,
                                                largestBias: 0.01)
            let trial = TimeStepControl.Trial(dt: h, noncentrality: lambda, standardError: se, threshold: 1, worstTime: 0.01,
                                              coarsening: 1, groups: 16, passes: false, finite: true, resolved: true,
                                              largestCellBias: 0.01)
            try journal.record(.init(dt: h, estimates: [[e]], trial: trial))
        }
    }

    /// An extrapolated step carried more than three halvings below the pilot that bounds it (and
    /// below the requested step) is measured again, by a pilot one halving finer, and decided again
    /// with both pilots: a pilot at h/2 costs 6 M T/h, at most 3/8 of the run at the
    /// step when h ≥ 16 dt, and a step one halving larger saves half the run. Pilots and probe come
    /// from the run's journal (weak2: the probe's local ratio 16 per halving gives r = 4, so each
    /// pilot's Richardson estimate is corrected by c = ((1 − 1/4)/(1 − 1/2))² = 2.25):
    /// h₀ = 10⁻⁴, the pilots start at 8·10⁻⁴; λ̂ + 2 SE = 400 against a threshold of 1 there
    /// (900 corrected) is carried five halvings (4⁵ = 1024 ≥ 900 > 256) to 2.5·10⁻⁵, and the pilot
    /// at 4·10⁻⁴ (λ̂ + 2 SE = 16, 36 corrected: three halvings) certifies 5·10⁻⁵, a larger step.
    /// Carried four halvings (λ̂ + 2 SE = 100, 225 corrected) the first pilot's step is measured
    /// again too, and stands when the second pilot, consistent with it, bounds nothing lower
    /// (λ̂ = 27 ± 4 there, 78.75 corrected: alone it would certify only 2.5·10⁻⁵). Carried three halvings
    /// (λ̂ + 2 SE = 25, 56.25 corrected: 64 ≥ 56.25 > 16), it stands with no second pilot.
    func testAStepCarriedMoreThanThreeHalvingsIsMeasuredAgain() throws {
        let s = try Scenario(toml: scenario1D(["dt": "dt = 1e-4", "count": "count = 20000"]))
        let control = TimeStepControl(scenario: s, scheme: .weak2, threads: 2)
        XCTAssertEqual(control.firstGuess, 1e-4)
        XCTAssertEqual(control.coarsenings(above: 1e-4), 3)
        let top = 8e-4
        func decide(_ upper: Double, second: Double = 16, name: String) throws -> (report: TimeStepControl.Report, tried: [Double]) {
            let directory = temporaryPath(name)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let journal = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
            try record([(top, upper - 20, 10.0), (top / 2, second - 8, 4)], in: journal)
            try journal.record(localErrors: (0..<12).map { j in
                LocalWeakError.Level(dt: top / pow(2, Double(j)), pooled: pow(16, -Double(j)), standardError: 1e-9 * pow(16, -Double(j)))
            })
            var tried: [Double] = []
            let report = try control.choose(journal: journal, tried: { tried.append($0.dt) })
            return (report, tried)
        }
        let refined = try decide(400, name: "journal-refine")
        XCTAssertEqual(refined.tried, [top, top / 2])
        XCTAssertTrue(refined.report.passed)
        XCTAssertGreaterThan(refined.report.dt, top / 32 * 1.5, "the second pilot certifies a larger step than the first alone")
        XCTAssertLessThanOrEqual(refined.report.dt, 1e-4 * (1 + 1e-12))
        XCTAssertLessThanOrEqual(refined.report.boundOverThreshold, 1)
        let remeasured = try decide(100, second: 35, name: "journal-remeasure")
        XCTAssertEqual(remeasured.tried, [top, top / 2])
        XCTAssertEqual(remeasured.report.dt, top / 16, accuracy: 1e-12 * top, "the first pilot's larger step is kept")
        let kept = try decide(25, name: "journal-keep")
        XCTAssertEqual(kept.tried, [top])
        XCTAssertEqual(kept.report.dt, top / 8, accuracy: 1e-12 * top)
    }

    /// A pilot that bounds nothing does not end the refinement: the rule "more than three halvings
    /// below a pilot" counts from the finest pilot whose Richardson factor is bounded. Journal as
    /// above, the probe's ratio 4 per halving except over 4·10⁻⁴ → 2·10⁻⁴, where L does not fall
    /// (r = 1: the pilot at 4·10⁻⁴ is unbounded, and the halving carries nothing). The pilot at
    /// 8·10⁻⁴ (λ̂ + 2 SE = 100, 225 corrected) certifies 2.5·10⁻⁵ (225/(4·1·4·4·4) ≤ 1), five
    /// halvings down; the unbounded pilot at 4·10⁻⁴ changes nothing, so a third, at 2·10⁻⁴
    /// (λ̂ + 2 SE = 6, 13.5 corrected), measures again and certifies 5·10⁻⁵. (Before session 19's
    /// review the second pilot ended the refinement at 2.5·10⁻⁵.)
    func testAPilotThatBoundsNothingDoesNotEndTheRefinement() throws {
        let s = try Scenario(toml: scenario1D(["dt": "dt = 1e-4", "count": "count = 20000"]))
        let control = TimeStepControl(scenario: s, scheme: .weak2, threads: 2)
        let top = 8e-4
        XCTAssertEqual(control.coarsenings(above: 1e-4), 3)
        let directory = temporaryPath("journal-unbounded")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        try record([(top, 80.0, 10.0), (top / 2, 50, 10), (top / 4, 4, 1)], in: journal)
        let pooled = [1.0, 1.0 / 16, 1.0 / 16] + (1..<10).map { pow(16, -Double($0)) / 16 }
        try journal.record(localErrors: pooled.enumerated().map { j, l in
            LocalWeakError.Level(dt: top / pow(2, Double(j)), pooled: l, standardError: 1e-9 * l)
        })
        var tried: [TimeStepControl.Trial] = []
        let report = try control.choose(journal: journal, tried: { tried.append($0) })
        XCTAssertEqual(tried.map(\.dt), [top, top / 2, top / 4])
        XCTAssertEqual(tried[1].noncentrality, .infinity, "the pilot at 4e-4 bounds nothing")
        XCTAssertTrue(report.passed)
        XCTAssertEqual(report.dt, top / 16, accuracy: 1e-12 * top)
        XCTAssertLessThanOrEqual(report.boundOverThreshold, 1)
    }

    /// The pilots stop at their budget (`pilotBudget`: `pilotRuns` runs of M particles at h₀, or
    /// `pilotFloor` particle-steps) when they neither certify a step nor show one too coarse.
    /// Pilots kept in the run's journal resolve a bias that does not fall with the step (λ̂ = 100 ±
    /// 20 against an allowed 5 at every step the budget allows): the control refuses at once,
    /// naming the finest step and its noise, instead of piloting at the next step (where it would
    /// measure, and take time).
    func testThePilotsStopAtTheirBudgetWhenTheyCannotDecide() throws {
        let s = try Scenario(toml: scenario1D(["dt": "dt = 1e-4", "count": "count = 20000"]))
        let control = TimeStepControl(scenario: s, scheme: .standard, threads: 2)
        let directory = temporaryPath("journal-budget")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let h0 = control.firstGuess
        let budget = control.pilotBudget(firstGuess: h0)
        XCTAssertEqual(budget, TimeStepControl.pilotFloor, "this cheap run is bounded by the floor")
        var steps: [Double] = [], spent = 0.0
        var h = h0 * pow(2, Double(control.coarsenings(above: h0)))
        while spent + control.pilotCost(h) <= budget { steps.append(h); spent += control.pilotCost(h); h /= 2 }
        XCTAssertGreaterThan(steps.count, 3)
        let journal = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        let flat = DiscretisationBias.Estimate(coarsening: 1, groups: 16, noncentrality: 100, standardError: 20, threshold: 5,
                                               largestBias: 0.01)
        for h in steps {
            let trial = TimeStepControl.Trial(dt: h, noncentrality: 100, standardError: 20, threshold: 5, worstTime: 0.01, coarsening: 1,
                                              groups: 16, passes: false, finite: true, resolved: true, largestCellBias: 0.01)
            try journal.record(.init(dt: h, estimates: [[flat]], trial: trial))
        }
        try journal.record(localErrors: [])
        var tried: [Double] = []
        XCTAssertThrowsError(try control.choose(journal: journal, tried: { tried.append($0.dt) })) { error in
            guard case TimeStepControl.Failure.pilotsInconclusive(let finest, let work, let lambda, let se, let threshold) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(finest, steps.last)
            XCTAssertEqual(work, spent, accuracy: 1e-9 * spent)
            XCTAssertEqual([lambda, se, threshold], [100, 20, 5])
            XCTAssertTrue("\(error)".contains("the pilots' own noise, 20, is larger than what they must certify"), "\(error)")
        }
        XCTAssertEqual(tried, steps, "only the kept pilots are used")
        XCTAssertEqual(journal.pilotsKept, steps.count)
        // A costly run is bounded by its runs at h₀ instead: 16 runs of 4·10⁵ particles at 10⁻⁷ to t = 0.01.
        let costly = TimeStepControl(scenario: try Scenario(toml: scenario1D(["dt": "dt = 1e-7", "count": "count = 400000"])),
                                     scheme: .standard, threads: 2)
        XCTAssertEqual(costly.pilotBudget(firstGuess: 1e-7), 16 * 400_000 * 0.01 / 1e-7, accuracy: 1)
    }
}
