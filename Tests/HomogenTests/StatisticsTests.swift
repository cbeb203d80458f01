import Foundation
import Homogen
import XCTest

final class StatisticsTests: XCTestCase {
    private let cells = 32
    private var masses: [Double] { (0..<cells).map { 1 + 0.6 * cos(2 * .pi * (Double($0) + 0.5) / Double(cells)) } }

    /// n exact draws from the cell density (cell by GSL's alias method, then uniform in the cell).
    private func draw(_ n: Int, seed: UInt64, shiftCells: Int = 0) -> [Double] {
        let table = DiscreteDistribution(weights: masses)
        let rng = RandomStream(seed: seed)
        return (0..<n).map { _ in (Double(table.draw(rng) + shiftCells) + rng.uniform()) / Double(cells) }
    }

    /// Under the null (particles drawn exactly from the density) the bootstrap and chi-square
    /// p-values are uniform: Kolmogorov–Smirnov over 200 seeds does not reject at 1%.
    /// Against the density rotated by an eighth of the circle, the test rejects at 5%.
    func testPValuesAreUniformUnderTheNullAndTheTestHasPower() {
        var bootstrap: [Double] = [], chi2: [Double] = []
        for k in 0..<200 {
            let x = draw(500, seed: UInt64(1000 + k))
            bootstrap.append(ParametricBootstrap.circle(particles: x, cellMasses: masses, repetitions: 99, seed: UInt64(k)).pValue)
            var counts = [Double](repeating: 0, count: cells)
            for v in x { counts[min(cells - 1, Int(v * Double(cells)))] += 1 }
            chi2.append(ChiSquareTest(counts: counts, probabilities: masses).pValue)
        }
        // Bootstrap p-values live on {1/100, …, 1}: spread each uniformly over its bin of width 1/100
        // (deterministically, by its index) so that the continuous KS test applies.
        let spread = bootstrap.enumerated().map { $1 - Double($0 % 100 + 1) / 10_000 }
        XCTAssertGreaterThan(KolmogorovSmirnovTest(uniformSample: spread).pValue, 0.01)
        XCTAssertGreaterThan(KolmogorovSmirnovTest(uniformSample: chi2).pValue, 0.01)
        for k in 0..<5 {
            let shifted = draw(500, seed: UInt64(5000 + k), shiftCells: 4)
            XCTAssertLessThan(ParametricBootstrap.circle(particles: shifted, cellMasses: masses, repetitions: 99, seed: 7).pValue, 0.05)
        }
    }

    func testKolmogorovSmirnovAgainstKnownValues() {
        // D of {0.1, 0.5, 0.9} against U(0, 1): max(1/3 − 0.1, 0.9 − 2/3, …) = 0.2333…
        let t = KolmogorovSmirnovTest(uniformSample: [0.9, 0.1, 0.5])
        XCTAssertEqual(t.statistic, 1.0 / 3 - 0.1, accuracy: 1e-15)
        // A sample far from uniform is rejected.
        XCTAssertLessThan(KolmogorovSmirnovTest(uniformSample: (0..<100).map { pow(Double($0) / 100, 3) }).pValue, 1e-6)
        // λ = 1.36 is the classical 5% point of the Kolmogorov distribution.
        // Midpoints shifted by δ have D = 1/(2n) + δ; choose δ so that λ = 1.36: Q(1.36) = 0.0493.
        let n = 10_000.0
        let d = 1.36 / (n.squareRoot() + 0.12 + 0.11 / n.squareRoot())
        let values = (0..<10_000).map { (Double($0) + 0.5) / n + (d - 0.5 / n) }
        let ks = KolmogorovSmirnovTest(uniformSample: values)
        XCTAssertEqual(ks.statistic, d, accuracy: 1e-12)
        XCTAssertEqual(ks.pValue, 0.0493, accuracy: 0.0005)
    }
}
