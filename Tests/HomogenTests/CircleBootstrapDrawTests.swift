import Foundation
@testable import Homogen
import XCTest

/// The circle bootstrap's fast paths give what the plain ones give: the bucketed sorted draw is
/// the plain draw sorted, bit for bit, and the bracket grown from θ = 0 finds the rotation that a
/// scan of the whole of [−1, 1] finds.
final class CircleBootstrapDrawTests: XCTestCase {
    func testSortedDrawIsThePlainDrawSorted() {
        for (m, n) in [(1, 50), (7, 1000), (512, 100_000)] {
            let masses = (0..<m).map { 1 + 0.9 * cos(2 * Double.pi * 3 * Double($0) / Double(m)) + (m > 1 && $0 == 2 ? -0.1 : 0) }
            let table = DiscreteDistribution(weights: masses)
            let seed = BlockSeeds.seed(run: 42, block: UInt64(m))
            let plainRNG = RandomStream(seed: seed)
            let plain = (0..<n).map { _ in (Double(table.draw(plainRNG)) + plainRNG.uniform()) / Double(m) }
            let fast = ParametricBootstrap.sortedDraw(n, cells: m, table, RandomStream(seed: seed))
            XCTAssertEqual(fast, CircleMeasure(samples: plain).xStart, "m = \(m)")
        }
    }

    /// Pairs whose optimal rotation is small, large, and at the end of the search interval: the
    /// minimum found is at most the minimum of g over 4001 equally spaced rotations.
    func testBracketFindsTheGlobalRotation() {
        var g = SplitMix(seed: 5)
        let density = CircleMeasure(cellMasses: (0..<64).map { 1 + 0.8 * cos(2 * Double.pi * Double($0) / 64) })
        var peaked = [Double](repeating: 0.01, count: 100)
        for i in 60..<70 { peaked[i] = 5 }
        let cases: [(CircleMeasure, CircleMeasure)] = [
            (CircleMeasure(samples: (0..<2000).map { _ in g.next(in: 0...1) }), density),
            (CircleMeasure(samples: (0..<500).map { _ in 0.1 + 0.05 * g.next(in: 0...1) }), density),
            (CircleMeasure(samples: (0..<300).map { _ in 0.2 + 0.1 * g.next(in: 0...1) }), CircleMeasure(cellMasses: peaked)),
            (CircleMeasure(cellMasses: peaked), CircleMeasure(samples: (0..<301).map { _ in 0.9 + 0.1 * g.next(in: 0...1) })),
        ]
        for (i, (mu, nu)) in cases.enumerated() {
            let found = CircleWasserstein.distance(mu, nu)
            let scan = (0...4000).map { CircleWasserstein.costAndSlope(mu, nu, shift: -1 + Double($0) / 2000).cost }.min()!
            let best = found.distance * found.distance
            XCTAssertLessThanOrEqual(best, scan + 1e-14, "case \(i)")
        }
    }
}
