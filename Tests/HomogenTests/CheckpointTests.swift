import Foundation
import Homogen
import XCTest

/// Checkpoint and resume through the command line: a run stopped by SIGTERM (sent once its first
/// checkpoint exists) writes a checkpoint (with the blocks in progress); resuming gives files
/// byte-identical to an uninterrupted run; corrupt or mismatched checkpoints are refused. The
/// in-process tests stopping at a known block and step are in `InterruptTests`.
final class CheckpointTests: XCTestCase {
    /// The time-step pilot is skipped: the signal must fall in the sampling itself (the pilot is
    /// deterministic, so a resumed run would choose the same step).
    private let args = ["sample", "scenarios/bench-1d.toml", "--particles", "400000", "--positions", "--quiet", "--threads", "2",
                        "--skip-dt-check"]

    private func start(_ extra: [String], positions: Bool = true) throws -> Process {
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = (positions ? args : args.filter { $0 != "--positions" }) + extra
        p.currentDirectoryURL = repositoryRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func testResumeAfterSIGTERMEqualsTheUninterruptedRun() throws {
        let base = temporaryPath("checkpoint")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let full = try runHomogen(args + ["--out", base + "/full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let p = try start(["--out", base + "/run", "--checkpoint-every", "0.2"])
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        XCTAssertEqual(p.terminationStatus, 130)  // interrupted (sysexits convention, docs/guide.md)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/run"), "no half-written run folder")
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + "/run.checkpoint/checkpoint.json"))
        let resumed = try runHomogen(args + ["--resume", base + "/run.checkpoint"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        for f in ["densities_000.csv", "densities_001.csv", "positions_000.npy", "positions_001.npy"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"),
                           FileManager.default.contents(atPath: "\(base)/run/\(f)"), f)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/run.checkpoint"), "the checkpoint is removed after success")
    }

    /// A resume takes the checkpoint's step and time-step decision without repeating the pilots,
    /// even with the time-step journal gone (another node, a cleaned cache): a review's resume
    /// spent its 16 s of pilots again, and would have refused its own checkpoint as "another run"
    /// had the pilots decided otherwise. Byte-identical to the uninterrupted run, with the same
    /// decision in summary.json; a --dt other than the checkpoint's is refused.
    func testResumeReusesTheCheckpointsTimeStepDecision() throws {
        let base = temporaryPath("resume-dt")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let cache = base + "/cache"
        let checked = ["sample", "scenarios/bench-1d.toml", "--particles", "100000", "--threads", "2", "--quiet"]
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = checked + ["--out", base + "/run", "--checkpoint-every", "0.05"]
        p.currentDirectoryURL = repositoryRoot
        p.environment = ProcessInfo.processInfo.environment.merging(["HOMOGEN_CACHE_DIR": cache]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        XCTAssertEqual(p.terminationStatus, 130)
        // The pilots' journal decides the uninterrupted run's step without pilots of its own.
        let full = try runHomogen(checked + ["--out", base + "/full"], cache: cache)
        XCTAssertEqual(full.status, 0, full.stderr)
        let otherDt = try runHomogen(checked + ["--resume", base + "/run.checkpoint", "--dt", "1e-7", "--out", base + "/x"])
        XCTAssertEqual(otherDt.status, 64, otherDt.stderr)
        XCTAssertTrue(otherDt.stderr.contains("differs from the step"), otherDt.stderr)
        let verbose = checked.filter { $0 != "--quiet" }
        let resumed = try runHomogen(verbose + ["--resume", base + "/run.checkpoint"], cache: base + "/empty-cache")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("as the checkpoint recorded it (its time-step decision is reused, no pilots)"), resumed.stderr)
        XCTAssertFalse(resumed.stderr.contains("coupled particles"), "no pilot ran: \(resumed.stderr)")
        for f in ["densities_000.csv", "densities_001.csv"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"),
                           FileManager.default.contents(atPath: "\(base)/run/\(f)"), f)
        }
        func control(_ folder: String) throws -> [String: Any] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as! [String: Any]
            return try XCTUnwrap(json["time_step_control"] as? [String: Any])
        }
        let a = try control(base + "/full"), b = try control(base + "/run")
        for key in ["dt", "method", "passed", "bound_over_threshold"] {
            XCTAssertEqual("\(a[key] ?? "nil")", "\(b[key] ?? "nil")", key)
        }
    }

    /// Two blocks of long trajectories on two threads: the checkpoint holds both blocks in
    /// progress (positions, step count, generator state, counts so far), and resuming continues
    /// them, byte-identical to the uninterrupted run.
    func testMidBlockStateIsSavedAndResumed() throws {
        let base = temporaryPath("midblock")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml"), encoding: .utf8)
            .replacingOccurrences(of: "final = 0.01", with: "final = 2.0")
            .replacingOccurrences(of: "outputs = [0.005, 0.01]", with: "outputs = [1.0, 2.0]")
            .replacingOccurrences(of: "count = 100000", with: "count = 2048")
        try text.write(toFile: base + "/long.toml", atomically: true, encoding: .utf8)
        let long = ["sample", base + "/long.toml", "--positions", "--quiet", "--threads", "2", "--skip-dt-check"]
        XCTAssertEqual(try runHomogen(long + ["--out", base + "/full"]).status, 0)
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = long + ["--out", base + "/run", "--checkpoint-every", "0.3"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        XCTAssertEqual(p.terminationStatus, 130)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/run.checkpoint/checkpoint.json"))) as! [String: Any]
        let inProgress = json["in_progress"] as! [[String: Any]]
        XCTAssertEqual(inProgress.count, 2, "both blocks were in progress")
        XCTAssertTrue(inProgress.allSatisfy { ($0["iterations"] as! Int) > 0 })
        XCTAssertEqual(try runHomogen(long + ["--resume", base + "/run.checkpoint"]).status, 0)
        for f in ["densities_000.csv", "densities_001.csv", "positions_000.npy", "positions_001.npy"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/full/\(f)"),
                           FileManager.default.contents(atPath: "\(base)/run/\(f)"), f)
        }
    }

    func testCorruptOrMismatchedCheckpointIsRefused() throws {
        let base = temporaryPath("badcheckpoint")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let p = try start(["--out", base + "/run", "--checkpoint-every", "0.1"])
        terminateAfterFirstCheckpoint(p, checkpoint: base + "/run.checkpoint")
        XCTAssertEqual(p.terminationStatus, 130)
        let dir = base + "/run.checkpoint"
        let other = try runHomogen(args + ["--seed", "77", "--resume", dir, "--out", base + "/x"])
        XCTAssertEqual(other.status, 65)
        XCTAssertTrue(other.stderr.contains("belongs to another run"), other.stderr)
        let noPositions = try runHomogen(args.filter { $0 != "--positions" } + ["--resume", dir, "--out", base + "/y"])
        XCTAssertEqual(noPositions.status, 65)
        XCTAssertTrue(noPositions.stderr.contains("resume with --positions"), noPositions.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("positions") }
        XCTAssertEqual(files.count, 1, "\(files)")
        let positions = dir + "/" + files[0]
        let data = try XCTUnwrap(FileManager.default.contents(atPath: positions))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: positions))
        let truncated = try runHomogen(args + ["--resume", dir, "--out", base + "/z"])
        XCTAssertEqual(truncated.status, 65)
        XCTAssertTrue(truncated.stderr.contains(files[0] + ": missing, truncated"), truncated.stderr)
        try "{not json".write(toFile: dir + "/checkpoint.json", atomically: true, encoding: .utf8)
        let corrupt = try runHomogen(args + ["--resume", dir, "--out", base + "/w"])
        XCTAssertEqual(corrupt.status, 65)
        XCTAssertTrue(corrupt.stderr.contains("checkpoint.json: corrupt"), corrupt.stderr)
        // The other way round: a checkpoint written without positions, resumed keeping them.
        let bare = try start(["--out", base + "/bare", "--checkpoint-every", "0.1"], positions: false)
        terminateAfterFirstCheckpoint(bare, checkpoint: base + "/bare.checkpoint")
        XCTAssertEqual(bare.terminationStatus, 130)
        let keeping = try runHomogen(args + ["--resume", base + "/bare.checkpoint", "--out", base + "/v"])
        XCTAssertEqual(keeping.status, 65)
        XCTAssertTrue(keeping.stderr.contains("does not keep the particle positions; resume it without keeping them"), keeping.stderr)
        for f in ["x", "y", "z", "w", "v"] { XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/" + f)) }
    }
}
