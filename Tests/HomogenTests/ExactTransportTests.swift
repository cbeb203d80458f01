import Foundation
import Homogen
import XCTest

/// LEMON's network simplex against POT's `emd2` (values stored by Tests/Data/make_pot_grid_reference.py)
/// for each kind of cost, and its limits.
final class ExactTransportTests: XCTestCase {
    private func reference() throws -> [[String: Any]] {
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_grid_reference.json")
        return (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["simplex"] as! [[String: Any]]
    }

    /// Periodic squared distance and a constant metric ⟨M d, d⟩ with unequal weights (rounded to
    /// 2⁻⁵⁰, an error far below 1e-9), equal weights on unequal sizes (exact integers), and a
    /// general cost matrix: the optimal costs agree with POT to 1e-9.
    func testAgreesWithPOTForEveryCostKind() throws {
        let cases = try reference()
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            let expected = c["cost"] as! Double
            let value: Double
            switch c["kind"] as! String {
            case "matrix":
                value = try ExactTransport.optimalCost(supply: c["wa"] as! [Double], demand: c["wb"] as! [Double],
                                                       cost: c["matrix"] as! [Double])
            case "periodic-equal":
                let w = try ExactTransport.distance(TorusMeasure(points: c["a"] as! [Double], weights: nil),
                                                    TorusMeasure(points: c["b"] as! [Double], weights: nil))
                value = w * w
            default:
                let metric = (c["metric"] as? [Double]) ?? [1, 0, 1]
                let w = try ExactTransport.distance(TorusMeasure(points: c["a"] as! [Double], weights: c["wa"] as? [Double]),
                                                    TorusMeasure(points: c["b"] as! [Double], weights: c["wb"] as? [Double]),
                                                    cost: TorusCost(metric: metric))
                value = w * w
            }
            XCTAssertEqual(value, expected, accuracy: 1e-9, c["kind"] as! String)
        }
    }

    /// A permutation is optimal between a point set and itself moved by a small translation: W2 is
    /// the translation's length (exact), also with a metric: √⟨M v, v⟩.
    func testTranslationAndMetric() throws {
        var g = SplitMix(seed: 17)
        var pts: [Double] = [], moved: [Double] = []
        for _ in 0..<400 {
            let x = 0.3 + 0.2 * g.next(in: 0...1), y = 0.4 + 0.2 * g.next(in: 0...1)
            pts += [x, y]; moved += [x + 0.03, y - 0.02]
        }
        let a = TorusMeasure(points: pts, weights: nil), b = TorusMeasure(points: moved, weights: nil)
        XCTAssertEqual(try ExactTransport.distance(a, b), (0.03 * 0.03 + 0.02 * 0.02).squareRoot(), accuracy: 1e-12)
        let m = [2.0, 0.5, 1.0]
        let quad = m[0] * 0.03 * 0.03 + 2 * m[1] * 0.03 * -0.02 + m[2] * 0.02 * 0.02
        XCTAssertEqual(try ExactTransport.distance(a, b, cost: TorusCost(metric: m)), quad.squareRoot(), accuracy: 1e-12)
    }

    func testBadInputsAreErrors() {
        XCTAssertThrowsError(try ExactTransport.optimalCost(supply: [1, 1], demand: [1], cost: [0, 1, 2]))
        XCTAssertThrowsError(try ExactTransport.optimalCost(supply: [1, -1], demand: [1], cost: [0, 1]))
        XCTAssertThrowsError(try ExactTransport.optimalCost(supply: [0, 0], demand: [1], cost: [0, 1]))
        XCTAssertThrowsError(try ExactTransport.optimalCost(supply: [1], demand: [1], cost: [.nan]))
        let big = TorusMeasure(points: [Double](repeating: 0.5, count: 2 * 7000), weights: nil)
        XCTAssertThrowsError(try ExactTransport.distance(big, big)) { XCTAssertTrue($0 is ExactTransport.TooLarge) }
    }
}
