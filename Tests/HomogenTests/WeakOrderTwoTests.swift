import Foundation
@testable import Homogen
import XCTest

/// The weak order-2 scheme (`WeakOrderTwoScheme`) and what the time-step control does with its
/// order: its bias against an exact law, the local weak error probe, the journal of pilots, and a
/// stop during the pilots.
final class WeakOrderTwoTests: XCTestCase {
    /// A smooth case (ε = 1: B = 2 + sin 2πx, π = (1 + 0.5 cos 2πx)², no fast scale) started off
    /// equilibrium.
    private func smoothScenario(final: String = "0.1", outputs: String = "[0.0, 0.1]", dt: String = "1e-2",
                                start: String = "rho = \"1 + 0.8*cos(2*pi*x)\"") throws -> Scenario {
        try Scenario(toml: scenario1D([
            "epsilon": "epsilon = 1", "f": start, "count": "count = 20000", "cells": "cells = 16",
            "final": "final = \(final)", "outputs": "outputs = \(outputs)", "dt": "dt = \(dt)",
        ]))
    }

    /// A gentle case (ε = 1, B = 2 + 0.5 sin 2πx, π = 1 + 0.2 cos 2πx: drift and noise vary by a
    /// few units over the cell) seen through its first Fourier mode only (two output cells: the
    /// Nyquist limit of `FourierBias` is then k = 1). A step h is in the asymptotic regime of a test
    /// function cos 2πkx once (2πk)² · 2B⁻¹ h ≪ 1: k = 1 and h ≤ 0.01 (≤ 0.4).
    private func gentleScenario(dt: Double, particles: Int) throws -> Scenario {
        try Scenario(toml: scenario1D([
            "epsilon": "epsilon = 1", "B": "B = \"2 + 0.5*sin(2*pi*y)\"", "pi": "pi = \"1 + 0.2*cos(2*pi*x)\"",
            "f": "rho = \"1 + 0.8*cos(2*pi*x)\"", "count": "count = \(particles)", "cells": "cells = 2",
            "final": "final = 0.2", "outputs": "outputs = [0.0, 0.2]", "dt": "dt = \(dt)",
        ]))
    }

    /// The global weak order on coupled paths: the pooled squared difference S(h) of the laws of the
    /// low Fourier modes at t = 0.2 between the paths of steps h and h/2 (`CoupledPilot`,
    /// `FourierBias`) is (2^q − 1)² times the squared bias of a scheme of weak order q, so
    /// S ∝ h^(2q): over two halvings from h = 0.01 its fitted log₂ decrease per halving is within
    /// 0.6 of 2q (the order within 0.3) — 4 for weak2, 2 for Euler–Maruyama.
    func testGlobalWeakOrderOnCoupledPaths() throws {
        for (scheme, q) in [(SchemeKind.weak2, 2.0), (.em, 1.0)] {
            var x: [Double] = [], y: [Double] = [], w: [Double] = []
            for k in 0..<3 {
                let h = 0.01 / pow(2, Double(k))
                let s = try gentleScenario(dt: h, particles: 1_000_000)
                let record = try CoupledPilot(scenario: s, scheme: scheme, threads: 2).run()[1]
                let e = FourierBias(dimension: .one, cells: s.cells, inverseEpsilon: s.inverseEpsilon).estimate(record)
                XCTAssertTrue(e.resolved, "\(scheme) at h = \(h): \(e)")
                guard e.resolved else { return }
                x.append(Double(k)); y.append(Foundation.log2(e.pooled))
                let relative = e.standardError / e.pooled / log(2)
                w.append(1 / (relative * relative))
            }
            let fit = try WeightedLinearFit(x: x, y: y, weights: w)
            XCTAssertEqual(-fit.slope, 2 * q, accuracy: 0.6, "\(scheme): log2 S = \(y)")
        }
    }

    /// Against the exact law: started at π_ε, the stationary mean of the observable em's sweep
    /// chooses (`DtSweep`, time averages; weak2 swept on the same one) has Euler–Maruyama's bias ∝ dt (fitted order within 0.3 of 1, every bias resolved),
    /// and weak2's bias at the same steps at least four times smaller where it is resolved.
    func testStationaryBiasAgainstTheExactLaw() throws {
        let s = try smoothScenario(final: "2.0", outputs: "[2.0]", dt: "4e-3", start: "f = \"1\"")
        var sweeps: [SchemeKind: DtSweep] = [:]
        for scheme in [SchemeKind.em, .weak2] {
            var o = StationaryEstimator.Options()
            o.scheme = scheme
            o.threads = 2
            o.allowCoarseTimeStep = true
            // weak2 on the observable em's sweep chose, so that the biases compare.
            sweeps[scheme] = try DtSweep.run(s, options: o, base: 0.04, observable: sweeps[.em]?.observable)
        }
        let em = try XCTUnwrap(sweeps[.em]), weak2 = try XCTUnwrap(sweeps[.weak2])
        XCTAssertEqual(em.scheme, .em)
        XCTAssertTrue(em.biasesSignificant, "\(em.bias) ± \(em.standardError)")
        XCTAssertEqual(try XCTUnwrap(em.order), 1, accuracy: 0.3, "\(em.bias)")
        XCTAssertEqual(weak2.scheme, .weak2)
        for k in em.dts.indices where abs(weak2.bias[k]) >= 2 * weak2.standardError[k] {
            XCTAssertLessThan(abs(weak2.bias[k]), abs(em.bias[k]) / 4, "dt = \(em.dts[k]): weak2 \(weak2.bias), em \(em.bias)")
        }
        XCTAssertTrue(abs(weak2.bias[0]) >= 2 * weak2.standardError[0], "weak2's bias is resolved at the coarsest step")
    }

    /// The local weak error L(h) of one coupled step falls like h^(2q+2): on the gentle case, with
    /// 2²⁰ samples per step, its log₂ decrease per halving over two halvings from h = 0.01 is within
    /// 0.6 of 2(q + 1) (the order q + 1 of the local error within 0.3).
    func testLocalWeakErrorFallsAtTheSchemesOrder() throws {
        let s = try gentleScenario(dt: 0.01, particles: 20_000)
        let starts = [(0..<4096).map { (Double($0) + 0.5) / 4096 }]
        for (scheme, q) in [(SchemeKind.weak2, 2.0), (.em, 1.0)] {
            var probe = LocalWeakError(scenario: s, scheme: scheme, threads: 2, starts: starts)
            probe.samples = 1 << 20
            let levels = try [1e-2, 5e-3, 2.5e-3].map { try probe.level($0) }
            XCTAssertTrue(levels.allSatisfy(\.resolved), "\(scheme): \(levels)")
            let x = (0..<levels.count).map(Double.init), y = levels.map { Foundation.log2($0.pooled) }
            let fit = try LinearFit(x: x, y: y)
            XCTAssertEqual(-fit.slope, 2 * (q + 1), accuracy: 0.6, "\(scheme): \(levels)")
        }
    }

    /// The probe's estimate is a sum over fixed chunks of particles added in order: the same on
    /// one thread as on two (2D, the shipped oscillatory-2d scenario, 3 chunks and a remainder).
    func testLocalWeakErrorDoesNotDependOnTheThreadCount() throws {
        let s = try Scenario.load(path: repositoryRoot.appendingPathComponent("scenarios/oscillatory-2d.toml").path)
        let starts: [[Double]] = [(0..<1000).map { Double($0 % 37) / 37 }, (0..<1000).map { Double($0 % 41) / 41 }]
        let levels = try [1, 2].map { threads in
            var probe = LocalWeakError(scenario: s, scheme: .weak2, threads: threads, starts: starts)
            probe.samples = 3 * 4096 + 100
            return try probe.level(2e-4)
        }
        XCTAssertEqual(levels[0], levels[1])
        XCTAssertTrue(levels[0].resolved, "\(levels[0])")
    }

    /// The ratio per halving carried from the probe: the lower bound of L(h)/L(h/2)/4, never below
    /// 1 nor above 4^q, and nothing from levels the probe did not resolve.
    func testHalvingRatioFromTheProbe() {
        let a = LocalWeakError.Level(dt: 2e-3, pooled: 64e-8, standardError: 1e-12)
        let b = LocalWeakError.Level(dt: 1e-3, pooled: 1e-8, standardError: 1e-14)
        XCTAssertEqual(try XCTUnwrap(LocalWeakError.ratio(a, b, order: 2)), 16, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(LocalWeakError.ratio(a, b, order: 1)), 4)
        let flat = LocalWeakError.Level(dt: 1e-3, pooled: 60e-8, standardError: 1e-12)
        XCTAssertEqual(LocalWeakError.ratio(a, flat, order: 2), 1)
        let noisy = LocalWeakError.Level(dt: 1e-3, pooled: 1e-8, standardError: 1e-8)
        XCTAssertNil(LocalWeakError.ratio(a, noisy, order: 2))
        // Extended below the finest measured halving, 1 above the coarsest.
        let x = Extrapolation(top: 4e-3, levels: [LocalWeakError.Level(dt: 4e-3, pooled: 1e-9, standardError: 1e-9), a, b],
                              scheme: .weak2)
        XCTAssertEqual(x.ratio(halving: 0), 1)
        XCTAssertEqual(x.ratio(halving: 1), 16, accuracy: 1e-3)
        XCTAssertEqual(x.ratio(halving: 5), 16, accuracy: 1e-3)
        XCTAssertEqual(x.factor(from: 4e-3, to: 2.5e-4), 16 * 16 * 16, accuracy: 1)
    }

    /// The coupled pilot of weak2 with h = h/2 paths identical in law: with a constant medium and
    /// uniform π the scheme is exact, so both paths coincide and the control passes at once.
    func testExactCaseIsCertifiedAtTheFirstGuessForEveryScheme() throws {
        let s = try Scenario(toml: scenario1D([
            "B": "B = \"2\"", "pi": "pi = \"1\"", "f": "rho = \"1 + 0.5*cos(2*pi*x)\"",
            "count": "count = 20000", "dt": "dt = 1e-4",
        ]))
        for scheme in SchemeKind.allCases {
            let report = try TimeStepControl(scenario: s, scheme: scheme, threads: 2).choose()
            XCTAssertTrue(report.passed, "\(scheme)")
            XCTAssertEqual(report.scheme, scheme)
            XCTAssertEqual(report.order, scheme.weakOrder)
            XCTAssertEqual(report.dt, 1e-4, "\(scheme)")
        }
    }

    /// A stop request during the pilots ends the control with `interrupted`, keeping the pilots
    /// done in the journal; the next control reads them (no pilot is measured twice, so the second
    /// run hears of the kept pilot before any new one) and decides exactly as an uninterrupted
    /// control; a third reuses the decision without any pilot.
    func testStopDuringThePilotsKeepsThemAndARerunReusesThem() throws {
        let s = try Scenario(toml: scenario1D([
            "B": "B = \"1.5 + sin(2*pi*y)\"", "pi": "pi = \"1 + 0.5*cos(2*pi*x) + 0.4*cos(2*pi*y)\"",
            "f": "rho = \"1 + 0.8*cos(2*pi*x)\"", "final": "final = 0.02", "outputs": "outputs = [0.0, 0.005, 0.02]",
            "dt": "dt = 1e-3", "count": "count = 20000", "cells": "cells = 32",
        ]))
        // Euler–Maruyama: its control takes several pilots here.
        let control = TimeStepControl(scenario: s, scheme: .em, threads: 2)
        let fresh = try control.choose()
        XCTAssertGreaterThan(fresh.trials.count, 1, "the test needs a control of several pilots")
        let directory = temporaryPath("journal")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        defer { ParticleEngine.clearStopRequest() }
        let first = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        XCTAssertThrowsError(try control.choose(journal: first) { _ in ParticleEngine.requestStop() }) { error in
            guard case TimeStepControl.Failure.interrupted(let path, let pilots) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, first.path)
            XCTAssertEqual(pilots, 1)
        }
        ParticleEngine.clearStopRequest()
        let second = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        XCTAssertEqual(second.pilotsKept, 1)
        var heard: [Double] = []
        let resumed = try control.choose(journal: second) { heard.append($0.dt) }
        XCTAssertEqual(heard, fresh.trials.map(\.dt))
        XCTAssertEqual(resumed.dt, fresh.dt)
        XCTAssertEqual(resumed.trials, fresh.trials)
        XCTAssertEqual(resumed.localErrors, fresh.localErrors)
        XCTAssertEqual(resumed.boundOverThreshold, fresh.boundOverThreshold)
        var none = 0
        let third = try TimeStepJournal(control: control, requested: nil, directory: directory, build: "test")
        let reused = try control.choose(journal: third) { _ in none += 1 }
        XCTAssertEqual(none, 0)
        XCTAssertEqual(reused.dt, fresh.dt)
        // Marked as reused, so that its seconds are not reported as this run's (`fresh` measured them).
        XCTAssertTrue(reused.reused)
        XCTAssertFalse(fresh.reused)
        // Another build never reads this journal.
        XCTAssertEqual(try TimeStepJournal(control: control, requested: nil, directory: directory, build: "other").pilotsKept, 0)
    }

    /// Through the command line: SIGINT while the pilots run ends `sample` with exit 130 and says
    /// where the pilots are kept; the same command then reuses them and finishes.
    func testSIGINTDuringThePilotsThroughTheCommandLine() throws {
        let base = temporaryPath("sigint")
        let cache = base + "/cache"
        defer { try? FileManager.default.removeItem(atPath: base) }
        // oscillatory-1d cut to t = 0.01 (the rerun samples to the end).
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let short = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/oscillatory-1d.toml"), encoding: .utf8)
            .replacingOccurrences(of: "final = 0.05", with: "final = 0.01")
            .replacingOccurrences(of: "outputs = [0.0, 0.01, 0.05]", with: "outputs = [0.0, 0.01]")
        try short.write(toFile: base + "/short.toml", atomically: true, encoding: .utf8)
        let arguments = ["sample", base + "/short.toml", "--particles", "200000", "--threads", "2", "--quiet",
                         "--out", base + "/run"]
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = arguments
        p.currentDirectoryURL = repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["HOMOGEN_CACHE_DIR"] = cache
        p.environment = environment
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // Wait until the first pilot is recorded in the journal, then interrupt the next ones.
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, p.isRunning,
              (try? FileManager.default.contentsOfDirectory(atPath: cache))?.isEmpty ?? true {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(p.isRunning, "the pilots ended before the signal")
        p.interrupt()   // SIGINT
        let signalled = Date()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: stderr, as: UTF8.self)
        print("sample stopped \(String(format: "%.2f", Date().timeIntervalSince(signalled))) s after SIGINT")
        XCTAssertEqual(p.terminationStatus, 130, text)
        XCTAssertTrue(text.contains("interrupted during the time-step pilots"), text)
        XCTAssertTrue(text.contains(cache), text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/run"), "no run folder")
        let again = try runHomogen(arguments.filter { $0 != "--quiet" }, cache: cache)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("measured before for this run are reused"), again.stderr)
    }

    /// The size of the main job at its defaults: 20 seeds of `compare` on oscillatory-1d (weak2,
    /// the step chosen by the control, the checked ε-PDE), at a reduced N = 10⁴ particles (the
    /// control then chooses the step for that N). Each verdict is a 1% Holm test, and the control
    /// lets the sampler's bias move a chi-square statistic by at most κ = 1/4 of its null
    /// standard deviation (about 2% size): at most 2 DIFFER of 20 (P(X ≥ 3) < 0.01 for a binomial
    /// with p = 0.02).
    func testSizeOfCompareAtItsDefaultsOverTwentySeeds() throws {
        let url = repositoryRoot.appendingPathComponent("scenarios/oscillatory-1d.toml")
        let s = try Scenario(toml: try String(contentsOf: url, encoding: .utf8))
        var differ: [UInt64] = []
        var steps: Set<Double> = []
        for seed in UInt64(1)...20 {
            var o = Comparison.Options()
            o.particles = 10_000
            o.seed = seed
            o.threads = 2
            let r = try Comparison(scenario: s, options: o).run()
            XCTAssertEqual(r.sample.scheme, .weak2)
            let control = try XCTUnwrap(r.sample.timeStepControl)
            XCTAssertTrue(control.passed, "seed \(seed): \(control.method)")
            steps.insert(control.dt)
            if !r.consistent { differ.append(seed) }
        }
        print("size study: \(differ.count) of 20 DIFFER (seeds \(differ)); steps chosen \(steps.sorted())")
        XCTAssertLessThanOrEqual(differ.count, 2, "seeds that DIFFER: \(differ)")
    }
}
