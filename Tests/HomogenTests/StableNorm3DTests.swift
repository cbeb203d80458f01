import Foundation
import XCTest
@testable import Homogen

/// The 3D stable norm (`StableNorm3D`) against what is known exactly: a constant medium's norm
/// √⟨B v, v⟩, and the 2D method on a medium that does not depend on y3.
final class StableNorm3DTests: XCTestCase {
    private func constant(_ b: [Double], options: StableNorm3D.Options = StableNorm3D.Options()) throws -> StableNorm3D {
        try StableNorm3D(options: options, threads: 2) { points, u in
            [Double](repeating: (0..<3).reduce(0.0) { $0 + b[$1] * u[$1] * u[$1] }.squareRoot(), count: points[0].count)
        }
    }

    /// `count` unit vectors spread over the sphere (a Fibonacci lattice).
    private func directions(_ count: Int) -> [[Double]] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<count).map { k in
            let z = 1 - 2 * (Double(k) + 0.5) / Double(count), r = (1 - z * z).squareRoot()
            return [r * cos(golden * Double(k)), r * sin(golden * Double(k)), z]
        }
    }

    /// An isotropic constant medium b: every covector's optimal path runs along the covector, a
    /// stencil offset, so N* is exact; N*² and N² are quadratics on each cube face, which the
    /// biquadratics interpolate exactly. What remains is the discrete maximum of the support
    /// function over the dual sphere sampled at spacing δ = 2/64 in face coordinates: at most
    /// 1 − cos(δ/√2) ≈ 2.4e-4 relative.
    func testAnIsotropicConstantMediumGivesItsEuclideanNorm() throws {
        let g = try constant([2, 2, 2])
        for (xi, dual) in zip(g.covectors, g.dualNorm) {
            let length = (xi.reduce(0) { $0 + Double($1 * $1) }).squareRoot()
            XCTAssertEqual(dual, length / 2.0.squareRoot(), accuracy: 1e-12 * length, "N*(\(xi))")
        }
        let delta = 2.0 / Double(g.options.boundary)
        let bound = 1 - cos(delta / 2.0.squareRoot())
        for v in directions(200) {
            XCTAssertEqual(g.norm(v) / 2.0.squareRoot(), 1, accuracy: bound, "N(\(v))")
            XCTAssertLessThanOrEqual(g.norm(v), 2.0.squareRoot() * (1 + 1e-12), "the sampled support function is below N")
        }
        XCTAssertEqual(g.norm([0, 0, 0]), 0)
        XCTAssertEqual(g.norm([3, -6, 9]), 3 * g.norm([1, -2, 3]), accuracy: 1e-12)
    }

    /// An anisotropic constant medium diag(1, 2, 4). For a constant metric every edge along an
    /// offset o costs |o/n|_B, so the graph's dual norm is N*_graph(ξ) = max_o ξ·o/|o|_B (its best
    /// single offset), below the exact √⟨B⁻¹ξ, ξ⟩ by the stencil's polygonal error; the minimum
    /// cycle ratio gives N*_graph to round-off. And N(v) is within the largest of those errors
    /// (plus the support function's sampling) of √⟨B v, v⟩.
    func testAnAnisotropicConstantMediumIsWithinItsStencilsErrors() throws {
        let b = [1.0, 2, 4]
        let g = try constant(b)
        let k = g.options.reach
        var offsets: [[Int]] = [[]]
        for _ in 0..<3 { offsets = offsets.flatMap { o in (-k...k).map { o + [$0] } } }
        offsets = offsets.filter { o in o.reduce(0) { a, x in var (p, q) = (abs(a), abs(x)); while q != 0 { (p, q) = (q, p % q) }; return p } == 1 }
        var worst = 0.0
        for (xi, dual) in zip(g.covectors, g.dualNorm) {
            let rates = offsets.map { o in
                Double((0..<3).reduce(0) { $0 + xi[$1] * o[$1] }) / (0..<3).reduce(0.0) { $0 + b[$1] * Double(o[$1] * o[$1]) }.squareRoot()
            }
            let best = rates.max()!
            XCTAssertEqual(dual, best, accuracy: 1e-12 * best, "N*(\(xi)) against the graph's rate")
            let exact = (0..<3).reduce(0.0) { $0 + Double(xi[$1] * xi[$1]) / b[$1] }.squareRoot()
            XCTAssertLessThanOrEqual(best, exact * (1 + 1e-12), "a stencil cannot beat the metric")
            worst = max(worst, abs(dual / exact - 1))
        }
        let sampling = 1 - cos(2.0 / Double(g.options.boundary) / 2.0.squareRoot())
        for v in directions(300) {
            let exact = (v[0] * v[0] + 2 * v[1] * v[1] + 4 * v[2] * v[2]).squareRoot()
            XCTAssertEqual(g.norm(v) / exact, 1, accuracy: worst + 4 * sampling, "N(\(v))")
        }
    }

    /// A medium that does not depend on y3: a cycle using an offset with o3 ≠ 0 is longer than
    /// its in-plane projection, so N* at the covectors (p, q, 0) is the 2D graph's (same nodes and
    /// reach, whose offsets are the 3D ones with o3 = 0 and whose edges have the same quadrature
    /// points), to round-off.
    func testAPlanarMediumAgreesWithTheTwoDimensionalGraph() throws {
        func b(_ y1: Double, _ y2: Double) -> Double { 2 + sin(2 * .pi * y1) * cos(2 * .pi * y2) + 0.5 * cos(2 * .pi * y2) }
        let g3 = try StableNorm3D(threads: 2) { points, u in
            points[0].indices.map { i in (b(points[0][i], points[1][i]) * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2])).squareRoot() }
        }
        let graph = try PeriodicMetricGraph(nodes: g3.options.nodes, reach: g3.options.reach) { y1, y2 in
            y1.indices.map { i in Matrix2.diagonal(b(y1[i], y2[i]), b(y1[i], y2[i])) }
        }
        let solver = MinimumCycleRatio(graph)
        var compared = 0, policy: [Int32] = []
        for (xi, dual) in zip(g3.covectors, g3.dualNorm) where xi[2] == 0 {
            let planar = 1 / (try solver.minimum([Double(xi[0]), Double(xi[1])], policy: &policy)).ratio
            XCTAssertEqual(planar, dual, accuracy: 1e-12 * dual, "N*(\(xi))")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10)
    }

    /// Through the command line: `effective` prints φ at the 13 lattice directions in 3D, and the
    /// JSON holds them; for a medium B = 2 (isotropic, constant) φ = 2 in every direction.
    func testEffectivePrintsTheGromovHausdorffIntegrandIn3D() throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/separable-3d.toml"), encoding: .utf8)
        let path = temporaryPath("gh3d.toml")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try source.replacingOccurrences(of: #"B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)", "1.5 + 0.5*sin(2*pi*y3)"]"#, with: #"B = "2""#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let run = try runHomogen(["effective", path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = run.stdout
        XCTAssertTrue(text.contains("Gromov-Hausdorff integrand phi(v) = N(v)^2"), text)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("(") }
        XCTAssertEqual(rows.count, 13, text)
        for row in rows {
            let fields = row.split(separator: ")").last!.split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(fields[0], 2, accuracy: 2 * 5e-4, String(row))
        }
        XCTAssertFalse(text.contains("# note: phi exceeds"), text)
        XCTAssertFalse(source.contains(#"B = "2""#))
        // On separable-3d φ(e_k) = (∫√b_k)² exactly (b_k depends on y_k only, the straight path is
        // optimal and a stencil offset, so the graph is exact there): 1.933926, 1.933926 and
        // 1.478716 (midpoint rule below, 4096 points). What remains is the interpolation of
        // steps 3–5; 2.4e-4 is the support function's sampling bound.
        let separable = try runHomogen(["effective", "scenarios/separable-3d.toml"])
        XCTAssertFalse(separable.stdout.contains("# note: phi exceeds"), separable.stdout)
        let axes = separable.stdout.split(separator: "\n").filter { $0.hasPrefix("(1, 0, 0)") || $0.hasPrefix("(0, 1, 0)") || $0.hasPrefix("(0, 0, 1)") }
        XCTAssertEqual(axes.count, 3, separable.stdout)
        let media: [(Double) -> Double] = [{ 2 + sin(2 * .pi * $0) }, { 2 + cos(2 * .pi * $0) }, { 1.5 + 0.5 * sin(2 * .pi * $0) }]
        for (row, b) in zip(axes, media) {
            let root = (0..<4096).reduce(0.0) { $0 + b((Double($1) + 0.5) / 4096).squareRoot() } / 4096
            let phi = row.split(separator: ")").last!.split(separator: " ").compactMap { Double($0) }[0]
            XCTAssertEqual(phi, root * root, accuracy: 2.4e-4 * root * root, String(row))
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(runHomogen(["effective", "--json", path]).stdout.utf8)) as? [String: Any])
        let gh = try XCTUnwrap(json["gh_norm"] as? [String: Any])
        XCTAssertEqual((gh["phi"] as? [Double])?.count, 13)
    }

    /// `compare` in 3D computes W_GH on the metric grid where the medium depends on y only: for an
    /// isotropic constant medium B = 2, φ(v) = 2|v|², so W_GH = √2 W2 on the same grid (to the
    /// support function's sampling error, 2.4e-4).
    func testCompareIn3DGivesWGHOnTheMetricGrid() throws {
        let text = """
            name = "gh-3d"
            description = "test"
            dimension = 3
            epsilon = "1/2"
            [medium]
            B = "2"
            [equilibrium]
            pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.3*cos(2*pi*y2))"
            [initial]
            f = "1 + 0.8*cos(2*pi*x1)*cos(2*pi*x3)"
            [time]
            final = 0.01
            outputs = [0.01]
            dt = 1e-4
            [particles]
            count = 4000
            seed = 3
            [grid]
            cells = 4
            """
        var o = Comparison.Options()
        o.threads = 2
        o.checkTimeStep = false
        let r = try Comparison(scenario: Scenario(toml: text), options: o).run()
        for row in r.rows {
            let grid = try XCTUnwrap(row.metricGrid, "the metric grid block")
            let gh = try XCTUnwrap(grid.wGH, "W_GH in 3D")
            XCTAssertGreaterThan(grid.w2, 0)
            XCTAssertEqual(gh / grid.w2, 2.0.squareRoot(), accuracy: 2.0.squareRoot() * 2.5e-4)
            XCTAssertNotNil(grid.wBar, "W-bar on the same grid (constant B-bar, its quadratic form)")
        }
    }
}
