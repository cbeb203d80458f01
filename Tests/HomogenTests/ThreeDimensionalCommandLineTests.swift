import Foundation
import Homogen
import XCTest

/// The 3D scenarios through the `homogen` executable: every command that runs in 3D writes its
/// run folder (with the closed forms of the effective coefficients printed exactly), shards merge
/// byte for byte into the single run, a medium that needs the general 3D cell problem runs
/// through `compare`, and the commands that do not run in 3D yet say so and exit 65.
final class ThreeDimensionalCommandLineTests: XCTestCase {
    private let separable = "scenarios/separable-3d.toml"

    func testEveryThreeDimensionalCommandWritesItsRunFolder() throws {
        let base = temporaryPath("cli-3d")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let sample = try runHomogen(["sample", separable, "--particles", "20000", "--positions", "--quiet", "--out", "\(base)/s"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        let counts = try String(contentsOfFile: "\(base)/s/densities_002.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(counts.first, "x1_lo,x1_hi,x2_lo,x2_hi,x3_lo,x3_hi,count,density")
        XCTAssertEqual(counts.count, 1 + 512)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(base)/s/summary.json"))) as! [String: Any]
        XCTAssertNotNil(summary["time_step_control"], "the time-step control runs in 3D as in 2D")
        for equation in ["epsilon", "homogenised"] {
            let solve = try runHomogen(["solve", separable, "--equation", equation, "--quiet", "--out", "\(base)/\(equation)"])
            XCTAssertEqual(solve.status, 0, solve.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(base)/\(equation)/densities_002.csv"))
        }
        let stationary = try runHomogen(["stationary", "scenarios/oscillatory-3d.toml", "--particles", "20000", "--out", "\(base)/st"])
        XCTAssertEqual(stationary.status, 0, stationary.stderr)
        XCTAssertTrue(stationary.stdout.contains("the particles match pi_eps"), stationary.stdout)
        // B_bar = diag(<b1>, <(2 + cos)/(1 + 0.3 cos)>, <b3>) = diag(2, 1.93562021770..., 1.5), exactly.
        let effective = try runHomogen(["effective", separable])
        XCTAssertEqual(effective.status, 0, effective.stderr)
        XCTAssertTrue(effective.stdout.contains("B_bar = [[2, 0, 0], [0, 1.935620218, 0], [0, 0, 1.5]]"), effective.stdout)
    }

    /// inclusions-3d is neither a laminate nor separable: the homogenised solver takes A_hom from
    /// the certified 3D cell problem (its run folder records the method and the bracket).
    func testHomogenisedSolveOnAMediumThatNeedsTheCellProblem() throws {
        let out = temporaryPath("cli-3d-inclusions")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try runHomogen(["solve", "scenarios/inclusions-3d.toml", "--equation", "homogenised", "--quiet", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let effective = try XCTUnwrap(summary["effective"] as? [String: Any])
        XCTAssertTrue((effective["method"] as? String ?? "").contains("Raviart-Thomas"), "\(effective["method"] ?? "none")")
        let lower = try XCTUnwrap(effective["a_hom_lower"] as? [[Double]]), upper = try XCTUnwrap(effective["a_hom_upper"] as? [[Double]])
        XCTAssertLessThan(lower[0][0], upper[0][0])
        XCTAssertLessThan((upper[0][0] - lower[0][0]) / lower[0][0], EffectiveCoefficients.defaultBracketWidth)
        let checker = try runHomogen(["effective", "scenarios/checkerboard-contrast10-3d.toml", "--json", "--resolution", "16"])
        XCTAssertEqual(checker.status, 0, checker.stderr)
        let j = try JSONSerialization.jsonObject(with: Data(checker.stdout.utf8)) as! [String: Any]
        let a = (j["A_hom"] as! [[Double]])[0][0], bounds = j["A_hom_bounds"] as! [String: [[Double]]]
        // floor/mod in B, but every interface lies on an element edge (y = ½ at R = 16): certified,
        // no caveat (one that cuts elements is named in `bracket_caveat`).
        XCTAssertNil(j["bracket_caveat"], "\(j["bracket_caveat"] ?? "none")")
        // Wiener bounds 1/<1/a> = 1.818 and <a> = 5.5 around the certified bracket around the estimate.
        XCTAssertLessThan(1 / 0.55, bounds["lower"]![0][0])
        XCTAssertLessThanOrEqual(bounds["lower"]![0][0], a)
        XCTAssertLessThanOrEqual(a, bounds["upper"]![0][0])
        XCTAssertLessThan(bounds["upper"]![0][0], 5.5)
    }

    func testShardsMergeIntoTheSingleRunIn3D() throws {
        let base = temporaryPath("cli-3d-shards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["--particles", "5000", "--skip-dt-check", "--positions", "--quiet"]
        for k in 0..<2 {
            let r = try runHomogen(["sample", separable, "--shard", "\(k)/2", "--out", "\(base)/p\(k)"] + common)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try runHomogen(["merge", "\(base)/p1", "\(base)/p0", "--out", "\(base)/merged"]).status, 0)
        XCTAssertEqual(try runHomogen(["sample", separable, "--out", "\(base)/single"] + common).status, 0)
        for file in ["densities_000.csv", "densities_002.csv", "positions_002.npy"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(base)/merged/\(file)"),
                           FileManager.default.contents(atPath: "\(base)/single/\(file)"), file)
        }
    }

    func testW2OnThreeDimensionalGridsPointsAndWhatDoesNotRunIn3D() throws {
        let base = temporaryPath("cli-3d-w2")
        defer { try? FileManager.default.removeItem(atPath: base) }
        // The ε- and homogenised solutions written on 32³ cells (8 per ε-period), read back as grids:
        // resolved, so the back-and-forth iteration matches the marginals (no warning) and W2 is
        // the distance between the two (compare finds 8.2e-3 on the 64³ refined solver grid).
        for equation in ["epsilon", "homogenised"] {
            XCTAssertEqual(try runHomogen(["solve", separable, "--equation", equation, "--cells", "32", "--quiet", "--out", "\(base)/\(equation)"]).status, 0)
        }
        let w2 = try runHomogen(["w2", "--grid", "\(base)/epsilon/densities_002.csv", "\(base)/homogenised/densities_002.csv"])
        XCTAssertEqual(w2.status, 0, w2.stderr)
        let value = try XCTUnwrap(Double(w2.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), w2.stdout)
        XCTAssertGreaterThan(value, 1e-3)
        XCTAssertFalse(w2.stderr.contains("warning"), w2.stderr)
        // At t = 0 both solves start from the same density, projected by each: they differ by
        // 4e-6 of the density, far below what the method resolves (its deposits once the map
        // stretches at all). The iteration stops after 100 iterations (it ran all 1000, a minute at
        // 32³ and minutes at 64³, in every 3D compare) with Peyre's bound, 6.1e-7, and the note
        // says what the value is.
        let start = try runHomogen(["w2", "--grid", "\(base)/epsilon/densities_000.csv", "\(base)/homogenised/densities_000.csv"])
        XCTAssertEqual(start.status, 0, start.stderr)
        XCTAssertLessThan(try XCTUnwrap(Double(start.stdout.trimmingCharacters(in: .whitespacesAndNewlines))), 1e-6)
        XCTAssertTrue(start.stderr.contains("back-and-forth: 100 iterations"), start.stderr)
        XCTAssertTrue(start.stderr.contains("note: the densities differ by less than the method resolves"), start.stderr)
        // --cells beyond the scenario's own limit (128 in 3D) is refused before any work.
        let huge = try runHomogen(["solve", separable, "--cells", "200", "--quiet", "--out", "\(base)/huge"])
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.contains("must be from 1 to 128 in 3D, not 200 (--cells)"), huge.stderr)
        let metric = try runHomogen(["w2", "--grid", "--metric", "2", "\(base)/epsilon/densities_002.csv", "\(base)/homogenised/densities_002.csv"])
        XCTAssertEqual(metric.status, 64)
        XCTAssertTrue(metric.stderr.contains("a 3D grid takes the flat cost"), metric.stderr)
        let points = try runHomogen(["sample", separable, "--particles", "500", "--skip-dt-check", "--positions", "--quiet", "--out", "\(base)/p"])
        XCTAssertEqual(points.status, 0, points.stderr)
        // 500 particles of the run at t = 0 and t = 0.02: exact W2 between the two 3D clouds.
        let cloud = try runHomogen(["w2", "\(base)/p/positions_000.npy", "\(base)/p/positions_002.npy"])
        XCTAssertEqual(cloud.status, 0, cloud.stderr)
        XCTAssertGreaterThan(Double(cloud.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0)
        let entropic = try runHomogen(["w2", "--entropic", "\(base)/p/positions_000.npy", "\(base)/p/positions_002.npy"])
        XCTAssertEqual(entropic.status, 64)
        XCTAssertTrue(entropic.stderr.contains("3D points take the exact solver with the flat cost"), entropic.stderr)
        let full = temporaryPath("full-3d.toml")
        defer { try? FileManager.default.removeItem(atPath: full) }
        let text = try String(contentsOfFile: repositoryRoot.appendingPathComponent(separable).path, encoding: .utf8)
            .replacingOccurrences(of: #"B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)", "1.5 + 0.5*sin(2*pi*y3)"]"#,
                                  with: #"B = [["2", "0.5", "0"], ["0.5", "2", "0"], ["0", "0", "2"]]"#)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        // A full 3D medium: the nineteen-point scheme, for both equations (A_hom from the 3D cell problem).
        for equation in ["epsilon", "homogenised"] {
            let out = temporaryPath("cli-3d-full-\(equation)")
            let solve = try runHomogen(["solve", full, "--equation", equation, "--resolution", "4", "--out", out])
            XCTAssertEqual(solve.status, 0, solve.stderr)
            let summary = try String(contentsOfFile: out + "/summary.json", encoding: .utf8)
            XCTAssertTrue(summary.contains("nineteen-point"), summary)
        }
    }
}
