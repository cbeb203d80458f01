import Foundation
import Homogen
import XCTest

final class TransportTests: XCTestCase {
    private func circleW2(_ a: [Double], _ b: [Double], wa: [Double]? = nil, wb: [Double]? = nil) -> Double {
        CircleWasserstein.distance(CircleMeasure(samples: a, weights: wa), CircleMeasure(samples: b, weights: wb)).distance
    }

    func testDiracMasses() throws {
        for (a, b) in [(0.1, 0.35), (0.05, 0.95), (0.2, 0.7), (0.9, 0.1)] {
            let exact = min(abs(a - b), 1 - abs(a - b))
            XCTAssertEqual(circleW2([a], [b]), exact, accuracy: 1e-12)
            // The general path (weights given) agrees.
            XCTAssertEqual(circleW2([a, a], [b], wa: [0.3, 0.7]), exact, accuracy: 1e-12)
            let torus = try ExactTransport.distance(TorusMeasure(points: [a, b], weights: nil),
                                                    TorusMeasure(points: [b, a], weights: nil))
            XCTAssertEqual(torus, exact * 2.0.squareRoot(), accuracy: 1e-12)
        }
    }

    /// A density supported on [0.1, 0.3) and its copy shifted by 0.15: W2 = 0.15 exactly (the
    /// translation is optimal, no mass needs to go round the circle). Same on the torus.
    func testShiftedCopies() throws {
        var masses = [Double](repeating: 0, count: 100)
        for i in 10..<30 { masses[i] = 1 + sin(Double(i)) * 0.5 }
        var shifted = [Double](repeating: 0, count: 100)
        for i in 10..<30 { shifted[i + 15] = masses[i] }
        let d = CircleWasserstein.distance(CircleMeasure(cellMasses: masses), CircleMeasure(cellMasses: shifted))
        XCTAssertEqual(d.distance, 0.15, accuracy: 1e-12)
        var pts: [Double] = [], moved: [Double] = []
        var g = SplitMix(seed: 3)
        for _ in 0..<60 {
            let x = 0.2 + 0.1 * g.next(in: 0...1), y = 0.3 + 0.1 * g.next(in: 0...1)
            pts += [x, y]; moved += [x + 0.1, y - 0.05]
        }
        let w = try ExactTransport.distance(TorusMeasure(points: pts, weights: nil), TorusMeasure(points: moved, weights: nil))
        XCTAssertEqual(w, (0.01 + 0.0025).squareRoot(), accuracy: 1e-12)
    }

    /// `Transport.distance` dispatches every pairing to its method, and refuses the pairings no
    /// method computes (rather than approximating): measures of two domains, a non-diagonal metric
    /// on the grid, a circle metric on points.
    func testOneSignatureDispatchesAndRefuses() throws {
        let m = (0..<32).map { 1 + 0.5 * cos(2 * Double.pi * Double($0) / 32) }
        let n = (0..<32).map { 1 + 0.5 * sin(2 * Double.pi * Double($0) / 32) }
        let cells = try Transport.distance(.circleCells(m), .circleCells(n)).distance
        let direct = CircleWasserstein.distance(CircleMeasure(cellMasses: m), CircleMeasure(cellMasses: n)).distance
        XCTAssertEqual(cells, direct)
        let flat = CircleMetricChange(cells: 32) { _ in 4 }
        XCTAssertEqual(try Transport.distance(.circleCells(m), .circleCells(n), cost: .circleMetric(flat)).distance, 2 * direct,
                       accuracy: 1e-12)
        let grid = (0..<256).map { 1 + 0.3 * cos(2 * Double.pi * Double($0 % 16) / 16) }
        let shifted = (0..<256).map { 1 + 0.3 * cos(2 * Double.pi * Double($0 % 16 + 3) / 16) }
        let r = try Transport.distance(.grid(grid, shape: [16, 16]), .grid(shifted, shape: [16, 16]))
        XCTAssertNotNil(r.marginalError)
        let scaled = try Transport.distance(.grid(grid, shape: [16, 16]), .grid(shifted, shape: [16, 16]), cost: .metric(.diagonal(1, 4)))
        XCTAssertEqual(scaled.distance, 2 * r.distance, accuracy: 0.02 * r.distance)   // the shift is along x2, weighted by 4
        let points = TorusMeasure(points: [0.1, 0.2, 0.7, 0.4], weights: nil)
        for (a, b, cost) in [(Transport.Measure.circleCells(m), Transport.Measure.points(points), Transport.Cost.flat),
                             (.grid(grid, shape: [16, 16]), .grid(shifted, shape: [16, 16]), .metric(Matrix2(a11: 1, a12: 0.2, a22: 1))),
                             (.points(points), .points(points), .circleMetric(flat)),
                             (.grid(grid, shape: [16, 16]), .grid(Array(grid.prefix(64)), shape: [8, 8]), .flat)] {
            XCTAssertThrowsError(try Transport.distance(a, b, cost: cost)) { XCTAssertTrue($0 is Transport.Unsupported, "\($0)") }
        }
    }

    func testRotationInvariance() {
        var g = SplitMix(seed: 11)
        let a = (0..<300).map { _ in g.next(in: 0...1) }, b = (0..<200).map { _ in pow(g.next(in: 0...1), 2) }
        let base = circleW2(a, b)
        for r in [0.1, 0.37, 0.5, 0.93] {
            XCTAssertEqual(circleW2(a.map { $0 + r }, b.map { $0 + r }), base, accuracy: 1e-12)
        }
        let m = (0..<64).map { 1 + 0.8 * cos(2 * Double.pi * Double($0) / 64) }
        let fromDensity = CircleWasserstein.distance(CircleMeasure(samples: a), CircleMeasure(cellMasses: m)).distance
        let rotated = CircleWasserstein.distance(CircleMeasure(samples: a.map { $0 + 0.25 }),
                                                 CircleMeasure(cellMasses: Array(m[48...] + m[..<48]))).distance
        XCTAssertEqual(fromDensity, rotated, accuracy: 1e-12)
    }

    /// Agreement with POT (`ot.wasserstein_circle`, `ot.emd2` with the periodic cost) on fixed
    /// samples; the reference values were computed once by Tests/Data/make_pot_reference.py.
    func testAgreesWithPOT() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_reference.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let a = c["a"] as! [Double], b = c["b"] as! [Double], expected = c["w2"] as! Double
            if c["kind"] as! String == "circle" {
                XCTAssertEqual(circleW2(a, b, wa: c["wa"] as? [Double], wb: c["wb"] as? [Double]), expected, accuracy: 1e-9)
            } else {
                let cost = TorusCost(metric: (c["metric"] as? [Double]) ?? [1, 0, 1])
                let w = try ExactTransport.distance(TorusMeasure(points: a, weights: nil), TorusMeasure(points: b, weights: nil), cost: cost)
                XCTAssertEqual(w, expected, accuracy: 1e-9)
            }
        }
    }

    /// The Sinkhorn divergence approaches the exact W2 as the regularisation shrinks; at the
    /// default ε = 1e-3 the gap on this case is below 3%.
    func testSinkhornDivergenceGap() throws {
        var g = SplitMix(seed: 5)
        let a = TorusMeasure(points: (0..<160).map { _ in g.next(in: 0...1) }, weights: nil)
        let b = TorusMeasure(points: (0..<120).map { _ in pow(g.next(in: 0...1), 2) }, weights: nil)
        let exact = try ExactTransport.distance(a, b)
        let gaps = try [4e-3, 2e-3, 1e-3].map { abs(try SinkhornDivergence.estimate(a, b, regularisation: $0).distance - exact) }
        XCTAssertLessThan(gaps[1], gaps[0])
        XCTAssertLessThan(gaps[2], gaps[1])
        XCTAssertLessThan(gaps[2], 0.03 * exact)
    }

    /// The effective metrics in 1D: W̄ = √B̄ W2 and W_GH = √C̄ W2, so W_GH < W̄ unless π ∝ √B.
    func testEffectiveMetricsOrder() throws {
        for (file, strict) in [("scenarios/bench-1d.toml", true), ("scenarios/gh-equality-1d.toml", false)] {
            let e = try EffectiveCoefficients.compute(try Scenario.load(path: repositoryRoot.appendingPathComponent(file).path))
            let w2 = 0.01
            let wBar = e.bBar[0][0].squareRoot() * w2, wGH = e.cGH![0].squareRoot() * w2
            if strict { XCTAssertLessThan(wGH, wBar * (1 - 1e-3)) } else { XCTAssertEqual(wGH, wBar, accuracy: 1e-14) }
        }
    }

    func testW2CommandAgreesWithPOTAndRejectsBadFiles() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_reference.json")
        let cases = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["cases"] as! [[String: Any]]
        let a = temporaryPath("a.txt"), b = temporaryPath("b.txt")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        for (index, dims) in [(0, 1), (3, 2)] {
            let c = cases[index]
            func text(_ v: [Double]) -> String {
                dims == 1 ? v.map { "\($0)" }.joined(separator: "\n")
                    : stride(from: 0, to: v.count, by: 2).map { "\(v[$0]) \(v[$0 + 1])" }.joined(separator: "\n")
            }
            try text(c["a"] as! [Double]).write(toFile: a, atomically: true, encoding: .utf8)
            try text(c["b"] as! [Double]).write(toFile: b, atomically: true, encoding: .utf8)
            let r = try runHomogen(["w2", a, b])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(Double(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!, c["w2"] as! Double, accuracy: 1e-9)
        }
        try "0.1\n0.2 0.3\n".write(toFile: a, atomically: true, encoding: .utf8)
        let bad = try runHomogen(["w2", a, b])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("line 2"), bad.stderr)
    }
}
