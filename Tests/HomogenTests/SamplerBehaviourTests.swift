import Foundation
import Homogen
import XCTest

final class SamplerBehaviourTests: XCTestCase {
    /// The same seed gives bit-identical histograms and positions for 1, 2 and 3 threads.
    func testResultsDoNotDependOnThreadCount() throws {
        for text in [
            scenario1D(["count": "count = 5000", "f": "f = \"1 + 0.5*cos(2*pi*x)\""]),
            try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-2d.toml"), encoding: .utf8),
        ] {
            let s = try Scenario(toml: text).replacing(
                particles: ParticleSettings(count: 3500, seed: 9),
                time: TimeSettings(final: 0.002, outputs: [0.0, 0.001, 0.002], dt: 1e-5))
            let runs = try [1, 2, 3].map {
                try ParticleSampler(scenario: s, options: .init(threads: $0, keepPositions: true)).run()
            }
            for r in runs.dropFirst() {
                for (a, b) in zip(runs[0].snapshots, r.snapshots) {
                    XCTAssertEqual(a.counts, b.counts)
                    XCTAssertEqual(a.positions, b.positions)
                }
            }
            XCTAssertNotEqual(runs[0].snapshots[0].positions, runs[0].snapshots[2].positions)
        }
    }

    /// Distinct blocks get distinct seeds by construction, and distinct streams.
    func testBlockStreamsAreDistinct() {
        for seed: UInt64 in [0, 1, 42, UInt64.max] {
            let seeds = (0..<200_000).map { BlockSeeds.seed(run: seed, block: UInt64($0)) }
            XCTAssertEqual(Set(seeds).count, seeds.count)
            XCTAssertTrue(seeds.allSatisfy { $0 >= 1 && $0 <= 0xFFFF_FFFF })
        }
        var firstDraws = Set<[Double]>()
        for b in 0..<2000 {
            let rng = RandomStream(seed: BlockSeeds.seed(run: 42, block: UInt64(b)))
            firstDraws.insert([rng.uniform(), rng.uniform()])
        }
        XCTAssertEqual(firstDraws.count, 2000)
        XCTAssertNotEqual(BlockSeeds.seed(run: 1, block: 0), BlockSeeds.seed(run: 2, block: 0))
    }

    func testOutputTimesOffTheGridShortenOneStep() throws {
        let s = try Scenario(toml: scenario1D(["outputs": "outputs = [0.0, 0.000015, 0.00003]", "final": "final = 0.00003"]))
        // 0 → 1e-5 → 1.5e-5 (output) → 2e-5 → 3e-5 (output): four steps.
        XCTAssertEqual(try ParticleSampler(scenario: s).stepCount, 4)
        let r = try ParticleSampler(scenario: s).run()
        XCTAssertEqual(r.steps, 4)
        XCTAssertEqual(r.snapshots.map(\.time), [0.0, 0.000015, 0.00003])
    }

    func testTimeStepMustResolveTheCell() throws {
        // eps = 1/4, lambda_min(B) = 1: the limit is 1/16 / 10 = 0.00625.
        let s = try Scenario(toml: scenario1D(["dt": "dt = 0.01", "final": "final = 0.02", "outputs": "outputs = [0.02]"]))
        XCTAssertThrowsError(try ParticleSampler(scenario: s)) { error in
            guard case SamplerError.timeStepTooCoarse(_, let limit, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(limit, 0.00625, accuracy: 1e-9)
            // The library speaks its own terms; the command line names the flag.
            XCTAssertFalse("\(error)".contains("--"), "\(error)")
        }
        XCTAssertNoThrow(try ParticleSampler(scenario: s, options: .init(allowCoarseTimeStep: true)))
        let file = temporaryPath("coarse.toml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["dt": "dt = 0.01", "final": "final = 0.02", "outputs": "outputs = [0.02]"])
            .write(toFile: file, atomically: true, encoding: .utf8)
        // Unchecked (--skip-dt-check), the scenario's step must satisfy the rule.
        let r = try runHomogen(["sample", file, "--particles", "100", "--out", temporaryPath("coarse-run"), "--quiet", "--skip-dt-check"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("dt <= epsilon^2") && r.stderr.contains("--allow-coarse-dt"), r.stderr)
        // Checked (the default), the scenario's step is only a first guess: the control starts from
        // the rule's step and samples at a step no larger.
        let folder = temporaryPath("chosen-run")
        let chosen = try runHomogen(["sample", file, "--particles", "100", "--out", folder, "--quiet"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any]
        let control = try XCTUnwrap(summary?["time_step_control"] as? [String: Any])
        XCTAssertLessThanOrEqual(try XCTUnwrap(control["dt"] as? Double), ParticleSampler.timeStepLimit(s) * (1 + 1e-12))
    }

    func testNonDifferentiableMediumIsRefusedBySamplerOnly() throws {
        let s = try Scenario(toml: scenario1D(["B": "B = \"2 + abs(sin(2*pi*y))\""]))
        XCTAssertThrowsError(try ParticleSampler(scenario: s)) { error in
            XCTAssertTrue("\(error)".contains("'abs' in [medium] B at column 5 is not differentiable"), "\(error)")
        }
        // Non-differentiable functions are fine in the initial density.
        XCTAssertNoThrow(try ParticleSampler(scenario: try Scenario(toml: scenario1D(["f": "f = \"1 + floor(2*mod(x, 1))\""]))))
        // On the command line the refusal names the scenario file, as the scenario's own checks do.
        let file = temporaryPath("abs-medium") + ".toml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["B": "B = \"2 + abs(sin(2*pi*y))\""]).write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runHomogen(["sample", file, "--out", temporaryPath("abs-medium-run"), "--quiet"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains(file + ": 'abs' in [medium] B at column 5 is not differentiable"), r.stderr)
    }

    func testStratonovichNeedsADiagonalMedium() throws {
        let s = try Scenario(toml: scenario1D([
            "dimension": "dimension = 2", "B": "B = [[\"2\", \"0.5\"], [\"0.5\", \"2\"]]",
            "pi": "pi = \"1\"", "f": "rho = \"1\"", "convention": "convention = \"stratonovich\""]))
        XCTAssertThrowsError(try ParticleSampler(scenario: s)) { error in
            XCTAssertEqual(error as? SamplerError, .stratonovichNeedsDiagonalMedium)
        }
    }

    /// B = 3e-308 passes the scenario checks (normal, 1/B finite), but the drift B⁻¹ ∇log π
    /// overflows; and B = 0.5 + sqrt(1 + sin 2πy) has a cusp where 1 + sin 2πy = 0 (y = 3/4, so
    /// x = 3/16 at ε = 1/4), where the drift's B' is 0/0. Both are refused before any step, with
    /// the position (they passed `check` and made the state NaN at the first step, at any dt).
    func testNonFiniteCoefficientsAreRefusedBeforeTheRun() throws {
        let s = try Scenario(toml: scenario1D(["B": "B = \"3e-308\"", "f": "rho = \"1\""]))
        XCTAssertThrowsError(try ParticleSampler(scenario: s, options: .init(allowCoarseTimeStep: true))) { error in
            guard case SamplerError.coefficientsNotFinite = error else { return XCTFail("\(error)") }
        }
        let cusp = try Scenario(toml: scenario1D(["B": "B = \"0.5 + sqrt(1 + sin(2*pi*y))\""]))
        XCTAssertThrowsError(try ParticleSampler(scenario: cusp)) { error in
            XCTAssertEqual(error as? SamplerError, .coefficientsNotFinite(position: [0.1875]))
        }
        let file = temporaryPath("cusp") + ".toml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["B": "B = \"0.5 + sqrt(1 + sin(2*pi*y))\""]).write(toFile: file, atomically: true, encoding: .utf8)
        let checked = try runHomogen(["check", file])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        XCTAssertTrue(checked.stdout.contains("# Sampler: not ready: [medium] B or [equilibrium] pi: the sampler's drift or noise is not finite at x = (0.1875)"), checked.stdout)
        let sampled = try runHomogen(["sample", file, "--out", temporaryPath("cusp-run"), "--quiet"])
        XCTAssertEqual(sampled.status, 65, sampled.stderr)
        XCTAssertTrue(sampled.stderr.contains(file + ": [medium] B or [equilibrium] pi"), sampled.stderr)
    }

    /// B = 1e-300 is a normal double with a finite inverse, so one step moves a particle by about
    /// √(2·10³⁰⁰ dt) ≈ 10¹⁴⁸ periods: finite, but with no fractional bits left it used to wrap to
    /// position 0 silently. Every scheme's store now counts |v| ≥ 2⁵² as a broken state.
    func testAStepOfMoreThanTwoToTheFiftyTwoPeriodsStopsTheRun() throws {
        let s = try Scenario(toml: scenario1D(["B": "B = \"1e-300\"", "f": "rho = \"1\""]))
        for scheme in [SchemeKind.em, .weak2] {
            let sampler = try ParticleSampler(scenario: s, options: .init(allowCoarseTimeStep: true, scheme: scheme))
            XCTAssertThrowsError(try sampler.run(), "\(scheme)") { error in
                guard case SamplerError.notFinite(let step, _, _) = error else { return XCTFail("\(scheme): \(error)") }
                XCTAssertEqual(step, 1, "\(scheme)")
                XCTAssertTrue("\(error)".contains("2^52"), "\(scheme): \(error)")
            }
        }
    }

    func testNPYEncodingMatchesNumPysFormat() {
        let data = NPY.encode([1.5, -2, 3, 4], shape: [2, 2])
        XCTAssertEqual(Array(data.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'shape': (2, 2)"))
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertEqual(data.count, 10 + headerLength + 32)
        let first = data[(10 + headerLength)..<(18 + headerLength)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(Double(bitPattern: UInt64(littleEndian: first)), 1.5)
    }

    func testChiSquareMergesSparseCells() {
        // Expected counts 1, 1, 1, 97 with 100 particles: the first three merge into one cell
        // (expected 3 < 5 until the fourth joins), leaving one cell and one degree of freedom.
        let t = ChiSquareTest(counts: [1, 1, 1, 97], probabilities: [0.01, 0.01, 0.01, 0.97])
        XCTAssertEqual(t.cellsUsed, 1)
        let u = ChiSquareTest(counts: [50, 50], probabilities: [0.5, 0.5])
        XCTAssertEqual(u.statistic, 0)
        XCTAssertEqual(u.pValue, 1, accuracy: 1e-12)
        // X² = 4 with 1 degree of freedom: Q = 0.0455.
        let v = ChiSquareTest(counts: [60, 40], probabilities: [0.5, 0.5])
        XCTAssertEqual(v.statistic, 4, accuracy: 1e-12)
        XCTAssertEqual(v.pValue, 0.04550026389635842, accuracy: 1e-12)
    }
}
