import Foundation
import Homogen
import XCTest

/// `homogen w2` reading what the tool and NumPy write, and its errors.
final class W2CommandTests: XCTestCase {
    private var files: [String] = []
    override func tearDown() { for f in files { try? FileManager.default.removeItem(atPath: f) } }

    private func file(_ name: String, _ data: Data) throws -> String {
        let p = temporaryPath(name)
        try data.write(to: URL(fileURLWithPath: p))
        files.append(p)
        return p
    }

    private func value(_ r: CLIResult) -> Double? { Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }

    /// Positions as .npy (N, 2) and (N,), and as text with spaces, commas and comments: the same
    /// distance from each, equal to the library's.
    func testNPYAndTextPositionsRoundTrip() throws {
        var g = SplitMix(seed: 8)
        let a = (0..<600).map { _ in g.next(in: 0...1) }, b = (0..<400).map { _ in pow(g.next(in: 0...1), 2) }
        let expected2D = try ExactTransport.distance(TorusMeasure(points: a, weights: nil), TorusMeasure(points: b, weights: nil))
        let na = try file("a.npy", NPY.encode(a, shape: [300, 2])), nb = try file("b.npy", NPY.encode(b, shape: [200, 2]))
        let text = { (v: [Double]) in
            "# x1, x2\n" + stride(from: 0, to: v.count, by: 2).map { "\(v[$0]),\(v[$0 + 1])  # point" }.joined(separator: "\n") + "\n"
        }
        let ta = try file("a.txt", Data(text(a).utf8)), tb = try file("b.csv", Data(text(b).utf8))
        for (x, y) in [(na, nb), (ta, tb), (na, tb)] {
            let r = try runHomogen(["w2", x, y, "--time"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(value(r)!, expected2D, accuracy: 1e-12)
            XCTAssertTrue(r.stderr.contains("seconds="), r.stderr)
        }
        let expected1D = CircleWasserstein.distance(CircleMeasure(samples: a), CircleMeasure(samples: b)).distance
        let r = try runHomogen(["w2", try file("a1.npy", NPY.encode(a, shape: [600])), try file("b1.npy", NPY.encode(b, shape: [400]))])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(value(r)!, expected1D, accuracy: 1e-12)
    }

    /// Density CSVs as `homogen solve` writes them and the same masses as .npy give the same grid
    /// distance (2D and 1D), and a histogram CSV given without --grid is pointed to --grid.
    func testDensityCSVAndNPYGridsAgree() throws {
        let n = 16
        let fa = (0..<(n * n)).map { k in 1 + 0.5 * cos(2 * Double.pi * (Double(k / n) + 0.5) / Double(n)) }
        let fb = (0..<(n * n)).map { k in 1 + 0.5 * sin(2 * Double.pi * (Double(k % n) + 0.5) / Double(n)) }
        let ca = try file("a.csv", Data(SolveRunFolder.densityCSV(fa, cells: n, dimension: .two).utf8))
        let cb = try file("b.csv", Data(SolveRunFolder.densityCSV(fb, cells: n, dimension: .two).utf8))
        let na = try file("a.npy", NPY.encode(fa, shape: [n, n])), nb = try file("b.npy", NPY.encode(fb, shape: [n, n]))
        let fromCSV = try runHomogen(["w2", "--grid", ca, cb]), fromNPY = try runHomogen(["w2", "--grid", na, nb])
        XCTAssertEqual(fromCSV.status, 0, fromCSV.stderr)
        XCTAssertEqual(value(fromCSV)!, value(fromNPY)!, accuracy: 1e-12)
        XCTAssertEqual(value(fromCSV)!, try GridWasserstein.distance(fa, fb, n1: n, n2: n).distance, accuracy: 1e-12)
        XCTAssertTrue(fromCSV.stderr.contains("marginal error"), fromCSV.stderr)
        let wrong = try runHomogen(["w2", ca, cb])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("--grid"), wrong.stderr)
        // Positions (N, 2) given with --grid are refused as a sample, not read as an N x 2 grid.
        let points = (0..<400).map { Double($0 % 97) / 97 }
        let sample = try file("p.npy", NPY.encode(points, shape: [200, 2]))
        let misread = try runHomogen(["w2", "--grid", sample, sample])
        XCTAssertEqual(misread.status, 65, misread.stderr)
        XCTAssertTrue(misread.stderr.contains("which is a sample of 200 points in 2D, not a grid"), misread.stderr)
        // 1D: exact on the circle.
        let m1 = (0..<64).map { 1 + 0.9 * cos(2 * Double.pi * Double($0) / 64) }, m2 = [Double](repeating: 1, count: 64)
        let r = try runHomogen(["w2", "--grid", try file("c.csv", Data(SolveRunFolder.densityCSV(m1, cells: 64, dimension: .one).utf8)),
                                try file("d.npy", NPY.encode(m2, shape: [64]))])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(value(r)!, CircleWasserstein.distance(CircleMeasure(cellMasses: m1), CircleMeasure(cellMasses: m2)).distance,
                       accuracy: 1e-12)
        // compare's densities_*.csv (cell edges, then particles, epsilon, …): a column of each file
        // by --columns; without it the refusal names the columns (it said "not a grid").
        var table = "x_lo,x_hi,particles,epsilon\n"
        for i in 0..<64 { table += "\(Double(i) / 64),\(Double(i + 1) / 64),\(m1[i]),\(m2[i])\n" }
        let compared = try file("densities_001.csv", Data(table.utf8))
        let pair = try runHomogen(["w2", "--grid", compared, compared, "--columns", "particles,epsilon"])
        XCTAssertEqual(pair.status, 0, pair.stderr)
        XCTAssertEqual(value(pair)!, value(r)!, accuracy: 1e-12)
        let unnamed = try runHomogen(["w2", "--grid", compared, compared])
        XCTAssertEqual(unnamed.status, 65, unnamed.stderr)
        XCTAssertTrue(unnamed.stderr.contains("no 'density' column; its columns are particles, epsilon (choose with --columns"), unnamed.stderr)
        XCTAssertNotEqual(try runHomogen(["w2", compared, compared, "--columns", "particles"]).status, 0)
        // 1D --exact: the cell-centre atoms (it was ignored). Masses ½, ½ at 1/16, 3/16 against
        // 1 at 7/16: W2² = ½ (6/16)² + ½ (4/16)², where the piecewise-constant densities differ.
        let two = try file("two.npy", NPY.encode([1, 1, 0, 0, 0, 0, 0, 0], shape: [8]))
        let one = try file("one.npy", NPY.encode([0, 0, 0, 2, 0, 0, 0, 0], shape: [8]))
        let centres = try runHomogen(["w2", "--grid", "--exact", two, one]), cells = try runHomogen(["w2", "--grid", two, one])
        XCTAssertEqual(centres.status, 0, centres.stderr)
        XCTAssertEqual(value(centres)!, 26.0.squareRoot() / 16, accuracy: 1e-12)
        XCTAssertGreaterThan(abs(value(cells)! - value(centres)!), 1e-3)
    }

    /// `w2 --grid --exact`: the cell-centre measures transported exactly by the network simplex,
    /// the discrete problem POT's `emd2` solves on the grid — equal to the stored POT values to
    /// round-off in 3D (16³) and 2D (32²); the back-and-forth value (W2 between the
    /// piecewise-constant densities) is O(h) away from it. `--exact` needs `--grid`.
    func testGridExactIsPOTsCellCentreValue() throws {
        let url3 = repositoryRoot.appendingPathComponent("Tests/Data/pot_grid3d_reference.json")
        let grids3 = (try JSONSerialization.jsonObject(with: Data(contentsOf: url3)) as! [String: Any])["grids"] as! [[String: Any]]
        let far = try XCTUnwrap(grids3.first { $0["name"] as! String == "bumps" })
        let a3 = try file("a3.npy", NPY.encode(ThreeDimensionalTests.bumps(far["a"] as! [String: Any], 16), shape: [16, 16, 16]))
        let b3 = try file("b3.npy", NPY.encode(ThreeDimensionalTests.bumps(far["b"] as! [String: Any], 16), shape: [16, 16, 16]))
        let exact3 = try runHomogen(["w2", "--grid", "--exact", a3, b3, "--quiet"])
        XCTAssertEqual(exact3.status, 0, exact3.stderr)
        XCTAssertEqual(try XCTUnwrap(value(exact3)), far["w2"] as! Double, accuracy: 1e-9)
        let url2 = repositoryRoot.appendingPathComponent("Tests/Data/pot_grid_reference.json")
        let grids2 = (try JSONSerialization.jsonObject(with: Data(contentsOf: url2)) as! [String: Any])["grids"] as! [[String: Any]]
        for g in grids2.prefix(3) {
            let n = g["n"] as! Int
            func density(_ spec: [String: Any]) -> [Double] {
                let floor = spec["floor"] as! Double, bumps = spec["bumps"] as! [[Double]]
                return (0..<(n * n)).map { c in
                    let x = [(Double(c / n) + 0.5) / Double(n), (Double(c % n) + 0.5) / Double(n)]
                    return bumps.reduce(floor) { v, b in
                        var r2 = 0.0
                        for a in 0..<2 { var d = abs(x[a] - b[a]); d = min(d, 1 - d); r2 += d * d }
                        return v + b[3] * exp(-r2 / (2 * b[2] * b[2]))
                    }
                }
            }
            let a = try file("a2.npy", NPY.encode(density(g["a"] as! [String: Any]), shape: [n, n]))
            let b = try file("b2.npy", NPY.encode(density(g["b"] as! [String: Any]), shape: [n, n]))
            let r = try runHomogen(["w2", "--grid", "--exact", a, b])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try XCTUnwrap(value(r)), g["w2"] as! Double, accuracy: 1e-9, g["name"] as! String)
        }
        let points = try runHomogen(["w2", "--exact", a3, b3])
        XCTAssertEqual(points.status, 64)
        XCTAssertTrue(points.stderr.contains("--exact applies to --grid"), points.stderr)
    }

    /// A version 1.0 .npy file of three float64 values whose header announces `shape`.
    static func craftedNPY(shape: String) -> Data {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(NPY.encode([1, 2, 3], shape: [3]).suffix(24))
        return data
    }

    /// Line ends LF, CRLF and a lone CR (old Mac files) read the same points: `0.1\r0.2\r` was
    /// one 2D point, so W2 between the same points in another order was 0.1414, not 0. A UTF-8
    /// byte order mark is skipped (it was read as part of the first number).
    func testTextPointsWithAnyLineEnds() throws {
        let reference = try file("lf.txt", Data("0.1\n0.2\n0.7\n".utf8))
        for (name, text) in [("cr.txt", "0.7\r0.1\r0.2\r"), ("crlf.txt", "0.7\r\n0.1\r\n0.2\r\n"), ("mixed.txt", "0.7\r0.1\r\n0.2\n"),
                             ("bom.txt", "\u{FEFF}0.7\n0.1\n0.2\n")] {
            let r = try runHomogen(["w2", reference, try file(name, Data(text.utf8))])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(try XCTUnwrap(value(r)), 0, accuracy: 1e-12, name)
        }
    }

    func testBadInputsGiveClearErrors() throws {
        let grid = try file("g.npy", NPY.encode([Double](repeating: 1, count: 16), shape: [4, 4]))
        let cases: [([String], String)] = [
            (["--grid", grid, try file("h.npy", NPY.encode([Double](repeating: 1, count: 25), shape: [5, 5]))], "shape"),
            (["--grid", grid, try file("neg.npy", NPY.encode([1, 1, -2, 1] + [Double](repeating: 1, count: 12), shape: [4, 4]))],
             "cell 2"),
            (["--grid", try file("nan.npy", NPY.encode([.nan] + [Double](repeating: 1, count: 15), shape: [4, 4])), grid], "cell 0"),
            (["--grid", grid, try file("zero.npy", NPY.encode([Double](repeating: 0, count: 16), shape: [4, 4]))], "zero total mass"),
            // Density CSV rows out of order (1D and 2D, the first rows in place), and non-uniform cells.
            (["--grid", try file("swapped1.csv", Data(Self.swappingRows(2, 3, SolveRunFolder.densityCSV(
                (0..<8).map { 1 + Double($0) }, cells: 8, dimension: .one)).utf8)), grid], "line 4: cells are not in the order"),
            (["--grid", try file("swapped2.csv", Data(Self.swappingRows(5, 9, SolveRunFolder.densityCSV(
                (0..<16).map { 1 + Double($0) }, cells: 4, dimension: .two)).utf8)), grid], "line 7: cells are not in the order"),
            (["--grid", try file("uneven.csv", Data("x_lo,x_hi,density\n0,0.5,1\n0.5,0.75,1\n0.75,0.875,1\n0.875,1,1\n".utf8)), grid],
             "line 2: cells are not in the order homogen writes (x1 slowest, 4 uniform cells"),
            ([try file("ragged.txt", Data("0.1 0.2\n0.3 0.4\n0.5\n".utf8)), grid], "line 3"),
            ([try file("word.txt", Data("0.1\n0.2\nabc\n".utf8)), grid], "'abc'"),
            ([try file("p3.npy", NPY.encode([Double](repeating: 0.5, count: 9), shape: [3, 3])), grid], "(N, 2)"),
            ([try file("trunc.npy", NPY.encode([1, 2, 3, 4], shape: [4]).dropLast(8)), grid], "truncated"),
            // Crafted shapes (a review's: each trapped, exit 132): negative, beyond the file, overflowing.
            ([try file("negative.npy", Self.craftedNPY(shape: "(-3,)")), grid], "'-3' that is not a size"),
            ([try file("huge.npy", Self.craftedNPY(shape: "(9223372036854775807,)")), grid], "holds more values than any file can"),
            ([try file("overflow.npy", Self.craftedNPY(shape: "(4294967296, 4294967296)")), grid], "holds more values than any file can"),
            ([try file("bigint.npy", Self.craftedNPY(shape: "(99999999999999999999999,)")), grid], "not a size"),
            (["--grid", try file("negative-grid.npy", Self.craftedNPY(shape: "(-3,)")), grid], "'-3' that is not a size"),
            ([try file("magic.npy", Data([0x93] + Array("NUMPY".utf8))), grid], "truncated .npy header"),
            (["--grid", try file("twice.csv", Data("x_lo,x_hi,density,density\n0,0.5,1,1\n0.5,1,1,1\n".utf8)), grid],
             "names the column 'density' twice"),
        ]
        // Too large for the exact solver: the message names the flags to use instead.
        let many = String(repeating: "0.25 0.5\n", count: 6001)
        let big = try file("big.txt", Data(many.utf8))
        // Bad files are bad data (65); too many points for the exact solver is a command-line
        // matter (64: choose --entropic).
        for (args, expected) in cases {
            let r = try runHomogen(["w2"] + args)
            XCTAssertEqual(r.status, 65, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
        let circle = try file("c.npy", NPY.encode([0.1, 0.5, 0.7], shape: [3]))
        for (args, expected) in [([big, big], "--entropic"), ([circle, circle, "--entropic"], "--entropic applies to 2D points only"),
                                 (["--metric", "-1", circle, circle], "metric")] {
            let r = try runHomogen(["w2"] + args)
            XCTAssertEqual(r.status, 64, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
        }
        // Coordinates outside [0, 1) are points of the torus, read modulo 1, and said so; --torus
        // takes three columns (the 3D torus).
        let shifted = try file("s.npy", NPY.encode([1.1, -0.5, 0.7], shape: [3]))
        let wrapped = try runHomogen(["w2", shifted, try file("w.npy", NPY.encode([0.1, 0.5, 0.7], shape: [3]))])
        XCTAssertEqual(wrapped.status, 0, wrapped.stderr)
        XCTAssertEqual(value(wrapped)!, 0, accuracy: 1e-12)
        XCTAssertTrue(wrapped.stderr.contains("2 coordinate(s) outside [0, 1) are read modulo 1"), wrapped.stderr)
        let cube = try file("t3.npy", NPY.encode([0.1, 0.2, 0.3, 0.6, 0.7, 0.8], shape: [2, 3]))
        let torus3 = try runHomogen(["w2", "--torus", cube, cube])
        XCTAssertEqual(torus3.status, 0, torus3.stderr)
        XCTAssertEqual(value(torus3)!, 0, accuracy: 1e-12)
    }

    /// `--entropic` on two nearby point sets, W2 far below the blur √ε: the Sinkhorn divergence
    /// can be biased low there (a review measured 56 %), and the command says so and names the
    /// exact solver, which these sizes fit.
    func testEntropicEstimateNearItsBlurIsFlagged() throws {
        let xs = (0..<200).flatMap { k in [Double(k) * 0.618034, Double(k) * 0.414214].map { $0 - $0.rounded(.down) } }
        let ys = xs.enumerated().map { i, x in (x + 0.002 * sin(Double(i))) - (x + 0.002 * sin(Double(i))).rounded(.down) }
        let a = try file("e1.npy", NPY.encode(xs, shape: [200, 2])), b = try file("e2.npy", NPY.encode(ys, shape: [200, 2]))
        let entropic = try runHomogen(["w2", "--torus", "--entropic", a, b]), exact = try runHomogen(["w2", "--torus", a, b])
        XCTAssertEqual(entropic.status, 0, entropic.stderr)
        XCTAssertLessThan(value(exact)!, 0.1 * 1e-3.squareRoot())
        XCTAssertTrue(entropic.stderr.contains("biased low") && entropic.stderr.contains("fit the exact solver"), entropic.stderr)
        XCTAssertFalse(exact.stderr.contains("biased low"), exact.stderr)
    }

    /// The CSV text with data rows i and j (0-based, after the header) swapped.
    private static func swappingRows(_ i: Int, _ j: Int, _ csv: String) -> String {
        var lines = csv.components(separatedBy: "\n")
        lines.swapAt(i + 1, j + 1)
        return lines.joined(separator: "\n")
    }

    /// A degenerate cell-centre problem that made LEMON's network simplex cycle without end (the
    /// ε-PDE and homogenised densities of a review's 2D laminate at t = 0, on compare's 12 x 12
    /// metric grid: round-off in the potentials left reduced costs of ±1e-17 where they are 0).
    /// With the costs snapped to exact multiples of a power of two it ends, at POT's value (W² to
    /// 1e-15; W itself is 1.3e-5). Run with a time limit, so that a regression fails, not hangs.
    func testDegenerateCellCentreProblemTerminates() throws {
        let data = repositoryRoot.appendingPathComponent("Tests/Data")
        let p = Process()
        p.executableURL = homogenExecutable
        p.arguments = ["w2", "--grid", "--exact", data.appendingPathComponent("degenerate_grid_a.npy").path,
                       data.appendingPathComponent("degenerate_grid_b.npy").path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); return XCTFail("w2 --grid --exact did not end within 60 s") }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0)
        let w = try XCTUnwrap(Double(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        // POT 0.9.x: ot.emd2 on the same cell-centre measures, periodic squared distance.
        let pot = 1.2705099956127442e-05
        XCTAssertEqual(w * w, pot * pot, accuracy: 1e-15)
    }
}
