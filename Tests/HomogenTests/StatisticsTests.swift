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

    /// Under the null (particles drawn exactly from the density) the chi-square p-values are
    /// uniform (Kolmogorov–Smirnov over 200 seeds does not reject at 1%) and the sequential
    /// bootstrap p-values are valid: P(p ≤ u) stays within 3 binomial standard errors of u (above)
    /// and 4 (below) at u = 0.05, 0.1, 0.25, 0.5. Against the density rotated by an eighth of the
    /// circle, the bootstrap reaches its smallest p-value, 1/100.
    func testPValuesAreValidUnderTheNullAndTheTestHasPower() throws {
        var bootstrap: [Double] = [], chi2: [Double] = []
        let test = SequentialMonteCarlo(maximumDraws: 99)
        for k in 0..<200 {
            let x = draw(500, seed: UInt64(1000 + k))
            bootstrap.append(try ParametricBootstrap.circle(particles: x, cellMasses: masses, test: test, seed: UInt64(k)).pValue)
            var counts = [Double](repeating: 0, count: cells)
            for v in x { counts[min(cells - 1, Int(v * Double(cells)))] += 1 }
            chi2.append(ChiSquareTest(counts: counts, probabilities: masses).pValue)
        }
        XCTAssertGreaterThan(KolmogorovSmirnovTest(uniformSample: chi2).pValue, 0.01)
        for u in [0.05, 0.1, 0.25, 0.5] {
            let fraction = Double(bootstrap.filter { $0 <= u }.count) / 200
            let se = (u * (1 - u) / 200).squareRoot()
            XCTAssertLessThanOrEqual(fraction, u + 3 * se, "u = \(u)")
            XCTAssertGreaterThanOrEqual(fraction, u - 4 * se, "u = \(u)")
        }
        for k in 0..<5 {
            let shifted = draw(500, seed: UInt64(5000 + k), shiftCells: 4)
            let r = try ParametricBootstrap.circle(particles: shifted, cellMasses: masses, test: test, seed: 7)
            XCTAssertEqual(r.pValue, test.smallestPValue)
            XCTAssertEqual(r.drawsToDecision, 99)
        }
    }

    /// Besag–Clifford on synthetic statistics: a null statistic U(0,1) against U(0,1) draws gives
    /// P(p ≤ u) ≈ u (3 standard errors over 2000 trials), and stops after ~h/p draws.
    func testSequentialMonteCarloIsValidAndStopsEarly() throws {
        let test = SequentialMonteCarlo(maximumDraws: 999, exceedances: 10, minimumDraws: 0)
        var p: [Double] = [], draws = 0
        for trial in 0..<2000 {
            let rng = RandomStream(seed: UInt64(10 + trial))
            let observed = rng.uniform()
            let outcome = try test.run(observed: observed, threads: 1) { k in
                RandomStream(seed: BlockSeeds.seed(run: UInt64(trial), block: UInt64(k))).uniform()
            }
            p.append(outcome.pValue)
            draws += outcome.drawsToDecision
        }
        for u in [0.01, 0.05, 0.2, 0.5] {
            let fraction = Double(p.filter { $0 <= u }.count) / 2000
            XCTAssertEqual(fraction, u, accuracy: 3 * (u * (1 - u) / 2000).squareRoot(), "u = \(u)")
        }
        XCTAssertLessThan(Double(draws) / 2000, 100, "the mean number of draws stays far below the maximum")
        XCTAssertEqual(test.smallestPValue, 0.001)
        XCTAssertEqual(SequentialMonteCarlo.draws(forSmallestPValue: 0.01 / 12), 1199)
    }

    func testHolmAdjustsStepDown() {
        // m = 4: sorted 0.01, 0.02, 0.03, 0.5 → 0.04, max(0.04, 0.06), max(0.06, 0.06), 0.5.
        for (a, b) in zip(Holm.adjust([0.03, 0.5, 0.01, 0.02]), [0.06, 0.5, 0.04, 0.06]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        XCTAssertEqual(Holm.adjust([0.9, 0.9]), [1, 1])
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
