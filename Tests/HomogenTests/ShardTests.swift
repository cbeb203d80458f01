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
        ]
        try FileManager.default.createDirectory(atPath: base + "/solved", withIntermediateDirectories: true)
        try Data(#"{"equation": "epsilon"}"#.utf8).write(to: URL(fileURLWithPath: base + "/solved/summary.json"))
        for (folders, message) in cases {
            let r = try runHomogen(["merge"] + folders.map { "\(base)/\($0)" } + ["--out", "\(base)/never"])
            XCTAssertEqual(r.status, 65, "\(folders)")
            XCTAssertTrue(r.stderr.contains(message), "\(folders): \(r.stderr)")
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
        let tooMany = try runHomogen(["slurm", "scenarios/bench-1d.toml", "--tasks", "1000", "--out", out + "-2"])
        XCTAssertNotEqual(tooMany.status, 0)
        XCTAssertTrue(tooMany.stderr.contains("exceeds the run's 98 blocks"), tooMany.stderr)
    }
}

/// `compare --sample DIR` uses a (merged) sample run folder: the same numbers as sampling in-process.
final class CompareFromSampleTests: XCTestCase {
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
        XCTAssertTrue(wrong.stderr.contains("sampled from another scenario"), wrong.stderr)
        let shard = try runHomogen(["compare", "scenarios/bench-1d.toml", "--sample", "\(base)/s0", "--out", "\(base)/d"] + common)
        XCTAssertEqual(shard.status, 65)
        XCTAssertTrue(shard.stderr.contains("is a shard; merge the shards first"), shard.stderr)
    }
}
