@testable import Homogen
import XCTest

/// `JumpLocator`: the jumps of floor and mod, and the kinks of abs, min and max, along a variable, to adjacent doubles where the
/// point values show them, certified by interval bounds elsewhere.
final class JumpLocatorTests: XCTestCase {
    private func jumps(_ text: String, at x: Double = 0.3) throws -> JumpLocator.Jumps {
        let graph = ExpressionGraph()
        let node = try graph.lower(ExpressionParser.parse(text), variables: ["x": 0, "y": 1], constants: [:], field: "test")
        return JumpLocator(graph: graph).jumps(of: [node], along: 1, at: [x, 0])
    }

    func testStepsOfFloorAndModAreFoundToAdjacentDoubles() throws {
        let thirds = try jumps("floor(3*y) + sin(2*pi*y)")
        XCTAssertTrue(thirds.certified)
        XCTAssertEqual(thirds.points.count, 2, "\(thirds.points)")
        for (p, e) in zip(thirds.points, [1.0 / 3, 2.0 / 3]) { XCTAssertEqual(p, e, accuracy: 4 * e.ulp) }
        // A layer of width 1e-6 at [0.5, 0.500001), its ends, and the slow variable moving it.
        let layer = try jumps("1 + 9*floor(mod(y - 0.5 + 0.2*x, 1) + 1e-6)", at: 0.25)
        XCTAssertTrue(layer.certified)
        XCTAssertEqual(layer.points.count, 2, "\(layer.points)")
        XCTAssertEqual(layer.points[0], 1 - 1e-6 + 0.5 - 0.05 - 1, accuracy: 1e-15)
        XCTAssertEqual(layer.points[1], 0.45, accuracy: 1e-15)
        // Smooth fields have none; kinks of abs, min and max are found like steps.
        XCTAssertEqual(try jumps("2 + sin(2*pi*y)").points, [])
        let kinks = try jumps("abs(y - 0.5) + max(y, 0.3) + min(sin(2*pi*y), 0.5)")
        XCTAssertTrue(kinks.certified)
        // Each kink to within an ulp or two, and at most a spurious neighbour 2⁻³⁰ beside it.
        let expected = [1.0 / 12, 0.3, 5.0 / 12, 0.5]
        XCTAssertTrue(expected.allSatisfy { e in kinks.points.contains { abs($0 - e) < 1e-15 } }, "\(kinks.points)")
        XCTAssertTrue(kinks.points.allSatisfy { p in expected.contains { abs(p - $0) < 2e-9 } }, "\(kinks.points)")
        XCTAssertEqual(try jumps("abs(x - 0.5) + max(x, 0.3)").points, [], "kinks in x only do not move along y")
        XCTAssertEqual(try jumps("floor(x + 1.5)").points, [], "a step in x only does not move along y")
    }

    /// Idioms that exhausted the bisection's budget (a review): mod(floor(8y), 2) — the quotient
    /// floor(8y)/2 is exactly 1 on [1/4, 3/8), which widening made look like a step — and a
    /// tangential touch, floor(2 + sin), which sin rounds to 1 over 7.5e-9 (16 000 leaves at
    /// 2⁻⁴⁰). Both are now certified with a few dozen points at most.
    func testCommonIdiomsAreCertifiedQuickly() throws {
        let alternating = try jumps("1 + 9*mod(floor(8*y), 2)")
        XCTAssertTrue(alternating.certified)
        // Each k/8 exactly, and at most a spurious neighbour 2⁻³⁰ beside it (harmless: one piece more).
        let eighths = (1...7).map { Double($0) / 8 }
        XCTAssertTrue(eighths.allSatisfy { alternating.points.contains($0) }, "\(alternating.points)")
        XCTAssertTrue(alternating.points.allSatisfy { p in eighths.contains { abs(p - $0) < 1e-8 } }, "\(alternating.points)")
        XCTAssertLessThanOrEqual(alternating.points.count, 14)
        let touch = try jumps("floor(2 + sin(2*pi*(y + 0.1)))")
        XCTAssertTrue(touch.certified)
        // Steps at y = 0.4 and 0.9 (sin crosses 0), two around the touch at 0.15, and leaves near
        // the bottom touch at 0.65 (floor(1) = 1: no step, but the bound dips below 1).
        XCTAssertLessThan(touch.points.count, 64, "\(touch.points.count) points")
        XCTAssertTrue(touch.points.allSatisfy { p in [0.15, 0.4, 0.65, 0.9].contains { abs(p - $0) < 1e-7 } }, "\(touch.points)")
    }

    /// A field whose interval bound never shrinks inside an integer part (sin² + cos² = 1, which
    /// round-off puts on either side of 1): the bisection's budget runs out, the rest of [0, 1]
    /// is scanned by point values, and the result says it is not certified.
    func testAnExhaustedBudgetIsReportedUncertified() throws {
        let r = try jumps("floor(sin(2*pi*y)^2 + cos(2*pi*y)^2)")
        XCTAssertFalse(r.certified)
    }
}
