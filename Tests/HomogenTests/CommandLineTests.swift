import Foundation
import Homogen
import XCTest

/// The `homogen` executable, run as a user would.
final class CommandLineTests: XCTestCase {
    private var scenarioFiles: [URL] {
        let dir = repositoryRoot.appendingPathComponent("scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".toml") }.sorted().map { dir.appendingPathComponent($0) }
    }

    func testEveryScenarioFilePassesCheck() throws {
        XCTAssertFalse(scenarioFiles.isEmpty)
        for file in scenarioFiles {
            let r = try runHomogen(["check", file.path])
            XCTAssertEqual(r.status, 0, "\(file.lastPathComponent): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains(": valid"), r.stdout)
            // The resolved text is itself a valid scenario, equal to the file's.
            let resolved = try Scenario(toml: r.stdout)
            XCTAssertEqual(ScenarioRecord(resolved), ScenarioRecord(try Scenario.load(path: file.path)))
        }
    }

    func testSampleWritesARunFolder() throws {
        let out = temporaryPath("sample")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["sample", "scenarios/bench-2d.toml", "--particles", "3000", "--seed", "3",
                                "--threads", "2", "--out", out, "--positions", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ns per particle-step"))
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        for key in ["scenario", "seed", "threads", "version", "seconds", "ns_per_particle_step", "outputs", "generator"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["seed"] as? Int, 3)
        let outputs = summary["outputs"] as! [[String: Any]]
        XCTAssertEqual(outputs.count, 2)
        XCTAssertEqual(outputs[1]["t"] as? Double, 0.01)
        let csv = try String(contentsOfFile: out + "/" + (outputs[1]["histogram"] as! String), encoding: .utf8)
        let rows = csv.split(separator: "\n")
        XCTAssertEqual(rows.first, "x1_lo,x1_hi,x2_lo,x2_hi,count,density")
        XCTAssertEqual(rows.count, 1 + 64 * 64)
        XCTAssertEqual(rows.dropFirst().map { Int($0.split(separator: ",")[4])! }.reduce(0, +), 3000)
        let npy = try Data(contentsOf: URL(fileURLWithPath: out + "/" + (outputs[1]["positions"] as! String)))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        XCTAssertEqual(npy.count, 10 + headerLength + 3000 * 2 * 8)
        // No temporary files are left beside the folder.
        let parent = (out as NSString).deletingLastPathComponent
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: parent).contains { $0.contains((out as NSString).lastPathComponent + ".tmp") })
    }

    /// A review's cases that failed late or not at all: a run folder named by a dangling symbolic
    /// link, or too long for its temporary name, was found out after the whole run (now refused
    /// before any work, exit 74, nothing printed on stdout); an unwritable cache of the pilots
    /// stopped the run (now a warning); a ρ0 near the largest double hung the initial draw, deaf to
    /// SIGTERM (now drawn: its rejection test is made on ρ0/max).
    func testRunsThatFailedLateOrHung() throws {
        let base = temporaryPath("late")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let quick = ["sample", "scenarios/bench-1d.toml", "--particles", "2000", "--threads", "2", "--skip-dt-check"]
        try FileManager.default.createSymbolicLink(atPath: base + "/dangling", withDestinationPath: "/nonexistent/folder")
        let dangling = try runHomogen(quick + ["--out", base + "/dangling"])
        XCTAssertEqual(dangling.status, 74, dangling.stderr)
        XCTAssertTrue(dangling.stderr.contains("symbolic link whose target is missing"), dangling.stderr)
        XCTAssertTrue(dangling.stdout.isEmpty, dangling.stdout)
        let long = try runHomogen(quick + ["--out", base + "/" + String(repeating: "b", count: 250)])
        XCTAssertEqual(long.status, 74, long.stderr)
        XCTAssertTrue(long.stderr.contains("its name is too long (250 bytes"), long.stderr)
        XCTAssertTrue(long.stdout.isEmpty, long.stdout)
        let uncached = try runHomogen(["sample", "scenarios/bench-1d.toml", "--particles", "2000", "--threads", "2",
                                       "--out", base + "/uncached"], cache: "/dev/null/cache")
        XCTAssertEqual(uncached.status, 0, uncached.stderr)
        XCTAssertTrue(uncached.stderr.contains("warning: the time-step journal"), uncached.stderr)
        XCTAssertTrue(uncached.stderr.contains("could not be written"), uncached.stderr)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml"), encoding: .utf8)
        let huge = text.components(separatedBy: "\n").map {
            $0.hasPrefix("rho =") ? #"rho = "1e308*(1 + 0.5*cos(2*pi*x))""# : $0.hasPrefix("outputs =") ? "outputs = [0.0, 0.01]" : $0
        }
        XCTAssertTrue(huge.contains(#"rho = "1e308*(1 + 0.5*cos(2*pi*x))""#), "bench-1d has an [initial] line to replace")
        try huge.joined(separator: "\n").write(toFile: base + "/huge.toml", atomically: true, encoding: .utf8)
        let drawn = try runHomogen(["sample", base + "/huge.toml", "--particles", "20000", "--threads", "2", "--skip-dt-check",
                                    "--out", base + "/huge"])
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        let csv = try String(contentsOfFile: base + "/huge/densities_000.csv", encoding: .utf8)
        let counts = csv.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
        XCTAssertEqual(counts.reduce(0, +), 20000)
        // At t = 0, [−1/4, 1/4) (where 1 + cos(2πx)/2 is larger) holds 1/2 + 1/(2π) of the mass,
        // within 5 binomial standard errors (64 cells: the first 16 and the last 16).
        let middle = (counts.prefix(16).reduce(0, +) + counts.suffix(16).reduce(0, +)) / 20000
        XCTAssertEqual(middle, 0.5 + 0.5 / Double.pi, accuracy: 5 * (0.66 * 0.34 / 20000).squareRoot())
    }

    func testExistingRunFolderIsRefused() throws {
        let out = temporaryPath("exists")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["sample", "scenarios/bench-1d.toml", "--particles", "100", "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("already exists"), r.stderr)
    }

    func testBadScenarioGivesFileKeyAndColumn() throws {
        let file = temporaryPath("bad.toml")
        try scenario1D(["B": "B = \"2 + sinn(2*pi*y)\""]).write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        for command in ["check", "sample"] {
            let r = try runHomogen([command, file])
            XCTAssertEqual(r.status, 65, command)
            XCTAssertTrue(r.stderr.contains("\(file): [medium] B, column 5: unknown function 'sinn'"), r.stderr)
            XCTAssertFalse(r.stderr.contains("Fatal"), r.stderr)
        }
        // Read, but not UTF-8: bad data (65) with the place, not an I/O error (74).
        let binary = temporaryPath("binary.toml")
        try Data("name = \"x\"\n\u{1}".utf8 + [0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
        defer { try? FileManager.default.removeItem(atPath: binary) }
        let notText = try runHomogen(["check", binary])
        XCTAssertEqual(notText.status, 65, notText.stderr)
        XCTAssertTrue(notText.stderr.contains("\(binary): not UTF-8 text: invalid byte 0xff at byte 13 (line 2)"), notText.stderr)
        // A device reads as a file (an empty one: the first key missing), not as an I/O error
        // ("permission"), so that a pipe or /dev/stdin can carry a scenario.
        let device = try runHomogen(["check", "/dev/null"])
        XCTAssertEqual(device.status, 65, device.stderr)
        XCTAssertTrue(device.stderr.contains("/dev/null: dimension: the key is missing"), device.stderr)
        // epsilon = "1/0" divides by zero (it said "must be positive, not inf").
        let zero = temporaryPath("eps-zero.toml")
        try scenario1D(["epsilon": "epsilon = \"1/0\""]).write(toFile: zero, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: zero) }
        let divides = try runHomogen(["check", zero])
        XCTAssertEqual(divides.status, 65)
        XCTAssertTrue(divides.stderr.contains("epsilon: '1/0' divides by zero"), divides.stderr)
        // --particles beyond the limit is the command line's error (64, the flag named), not the file's.
        let many = try runHomogen(["sample", "scenarios/bench-1d.toml", "--particles", "1e10"])
        XCTAssertEqual(many.status, 64, many.stderr)
        XCTAssertTrue(many.stderr.contains("'--particles <particles>': must be at most 1000000000"), many.stderr)
        // A scenario key that a solver finds wrong (π vanishing between the check points) is named
        // with its file, as the scenario's own checks name it.
        let vanishing = temporaryPath("pi-zero.toml")
        try scenario1D(["pi": "pi = \"1 - cos(2*pi*(y - 0.1234567))\""]).write(toFile: vanishing, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: vanishing) }
        let named = try runHomogen(["effective", vanishing])
        XCTAssertEqual(named.status, 65, named.stderr)
        XCTAssertTrue(named.stderr.contains("Error: \(vanishing): [equilibrium] pi"), named.stderr)
        // A negative value is the option's own error, not "Missing value" (the parser took -1 for an option).
        let negative = try runHomogen(["sample", "scenarios/bench-1d.toml", "--dt", "-1"])
        XCTAssertEqual(negative.status, 64, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--dt must be positive, not -1"), negative.stderr)
        // A step so small that final/dt overflows a count is refused before any work, naming the
        // flag (solve and stationary trapped on it; sample ran its pilots first).
        for (arguments, message) in [(["solve", "--dt"], "gives final/dt = 1e+298 steps, more than 10^12"),
                                     (["compare", "--solver-dt"], "gives final/dt = 1e+298 steps, more than 10^12"),
                                     (["stationary", "--dt"], "gives final/dt = 1e+298 steps, more than 10^12"),
                                     (["sample", "--dt"], "--dt 1e-300: final/dt = 1e+298 steps is more than 10^12")] {
            let tiny = try runHomogen([arguments[0], "scenarios/bench-1d.toml", arguments[1], "1e-300", "--out", temporaryPath("tiny")])
            XCTAssertEqual(tiny.status, 64, "\(arguments): \(tiny.stderr)")
            XCTAssertTrue(tiny.stderr.contains(message), "\(arguments): \(tiny.stderr)")
            XCTAssertFalse(tiny.stderr.contains("time step: a pilot"), "\(arguments): \(tiny.stderr)")
        }
        // Beyond Int's range too (it said "not a whole number").
        let huge = try runHomogen(["sample", "scenarios/bench-1d.toml", "--particles", "1e30"])
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.contains("'--particles <particles>': must be at most 1000000000, not 1e30"), huge.stderr)
        let missing = try runHomogen(["sample", "/nonexistent.toml"])
        XCTAssertEqual(missing.status, 74)
        XCTAssertTrue(missing.stderr.contains("/nonexistent.toml: cannot read the file"), missing.stderr)
    }

    func testSamplerRefusalsExitNonZero() throws {
        let file = temporaryPath("coarse.toml")
        try scenario1D(["dt": "dt = 0.01", "final": "final = 0.02", "outputs": "outputs = [0.02]"])
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try runHomogen(["sample", file, "--out", temporaryPath("never"), "--skip-dt-check"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("does not resolve the cell"), r.stderr)
        // A step from the command line is named as such, with the command's own help.
        let long = try runHomogen(["sample", file, "--dt", "1", "--skip-dt-check", "--out", temporaryPath("never")])
        XCTAssertEqual(long.status, 64)
        XCTAssertTrue(long.stderr.contains("Error: --dt 1.0: 1.0 is longer than [time] final"), long.stderr)
        XCTAssertTrue(long.stderr.contains("See 'homogen sample --help'"), long.stderr)
        let batches = try runHomogen(["stationary", "scenarios/stationary-1d.toml", "--batches", "1", "--out", temporaryPath("never")])
        XCTAssertEqual(batches.status, 64)
        XCTAssertTrue(batches.stderr.contains("at least 2 batches are needed, not 1 (--batches)"), batches.stderr)
        let check = try runHomogen(["check", file])
        XCTAssertEqual(check.status, 0)
        XCTAssertTrue(check.stdout.contains("Sampler: not ready"), check.stdout)
        let threads = try runHomogen(["sample", file, "--threads", "0"])
        XCTAssertEqual(threads.status, 64)
        XCTAssertTrue(threads.stderr.contains("--threads"), threads.stderr)
    }

    func testHelpExitsZeroWithUsage() throws {
        for arguments in [["--help"], ["compare", "--help"], ["help", "compare"], ["sample", "-h"]] {
            let r = try runHomogen(arguments)
            XCTAssertEqual(r.status, 0, "\(arguments): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE:"), "\(arguments): \(r.stdout)")
            XCTAssertFalse(r.stderr.contains("Error"), "\(arguments): \(r.stderr)")
        }
        let unknown = try runHomogen(["compare", "scenarios/bench-1d.toml", "--no-such-flag"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("--no-such-flag"), unknown.stderr)
    }

    func testBenchPrintsNanosecondsPerParticleStep() throws {
        let r = try runHomogen(["bench", "scenarios/bench-1d.toml", "--particles", "2048", "--steps", "20"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("ns_per_particle_step="), last)
        XCTAssertGreaterThan(Double(last.dropFirst("ns_per_particle_step=".count)) ?? 0, 0)
        // Every figure of the split is printed, positive and finite.
        for key in ["floor_ns_per_normal", "tape_ns_per_particle", "library_functions_ns_per_particle",
                    "bound_ns_per_particle_step", "ratio_to_bound"] {
            let value = r.stdout.components(separatedBy: key + "=").dropFirst().first?
                .prefix { !$0.isWhitespace }
            let x = value.flatMap { Double($0) } ?? .nan
            XCTAssertTrue(x.isFinite && x > 0, "\(key) in \(r.stdout)")
        }
        // --show-tape lists as many instructions as the summary line counts.
        let shown = try runHomogen(["bench", "scenarios/bench-1d.toml", "--particles", "2048", "--steps", "2",
                                    "--no-floor", "--show-tape"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        let summary = shown.stdout.split(separator: "\n").first { $0.hasPrefix("tape: ") } ?? ""
        let counted = summary.dropFirst(6).split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        }.reduce(0, +)
        let instructions = shown.stdout.split(separator: "\n").filter { $0.range(of: #"^r\d+ = [a-z+']+ r"#, options: .regularExpression) != nil }
        XCTAssertEqual(instructions.count, counted, shown.stdout)
        XCTAssertGreaterThan(counted, 0)
        XCTAssertFalse(shown.stdout.contains("floor_ns_per_normal"), "--no-floor skips the floor")
    }

    func testDemoRunsTheEmbeddedScenario() throws {
        let out = temporaryPath("demo")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["demo", "--particles", "2000", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/summary.json"))
        let printed = try runHomogen(["demo", "--print-scenario"])
        XCTAssertNoThrow(try Scenario(toml: printed.stdout))
    }
}
