import Foundation
import Homogen
import XCTest

/// The tool's conventions: sysexits exit codes, counts on the command line, no arguments,
/// --version, the run folder checked before any work, unique default folders, and provenance.
final class ConventionsTests: XCTestCase {
    private func run(_ arguments: [String], in directory: String? = nil, interruptAfter: Double? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = arguments
        p.currentDirectoryURL = directory.map { URL(fileURLWithPath: $0) } ?? repositoryRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let interruptAfter {
            Thread.sleep(forTimeInterval: interruptAfter)
            p.interrupt()  // SIGINT, as Ctrl-C
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
    }

    private var scenario: String { repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml").path }

    func testExitCodesFollowSysexits() throws {
        let dir = temporaryPath("exit")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[[[\n".write(toFile: dir + "/abort.toml", atomically: true, encoding: .utf8)
        let deep = scenario1D(["B": "B = \"" + String(repeating: "(", count: 5000) + "2" + String(repeating: ")", count: 5000) + "\""])
        try deep.write(toFile: dir + "/deep.toml", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/afile", atomically: true, encoding: .utf8)
        try "0.1\n0.2\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        try "0.1\nabc\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["w2", dir + "/a.txt", dir + "/bad.txt"], 65, "line 2, field 1: 'abc' is not a finite number"),
            (["w2", dir + "/a.txt", dir + "/missing.txt"], 74, "cannot read"),
            (["sample", scenario, "--particles", "-5"], 64, "must be positive"),
            (["sample", scenario, "--particles", "0"], 64, "must be positive"),
            (["sample", scenario, "--particles", "2.5"], 64, "not a whole number"),
            (["solve", scenario, "--cells", "0"], 64, "must be positive"),
            (["solve", scenario, "--resolution", "1", "--out", dir + "/never"], 64, "--resolution"),
            (["sample", scenario, "--no-such-option"], 64, "Unknown option"),
            (["check", dir + "/abort.toml"], 65, "arrays of tables"),
            (["check", dir + "/deep.toml"], 65, "more than \(ExpressionParser.maxDepth) levels"),
            (["sample", dir + "/deep.toml"], 65, "more than \(ExpressionParser.maxDepth) levels"),
            (["check", dir + "/missing.toml"], 74, "cannot read the file"),
            (["compare", scenario, "--out", dir + "/afile/x"], 74, "afile"),
        ]
        for (arguments, status, message) in cases {
            let r = try run(arguments)
            XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal") || r.stderr.contains("Assertion"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never"))
    }

    /// `--out afile/x` (afile a regular file) is refused before the run computes anything.
    func testImpossibleRunFolderIsRefusedBeforeAnyWork() throws {
        let dir = temporaryPath("impossible")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x".write(toFile: dir + "/afile", atomically: true, encoding: .utf8)
        let r = try run(["sample", scenario, "--particles", "5e6", "--out", dir + "/afile/x"])
        XCTAssertEqual(r.status, 74, r.stderr)
        XCTAssertTrue(r.stderr.contains("it is a file, not a folder") && r.stderr.contains("nothing was computed"), r.stderr)
        XCTAssertFalse(r.stdout.contains("run folder"), r.stdout)
    }

    /// A full disk names its cause (/dev/full answers every write with ENOSPC).
    func testFullDiskIsNamed() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        XCTAssertThrowsError(try AtomicFile.writeContents(Data(repeating: 1, count: 1 << 16), toPath: "/dev/full")) { error in
            XCTAssertTrue("\(error)".contains("the disk is full"), "\(error)")
        }
        XCTAssertEqual(AtomicFile.reason(errno: ENOSPC), "the disk is full (ENOSPC)")
    }

    func testCountsAcceptExactScientificNotation() throws {
        let out = temporaryPath("count")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["sample", scenario, "--particles", "2e3", "--seed", "1e1", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        XCTAssertEqual((summary["scenario"] as! [String: Any])["particles"].map { "\($0)" }, "2000")
        XCTAssertEqual(summary["seed"] as? Int, 10)
        // Seeds up to 2^64 − 1, read as decimals (1e16 … 1e19 were refused, being above 9e15).
        let big = temporaryPath("count-big-seed")
        defer { try? FileManager.default.removeItem(atPath: big) }
        let b = try run(["sample", scenario, "--particles", "2e3", "--seed", "1e19", "--out", big, "--quiet"])
        XCTAssertEqual(b.status, 0, b.stderr)
        let text = try String(contentsOfFile: big + "/summary.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"seed\" : 10000000000000000000") || text.contains("\"seed\":10000000000000000000"), text)
        for bad in ["2e19", "1.5e-3", "1e", "0x10"] {
            let r = try run(["sample", scenario, "--seed", bad, "--out", big + "-bad", "--quiet"])
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("is not a whole number from 0 to 2^64 - 1"), r.stderr)
        }
    }

    func testNoArgumentsPrintsHelpAndDoesNoWork() throws {
        let dir = temporaryPath("noargs")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run([], in: dir)
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("SUBCOMMANDS") && r.stdout.contains("`homogen demo` runs the main job"), r.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testVersionPrintsTheCommit() throws {
        let r = try run(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix(HomogenVersion.current + " (commit "), r.stdout)
        XCTAssertTrue(r.stdout.contains("GSL \(GSLLibrary.version)"), r.stdout)
        if gitHead() != nil {
            let commit = r.stdout.components(separatedBy: "(commit ").dropFirst().first?.split(separator: ",").first.map(String.init)
            XCTAssertTrue(isAncestorOfHead(commit), "\(r.stdout): not a commit of this repository")
        }
    }

    /// Whether `commit` (as embedded: 12 hex digits, "-dirty" for uncommitted changes) is HEAD or
    /// one of its ancestors (a build made before the last commit embeds the commit it was built from).
    private func isAncestorOfHead(_ commit: String?) -> Bool {
        guard let commit, let hash = commit.split(separator: "-").first, hash.count == 12 else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", repositoryRoot.path, "merge-base", "--is-ancestor", String(hash), "HEAD"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// The short commit of the repository, when git and a checkout are there (as in CI).
    private func gitHead() -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", repositoryRoot.path, "rev-parse", "--short=12", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return p.terminationStatus == 0 ? text.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Regression: runs started in the same second without --out collided (exit codes 1, 0, 1).
    func testConcurrentDefaultRunsAllSucceed() throws {
        let dir = temporaryPath("concurrent")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let results = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4)
        defer { results.deallocate() }
        let scenario = self.scenario
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            results[k] = (try? run(["sample", scenario, "--particles", "200", "--quiet"], in: dir).status) ?? -1
        }
        XCTAssertEqual(Array(results), [0, 0, 0, 0])
        let folders = try FileManager.default.contentsOfDirectory(atPath: dir + "/runs")
        XCTAssertEqual(folders.count, 4, "\(folders)")
        XCTAssertTrue(folders.allSatisfy { $0.hasPrefix("bench-1d-sample-") }, "\(folders)")
    }

    func testInterruptWithoutCheckpointSaysHowToResume() throws {
        let out = temporaryPath("interrupt")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["sample", scenario, "--particles", "20000000", "--threads", "1", "--quiet", "--out", out], interruptAfter: 1.0)
        XCTAssertEqual(r.status, 130, r.stderr)   // 2·10⁷ particles on one thread cannot finish in a second
        XCTAssertTrue(r.stderr.contains("--checkpoint-every"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// summary.json says where its numbers came from, in every kind of run folder.
    func testEveryRunFolderRecordsProvenance() throws {
        let base = temporaryPath("provenance")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let runs: [[String]] = [
            ["sample", scenario, "--particles", "1000", "--out", base + "/sample", "--quiet"],
            ["solve", scenario, "--out", base + "/solve", "--quiet"],
            ["sample", scenario, "--particles", "1000", "--shard", "0/1", "--out", base + "/shard", "--quiet"],
            ["merge", base + "/shard", "--out", base + "/merged"],
            ["stationary", repositoryRoot.appendingPathComponent("scenarios/stationary-1d.toml").path,
             "--particles", "2000", "--out", base + "/stationary"],
        ]
        let before = Date()
        for arguments in runs {
            let r = try run(arguments)
            XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)")
            let folder = arguments[arguments.firstIndex(of: "--out")! + 1]
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as! [String: Any]
            guard let p = summary["provenance"] as? [String: Any] else { XCTFail("\(folder): no provenance"); continue }
            XCTAssertEqual(p["command_line"] as? [String], [homogenExecutable.path] + arguments)
            XCTAssertEqual(p["gsl_version"] as? String, GSLLibrary.version)
            XCTAssertEqual(p["host_cores"] as? Int, ProcessInfo.processInfo.activeProcessorCount)
            XCTAssertEqual(p["version"] as? String, HomogenVersion.current)
            if gitHead() != nil { XCTAssertTrue(isAncestorOfHead(p["commit"] as? String), "\(p)") }
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let start = (p["start_time"] as? String).flatMap { f.date(from: $0) }
            XCTAssertNotNil(start, "\(p)")
            if let start { XCTAssertTrue(start >= before.addingTimeInterval(-1) && start <= Date(), "\(start)") }
            XCTAssertTrue((p["start_time"] as? String)?.hasSuffix("Z") ?? false)
            let options = p["options"] as? [String: String] ?? [:]
            XCTAssertEqual(options["out"], folder)
            if arguments[0] == "sample" {
                XCTAssertEqual(options["particles"], "1000")
                XCTAssertEqual(options["allow-coarse-dt"], "false")
                XCTAssertNotNil(options["threads"].flatMap(Int.init), "\(options)")
            }
            if arguments[0] == "solve" {
                XCTAssertEqual(options["equation"], "epsilon", "\(options)")
                XCTAssertFalse(r.stdout.contains("per side"), r.stdout)  // 1D: no sides
            }
            if arguments[0] == "stationary" {
                XCTAssertEqual((summary["observable_means"] as? [String: Any])?.keys.sorted(), ["cos(2 pi x / eps)", "cos(2 pi x)", "sin(2 pi x / eps)", "sin(2 pi x)"])
                let header = try String(contentsOfFile: folder + "/pi_eps.csv", encoding: .utf8).prefix { $0 != "\n" }
                XCTAssertEqual(header, "x_lo,x_hi,estimate,standard_error,exact")
            }
            if arguments[0] == "sample", !arguments.contains("--shard") {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/densities_000.csv"))
                XCTAssertTrue(r.stdout.hasPrefix("scenario bench-1d: 1D"), r.stdout)
                XCTAssertFalse(r.stdout.contains("0.00 s"), r.stdout)
            }
        }
    }

    func testCheckJsonHasTheChecksAndSamplerReadiness() throws {
        let r = try run(["check", scenario, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["name"] as? String, "bench-1d")
        let checks = object["checks"] as? [String: Any] ?? [:]
        XCTAssertEqual(checks["sampler_ready"] as? Bool, true, "\(checks)")
        XCTAssertNotNil(checks["time_step_limit"] as? Double)
        XCTAssertNotNil((checks["facts"] as? [String: Any])?["medium_smallest_eigenvalue"])
    }

    /// effective in 2D with B_bar depending on x: one aligned row of 9 numbers per slow point, symmetric.
    func testEffective2DTableIsAligned() throws {
        let r = try run(["effective", repositoryRoot.appendingPathComponent("scenarios/oscillatory-2d.toml").path, "--resolution", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        guard let header = lines.firstIndex(where: { $0.contains("A_hom_11") }) else { return XCTFail(r.stdout) }
        let rest = lines[(header + 1)...]
        let rows = rest.prefix { !$0.hasPrefix("#") }.filter { !$0.hasPrefix("(") }
        XCTAssertEqual(rows.count, 64)
        // The Gromov–Hausdorff table follows (it was computed but left out when B_bar depends on x).
        XCTAssertTrue(rest.contains { $0.hasPrefix("# Gromov-Hausdorff integrand") }, r.stdout)
        XCTAssertEqual(Set(rows.map(\.count)).count, 1, "rows of different widths")
        for row in rows {
            let v = row.split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(v.count, 9, String(row))
            XCTAssertEqual(v[4], 0)  // A_hom_12 of this diagonal medium, round-off removed
        }
    }
}
