import Foundation
import Homogen
import XCTest

/// The Metropolised scheme in `sample`, `compare` and `bench`: acceptance counts per output
/// interval (recorded, independent of threads, shards and checkpoints), the backward-Itô
/// requirement, `--scheme` parsing, and π_ε exactly invariant at a step where Euler–Maruyama is
/// visibly biased.
final class MetropolisSamplerTests: XCTestCase {
    private func scenario(_ replace: [String: String] = [:]) throws -> Scenario {
        var r = ["outputs": "outputs = [0.0, 0.005, 0.01]", "dt": "dt = 1e-3", "count": "count = 3000"]
        for (k, v) in replace { r[k] = v }
        return try Scenario(toml: scenario1D(r))
    }

    private func run(_ s: Scenario, _ scheme: SchemeKind, threads: Int = 2, blocks: Range<Int>? = nil,
                     allowCoarse: Bool = false) throws -> SampleResult {
        try ParticleSampler(scenario: s, options: .init(threads: threads, allowCoarseTimeStep: allowCoarse, scheme: scheme))
            .run(blocks: blocks)
    }

    /// Every step proposes one move per particle: N × (steps in the interval) per output interval,
    /// none before t = 0; some are rejected; the counts (and histograms) are the same for 1 and 3
    /// threads and add up over shards.
    func testAcceptancePerIntervalIsRecordedAndIndependentOfThreadsAndShards() throws {
        let s = try scenario()
        let one = try run(s, .metropolis, threads: 1)
        let three = try run(s, .metropolis, threads: 3)
        XCTAssertEqual(one.scheme, .metropolis)
        XCTAssertEqual(one.snapshots.map(\.moves), three.snapshots.map(\.moves))
        XCTAssertEqual(one.snapshots.map(\.counts), three.snapshots.map(\.counts))
        let moves = one.snapshots.map { $0.moves! }
        XCTAssertEqual(moves[0], SampleResult.Moves(accepted: 0, proposed: 0))
        XCTAssertNil(moves[0].rate)
        XCTAssertEqual(moves[1].proposed, 3000 * 5)
        XCTAssertEqual(moves[2].proposed, 3000 * 5)
        for m in moves.dropFirst() {
            XCTAssertGreaterThan(m.accepted, 0)
            XCTAssertLessThan(m.accepted, m.proposed, "a Metropolised step rejects some moves")
        }
        // Shards: blocks 0..<1 and 1..<3 add up to the whole run.
        let a = try run(s, .metropolis, blocks: 0..<1), b = try run(s, .metropolis, blocks: 1..<3)
        for k in moves.indices {
            XCTAssertEqual(a.snapshots[k].moves!.accepted + b.snapshots[k].moves!.accepted, moves[k].accepted)
            XCTAssertEqual(a.snapshots[k].moves!.proposed + b.snapshots[k].moves!.proposed, moves[k].proposed)
        }
        // Euler–Maruyama books no moves.
        XCTAssertTrue(try run(s, .em).snapshots.allSatisfy { $0.moves == nil })
    }

    /// The scheme enters the run fingerprint: an Euler–Maruyama shard never merges with a
    /// Metropolised one, nor resumes its checkpoint.
    func testTheSchemeIsPartOfTheRunFingerprint() throws {
        let s = try scenario()
        XCTAssertNotEqual(try s.runFingerprint(scheme: .em), try s.runFingerprint(scheme: .metropolis))
        XCTAssertEqual(try s.runFingerprint(), try s.runFingerprint(scheme: .em))
    }

    /// A Metropolised run started at π_ε keeps it exactly: at four times the time-step rule the
    /// final histogram matches the exact cell masses of π_ε (chi-square, particles independent, so
    /// the counts are multinomial under the null), while Euler–Maruyama at the same step does not.
    func testPiEpsIsExactlyInvariantForSample() throws {
        // ε = 1/4, rule dt <= eps^2 * 1 / 10 = 6.25e-3; 4x that, 80 steps to t = 2, from f = 1 (ρ0 = π_ε).
        let s = try scenario(["dt": "dt = 2.5e-2", "final": "final = 2.0", "outputs": "outputs = [2.0]",
                              "count": "count = 20000", "cells": "cells = 32", "f": "f = \"1\"", "seed": "seed = 11"])
        let exact = s.equilibriumCellMasses()
        let metropolis = try run(s, .metropolis, allowCoarse: true)
        let em = try run(s, .em, allowCoarse: true)
        let pMetropolis = ChiSquareTest(counts: metropolis.snapshots[0].counts, probabilities: exact).pValue
        let pEM = ChiSquareTest(counts: em.snapshots[0].counts, probabilities: exact).pValue
        XCTAssertGreaterThan(pMetropolis, 1e-3, "Metropolised: pi_eps invariant (chi-square p = \(pMetropolis))")
        XCTAssertLessThan(pEM, 1e-3, "Euler-Maruyama at 4x the rule is biased (chi-square p = \(pEM))")
    }

    // MARK: - The command line

    private func write(_ text: String, _ name: String) throws -> String {
        let file = temporaryPath(name)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private func summary(_ folder: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as! [String: Any]
    }

    /// `--scheme` on sample, compare and bench: em, metropolis and its alias mala are accepted and
    /// reported; anything else is a usage error (64) naming the option.
    func testSchemeOptionOnSampleCompareAndBench() throws {
        let file = try write(scenario1D(["outputs": "outputs = [0.0, 0.005, 0.01]", "dt": "dt = 1e-3"]), "scheme.toml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        for (given, recorded) in [("metropolis", "metropolis"), ("mala", "metropolis"), ("em", "em")] {
            let out = temporaryPath("sample-\(given)")
            defer { try? FileManager.default.removeItem(atPath: out) }
            // At the scenario's step (the control would refine it): this tests the scheme's bookkeeping.
            let r = try runHomogen(["sample", file, "--scheme", given, "--skip-dt-check", "--quiet", "--out", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("scheme \(recorded)"), r.stdout)
            let j = try summary(out)
            XCTAssertEqual(j["scheme"] as? String, recorded)
            if recorded == "metropolis" {
                XCTAssertTrue(r.stdout.contains("acceptance"), r.stdout)
                let a = try XCTUnwrap(j["acceptance"] as? [[String: Any]])
                XCTAssertEqual(a.count, 3)
                XCTAssertEqual(a[1]["proposed"] as? Int, 1000 * 5)
                XCTAssertEqual(a[1]["from"] as? Double, 0)
                XCTAssertEqual(a[2]["from"] as? Double, 0.005)
                XCTAssertGreaterThan(a[2]["rate"] as? Double ?? 0, 0.5)
            } else {
                XCTAssertNil(j["acceptance"])
            }
        }
        let bench = try runHomogen(["bench", "scenarios/bench-1d.toml", "--particles", "2048", "--steps", "20", "--scheme", "metropolis",
                                    "--no-floor"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stdout.contains("scheme=metropolis"), bench.stdout)
        XCTAssertTrue(bench.stdout.contains("acceptance="), bench.stdout)
        XCTAssertTrue(bench.stdout.split(separator: "\n").last!.hasPrefix("ns_per_particle_step="), bench.stdout)

        let out = temporaryPath("compare-metropolis")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let c = try runHomogen(["compare", file, "--scheme", "metropolis", "--quiet", "--out", out])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("scheme metropolis"), c.stdout)
        XCTAssertTrue(c.stdout.contains("acceptance in (0.005, 0.01]"), c.stdout)
        let j = try summary(out)
        XCTAssertEqual(j["sampler_scheme"] as? String, "metropolis")
        XCTAssertEqual((j["acceptance"] as? [[String: Any]])?.count, 3)

        for command in [["sample", file, "--out", temporaryPath("never")], ["compare", file, "--out", temporaryPath("never")],
                        ["bench", file]] {
            let bad = try runHomogen(command + ["--scheme", "rk4"])
            XCTAssertEqual(bad.status, 64, "\(command[0]): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.contains("--scheme"), bad.stderr)
        }
    }

    /// The Metropolised scheme keeps π_ε, the invariant measure of the backward-Itô dynamics only:
    /// with convention ito or stratonovich every command refuses with a data error (65) that says so.
    func testMetropolisRefusesOtherConventions() throws {
        for convention in ["ito", "stratonovich"] {
            let file = try write(scenario1D(["convention": "convention = \"\(convention)\""]), "\(convention).toml")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let out = temporaryPath("never")
            for command in [["sample", file, "--out", out, "--quiet"], ["compare", file, "--out", out, "--quiet"],
                            ["bench", file, "--steps", "5"]] {
                let r = try runHomogen(command + ["--scheme", "metropolis"])
                XCTAssertEqual(r.status, 65, "\(convention) \(command[0]): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("backward-ito"), r.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
            }
            let s = try Scenario(toml: scenario1D(["convention": "convention = \"\(convention)\""]))
            XCTAssertThrowsError(try ParticleSampler(scenario: s, options: .init(scheme: .metropolis))) { e in
                XCTAssertEqual(e as? SamplerError, .metropolisNeedsBackwardIto)
            }
        }
    }

    /// A Metropolised run stopped by SIGTERM and resumed from its checkpoint (blocks in progress
    /// included) gives the same histograms and the same acceptance counts as an uninterrupted run;
    /// merged shards give them too.
    func testCheckpointAndShardsKeepTheAcceptanceCounts() throws {
        let base = temporaryPath("metropolis-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml"), encoding: .utf8)
            .replacingOccurrences(of: "final = 0.01", with: "final = 0.4")
            .replacingOccurrences(of: "outputs = [0.005, 0.01]", with: "outputs = [0.2, 0.4]")
            .replacingOccurrences(of: "count = 100000", with: "count = 2048")
        try text.write(toFile: base + "/long.toml", atomically: true, encoding: .utf8)
        // Two blocks of 40000 steps (a few seconds), so that the signal after the first checkpoint finds both in progress.
        // The time-step pilots are skipped: the signal must fall in the sampling itself.
        let long = ["sample", base + "/long.toml", "--quiet", "--threads", "2", "--scheme", "metropolis", "--skip-dt-check"]
        let full = try runHomogen(long + ["--out", base + "/full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let expected = try summary(base + "/full")["acceptance"] as! [[String: Any]]
        func same(_ folder: String) throws {
            let got = try summary(folder)["acceptance"] as! [[String: Any]]
            XCTAssertEqual(got.map { $0["accepted"] as! Int }, expected.map { $0["accepted"] as! Int }, folder)
            XCTAssertEqual(got.map { $0["proposed"] as! Int }, expected.map { $0["proposed"] as! Int }, folder)
            for f in ["densities_000.csv", "densities_001.csv"] {
                XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"),
                               FileManager.default.contents(atPath: "\(folder)/\(f)"), "\(folder): \(f)")
            }
        }
        for k in 0..<2 { XCTAssertEqual(try runHomogen(long + ["--shard", "\(k)/2", "--out", "\(base)/s\(k)"]).status, 0) }
        XCTAssertEqual(try runHomogen(["merge", base + "/s1", base + "/s0", "--out", base + "/merged"]).status, 0)
        try same(base + "/merged")

        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = long + ["--out", base + "/run", "--checkpoint-every", "0.3"]
        p.currentDirectoryURL = repositoryRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        XCTAssertEqual(p.terminationStatus, 130)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/run.checkpoint/checkpoint.json"))) as! [String: Any]
        let inProgress = json["in_progress"] as! [[String: Any]]
        XCTAssertFalse(inProgress.isEmpty)
        // Recorder 1 is the acceptance: accepted and proposed per output interval, then the moves since the last record.
        XCTAssertTrue(inProgress.allSatisfy { ((($0["recorders"] as? [Any])?[1] as? [String: Any])?["integers"] as? [Int])?.count == 2 * 2 + 2 })
        let resumed = try runHomogen(long + ["--resume", base + "/run.checkpoint"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        try same(base + "/run")
    }
}
