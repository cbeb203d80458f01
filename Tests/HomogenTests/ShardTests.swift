import Foundation
import Homogen
import XCTest

/// Sharded sampling: merged shards equal one process byte for byte; bad combinations are refused.
final class ShardTests: XCTestCase {
    private func sample(_ out: String, _ extra: [String]) throws {
        let r = try runHomogen(["sample", "scenarios/bench-2d.toml", "--particles", "4500", "--positions", "--quiet",
                                "--out", out] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testMergedShardsEqualOneProcess() throws {
        let base = temporaryPath("shards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try sample(base + "/full", ["--threads", "2"])
        let files = ["densities_000.csv", "densities_001.csv", "positions_000.npy", "positions_001.npy"]
        for count in [1, 2, 4] {
            for threads in [1, 2] {
                let folders = (0..<count).map { "\(base)/s\(count)-\(threads)-\($0)" }
                for (k, folder) in folders.enumerated() {
                    try sample(folder, ["--shard", "\(k)/\(count)", "--threads", "\(threads)"])
                }
                let merged = "\(base)/merged-\(count)-\(threads)"
                let r = try runHomogen(["merge"] + folders.reversed() + ["--out", merged])
                XCTAssertEqual(r.status, 0, r.stderr)
                for f in files {
                    XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"),
                                   FileManager.default.contents(atPath: "\(merged)/\(f)"), "\(count) shards, \(threads) threads: \(f)")
                }
                let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: merged + "/summary.json"))) as! [String: Any]
                XCTAssertEqual((summary["merged_from"] as! [String]).count, count)
            }
        }
    }

    func testMergeRefusesMismatchedOverlappingAndMissingShards() throws {
        let base = temporaryPath("badshards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try sample(base + "/a0", ["--shard", "0/2"])
        try sample(base + "/a1", ["--shard", "1/2"])
        try sample(base + "/b1", ["--shard", "1/2", "--seed", "99"])
        try sample(base + "/c1", ["--shard", "1/3"])
        let cases: [([String], String)] = [
            (["a0", "b1"], "come from different runs"),
            (["a0", "c1"], "is one of 2"),
            (["a0", "a0"], "overlap"),
            (["a0"], "missing (gap)"),
            (["a0", "nowhere"], "nowhere/summary.json: missing"),
            // A folder of another command: the problem in words, not the decoder's debug text.
            (["a0", "solved"], "solved/summary.json: not a sample summary (no 'software' at the top level); merge takes"),
            // Positions in one shard and not in the other: refused (they were dropped silently).
            (["a0", "p1"], "kept the positions (--positions) and"),
        ]
        let bare = try runHomogen(["sample", "scenarios/bench-2d.toml", "--particles", "4500", "--quiet", "--out", base + "/p1",
                                   "--shard", "1/2"])
        XCTAssertEqual(bare.status, 0, bare.stderr)
        try FileManager.default.createDirectory(atPath: base + "/solved", withIntermediateDirectories: true)
        try Data(#"{"equation": "epsilon"}"#.utf8).write(to: URL(fileURLWithPath: base + "/solved/summary.json"))
        for (folders, message) in cases {
            let r = try runHomogen(["merge"] + folders.map { "\(base)/\($0)" } + ["--out", "\(base)/never"])
            // A folder that is not there is an I/O error (74); a wrong one, bad data (65).
            XCTAssertEqual(r.status, message.hasSuffix("summary.json: missing") ? 74 : 65, "\(folders)")
            XCTAssertTrue(r.stderr.contains(message), "\(folders): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(base)/never"))
        }
        // Edited copies of a1 (a review's cases, each merged with exit 0): a histogram count, the
        // scheme (its fingerprint string left as it was), a NaN position, the shard's index.
        func edited(_ name: String, _ change: (String) throws -> Void) throws {
            try FileManager.default.copyItem(atPath: base + "/a1", toPath: base + "/" + name)
            try change(base + "/" + name)
        }
        func replace(_ file: String, _ old: String, _ new: String) throws {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            XCTAssertTrue(text.contains(old), "\(file) holds \(old)")
            try text.replacingOccurrences(of: old, with: new).write(toFile: file, atomically: true, encoding: .utf8)
        }
        try edited("count") { dir in
            let csv = try String(contentsOfFile: dir + "/densities_001.csv", encoding: .utf8).split(separator: "\n").map(String.init)
            var fields = csv[1].split(separator: ",").map(String.init)
            fields[4] = String(Int(fields[4])! + 7)
            try (([csv[0], fields.joined(separator: ",")] + csv.dropFirst(2)).joined(separator: "\n") + "\n")
                .write(toFile: dir + "/densities_001.csv", atomically: true, encoding: .utf8)
        }
        try edited("scheme") { dir in try replace(dir + "/summary.json", #""scheme" : "weak2""#, #""scheme" : "em""#) }
        try edited("index") { dir in try replace(dir + "/summary.json", #""index" : 1"#, #""index" : 5"#) }
        try edited("nan") { dir in
            var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/positions_001.npy"))
            let nan = Double.nan.bitPattern.littleEndian
            withUnsafeBytes(of: nan) { data.replaceSubrange((data.count - 8)..<data.count, with: $0) }
            try data.write(to: URL(fileURLWithPath: dir + "/positions_001.npy"))
        }
        for (folder, message) in [("count", "particles, its summary.json"), ("scheme", "differ in their scheme"),
                                  ("index", "gives shard 5/2"), ("nan", "not a finite position")] {
            let r = try runHomogen(["merge", base + "/a0", base + "/" + folder, "--out", base + "/never"])
            XCTAssertEqual(r.status, 65, "\(folder): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(folder): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(base)/never"))
        }
        let bad = try runHomogen(["sample", "scenarios/bench-2d.toml", "--shard", "2/2"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--shard"), bad.stderr)
    }
}

/// `homogen slurm` writes a job array over the shards and a dependent merge job.
final class SlurmScriptTests: XCTestCase {
    func testSlurmWritesArrayAndMergeScripts() throws {
        let out = temporaryPath("slurm")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["slurm", "scenarios/bench-1d.toml", "--tasks", "4", "--out", out, "--", "--partition=short"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let array = try String(contentsOfFile: out + "/array.sh", encoding: .utf8)
        XCTAssertTrue(array.contains("#SBATCH --array=0-3"), array)
        XCTAssertTrue(array.contains("#SBATCH --partition=short"), array)
        XCTAssertTrue(array.contains("--shard \"$SLURM_ARRAY_TASK_ID/4\""), array)
        XCTAssertTrue(array.contains("--resume"), array)
        let merge = try String(contentsOfFile: out + "/merge.sh", encoding: .utf8)
        XCTAssertTrue(merge.contains(" merge "), merge)
        XCTAssertEqual(merge.components(separatedBy: "/shard-").count - 1, 4, merge)
        // Finished shards are skipped when the array is submitted again; the resume arguments
        // expand under set -u on any bash.
        XCTAssertTrue(array.contains("[ -f \"$out/summary.json\" ] && exit 0"), array)
        XCTAssertTrue(array.contains("${resume[@]+\"${resume[@]}\"}"), array)
        let zero = try runHomogen(["slurm", "scenarios/bench-1d.toml", "--tasks", "4", "--checkpoint-every", "0", "--out", out + "-0"])
        XCTAssertEqual(zero.status, 64, zero.stderr)
        XCTAssertTrue(zero.stderr.contains("--checkpoint-every must be positive"), zero.stderr)
        let proc = try runHomogen(["slurm", "scenarios/bench-1d.toml", "--tasks", "4", "--out", "/proc/homogen-slurm"])
        XCTAssertEqual(proc.status, 74, proc.stderr)
        XCTAssertFalse(proc.stderr.contains("NSCocoaErrorDomain"), proc.stderr)
        let tooMany = try runHomogen(["slurm", "scenarios/bench-1d.toml", "--tasks", "1000", "--out", out + "-2"])
        XCTAssertNotEqual(tooMany.status, 0)
        XCTAssertTrue(tooMany.stderr.contains("exceeds the run's 98 blocks"), tooMany.stderr)
    }

    /// A review's cases: a line break in --out or in an sbatch option became a command of the
    /// script (and ended the #SBATCH block); an --output path with a space or a quote was split by
    /// sbatch; --threads 2000 and a second --array were accepted, and every task then failed. Now
    /// the line breaks and those options are refused (exit 64, no folder written) and the #SBATCH
    /// values are quoted as sbatch reads them.
    func testSlurmScriptsCannotBeInjectedOrSplit() throws {
        let base = temporaryPath("slurm-odd")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let scenario = ["slurm", "scenarios/bench-1d.toml", "--tasks", "2"]
        for (args, message) in [
            (["--out", base + "/inj\ntouch INJ"], "--out"),
            (["--out", base + "/a", "--", "--comment=x\ntouch INJ"], "line break"),
            (["--out", base + "/b", "--threads", "2000"], "--threads must be from 1 to 1024"),
            (["--out", base + "/c", "--", "--array=0-5"], "set by --tasks"),
        ] {
            let r = try runHomogen(scenario + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base), [], "nothing written")
        let odd = base + "/we ird \"q\" 'x'"
        let r = try runHomogen(scenario + ["--out", odd])
        XCTAssertEqual(r.status, 0, r.stderr)
        let array = try String(contentsOfFile: odd + "/array.sh", encoding: .utf8)
        XCTAssertTrue(array.contains("#SBATCH --output=\"" + base + "/we ird \\\"q\\\" 'x'/logs/shard-%a.out\""), array)
        XCTAssertTrue(array.contains("#SBATCH --job-name=\"bench-1d-shards\""), array)
        // The shell lines quote the path as one word: bash -n parses the script.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", odd + "/array.sh"]
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0)
    }
}

/// `compare --sample DIR` uses a (merged) sample run folder: the same numbers as sampling in-process.
final class CompareFromSampleTests: XCTestCase {
    /// Flags checked before any work (a review found them checked after the run, ignored, or
    /// trapping), and `--plot` from outside the checkout: the script is found above the
    /// executable, and the verdict and exit status stand either way.
    func testCompareFlagsAreCheckedFirstAndPlotWorksFromAnyFolder() throws {
        let base = temporaryPath("compare-flags")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["--epsilons", "1e-300,1/4"], "--epsilons: '1e-300' is not a number in [1e-6, 1]"),
            (["--epsilons", "1/4,1/4"], "--epsilons: 1/4 appears twice"),
            (["--epsilons", "1/4,,1/8"], "--epsilons: an empty item"),
            (["--sample", base, "--dt", "1e-4"], "--dt 0.0001 applies to sampling; with --sample"),
        ]
        for (extra, message) in cases {
            let r = try runHomogen(["compare", "scenarios/bench-1d.toml", "--out", base + "/never"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
        // 1/ε beyond the scenario's dimension's limit (32 in 3D): refused before any work, not
        // after the whole comparison.
        let beyond = try runHomogen(["compare", "scenarios/laminate-3d.toml", "--out", base + "/never", "--epsilons", "1/4,1/64"])
        XCTAssertEqual(beyond.status, 64, beyond.stderr)
        XCTAssertTrue(beyond.stderr.contains("in the eps -> 0 study, 1/64 is beyond the largest 1/epsilon of 3D scenarios, 32 (--epsilons)"), beyond.stderr)
        XCTAssertFalse(beyond.stderr.contains("compare: "), beyond.stderr)
        // A 1/ε whose solver grid would be too large, likewise (it ran sampling, solves and the
        // bootstrap, 2.5 GB, first).
        let huge = try runHomogen(["compare", "scenarios/bench-1d.toml", "--out", base + "/never", "--epsilons", "1/4,1/1000000"])
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.contains("in the eps -> 0 study, 1/1000000 needs a solver grid of"), huge.stderr)
        XCTAssertFalse(huge.stderr.contains("compare: "), huge.stderr)
        // A 1D solver grid of 3 cells (1/ε = 1, one output cell, resolution 3) is refused, not a
        // trap in the cyclic solve.
        let one = base + "/eps1.toml"
        try scenario1D(["epsilon": "epsilon = \"1\"", "cells": "cells = 1"]).write(toFile: one, atomically: true, encoding: .utf8)
        let three = try runHomogen(["solve", one, "--resolution", "3", "--out", base + "/never"])
        XCTAssertEqual(three.status, 64, three.stderr)
        XCTAssertTrue(three.stderr.contains("would have 3 cells per side, fewer than the 4 the solver needs"), three.stderr)
        for (extra, message) in [(["--shard", "0/2", "--merge", base], "give one of them"), (["--shard", "0/2", "--dt-sweep"], "--dt-sweep")] {
            let r = try runHomogen(["stationary", "scenarios/stationary-1d.toml", "--out", base + "/never"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
        let plotted = try runHomogen(["compare", repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml").path, "--particles", "2000",
                                      "--dt", "1e-5", "--skip-dt-check", "--bootstrap", "19", "--plot", "--out", base + "/plotted"],
                                     directory: base)
        XCTAssertEqual(plotted.status, 0, plotted.stderr)
        XCTAssertTrue(plotted.stdout.split(separator: "\n").last?.hasPrefix("verdict:") == true, plotted.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + "/plotted/densities.png"), plotted.stderr)
    }

    /// After the pilots and the sampling, SIGINT ends `compare` at once (exit 130), saying that
    /// nothing was written: here during the checked 3D ε-PDE solve (128³ cells, tens of seconds).
    /// A review found the signal caught and ignored there (and, with `--bootstrap 1e12`, past
    /// SIGINT and SIGTERM for minutes); `--bootstrap` is now at most 10⁵.
    func testASignalAfterTheSamplingStopsAtOnce() throws {
        let base = temporaryPath("compare-signal")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let sampled = try runHomogen(["sample", "scenarios/bench-3d.toml", "--particles", "2000", "--dt", "1e-5",
                                      "--skip-dt-check", "--quiet", "--out", base + "/s"])
        XCTAssertEqual(sampled.status, 0, sampled.stderr)
        let tooMany = try runHomogen(["compare", "scenarios/bench-1d.toml", "--bootstrap", "1e12", "--out", base + "/never"])
        XCTAssertEqual(tooMany.status, 64)
        XCTAssertTrue(tooMany.stderr.contains("--bootstrap must be from 9 to 100000"), tooMany.stderr)
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = ["compare", "scenarios/bench-3d.toml", "--sample", base + "/s", "--particles", "2000", "--out", base + "/c"]
        p.currentDirectoryURL = repositoryRoot
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        let box = StderrText()
        err.fileHandleForReading.readabilityHandler = { h in box.append(String(decoding: h.availableData, as: UTF8.self)) }
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, p.isRunning, !box.text.contains("solving the epsilon equation") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(p.isRunning, "compare ended before the signal: \(box.text)")
        Thread.sleep(forTimeInterval: 0.5)
        p.interrupt()   // SIGINT, well inside the solve
        let signalled = Date()
        p.waitUntilExit()
        let elapsed = Date().timeIntervalSince(signalled)
        err.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(p.terminationStatus, 130, box.text)
        XCTAssertLessThan(elapsed, 5, "it should stop at once")
        XCTAssertTrue(box.text.contains("compare: interrupted; nothing was written"), box.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/c"))
    }

    func testCompareOnMergedShardsEqualsCompareWithSampling() throws {
        let base = temporaryPath("compare-sample")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["--particles", "6000", "--quiet"]
        for k in 0..<2 {
            let r = try runHomogen(["sample", "scenarios/bench-1d.toml", "--positions", "--shard", "\(k)/2", "--out", "\(base)/s\(k)"] + common)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try runHomogen(["merge", "\(base)/s0", "\(base)/s1", "--out", "\(base)/merged"]).status, 0)
        let a = try runHomogen(["compare", "scenarios/bench-1d.toml", "--bootstrap", "19", "--out", "\(base)/a"] + common)
        let b = try runHomogen(["compare", "scenarios/bench-1d.toml", "--bootstrap", "19", "--sample", "\(base)/merged",
                                "--out", "\(base)/b"] + common)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        func rows(_ dir: String) throws -> [[String: Any]] {
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any])["outputs"] as! [[String: Any]]
        }
        let ra = try rows("\(base)/a"), rb = try rows("\(base)/b")
        for (x, y) in zip(ra, rb) {
            XCTAssertEqual(x["w2_particles_epsilon"] as? Double, y["w2_particles_epsilon"] as? Double)
            XCTAssertEqual(x["p_value_particles_epsilon"] as? Double, y["p_value_particles_epsilon"] as? Double)
        }
        let wrong = try runHomogen(["compare", "scenarios/bench-1d.toml", "--particles", "7000", "--sample", "\(base)/merged",
                                    "--out", "\(base)/c", "--quiet"])
        XCTAssertEqual(wrong.status, 65)
        // The refusal says what differs (it said only "another scenario, seed, particle count or version").
        XCTAssertTrue(wrong.stderr.contains("sampled from another run: particles 6000 in the folder, 7000 here"), wrong.stderr)
        let shard = try runHomogen(["compare", "scenarios/bench-1d.toml", "--sample", "\(base)/s0", "--out", "\(base)/d"] + common)
        XCTAssertEqual(shard.status, 65)
        XCTAssertTrue(shard.stderr.contains("is a shard; merge the shards first"), shard.stderr)
    }
}

/// Standard error of a running process, collected from its pipe's handler thread.
private final class StderrText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""
    var text: String { lock.withLock { stored } }
    func append(_ chunk: String) { lock.withLock { stored += chunk } }
}
