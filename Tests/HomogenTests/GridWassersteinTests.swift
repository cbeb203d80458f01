import Foundation
import Homogen
import XCTest

/// The back-and-forth grid W2 against POT's exact values on small grids, the exact 1D reduction,
/// symmetries and bad inputs.
final class GridWassersteinTests: XCTestCase {
    /// The densities of make_pot_grid_reference.py: a floor plus periodic Gaussian bumps at cell centres.
    static func density(_ spec: [String: Any], _ n: Int) -> [Double] {
        let floor = spec["floor"] as! Double, bumps = spec["bumps"] as! [[Double]]
        var f = [Double](repeating: floor, count: n * n)
        for i in 0..<n { for j in 0..<n {
            let x1 = (Double(i) + 0.5) / Double(n), x2 = (Double(j) + 0.5) / Double(n)
            for b in bumps {
                var d1 = abs(x1 - b[0]); d1 = min(d1, 1 - d1)
                var d2 = abs(x2 - b[1]); d2 = min(d2, 1 - d2)
                f[i * n + j] += b[3] * exp(-(d1 * d1 + d2 * d2) / (2 * b[2] * b[2]))
            }
        } }
        return f
    }

    /// Within 1% of POT's exact emd2 between the cell-centre measures on the stored 64 × 64 cases
    /// (the issue's goal): bumps, a shifted copy, a uniform floor, mass across the seam. (On 32 × 32
    /// the cell-centre problem itself is O(h) away from W2 between the densities: see
    /// `testShiftedCopyConverges`.)
    func testWithinOnePercentOfPOT() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Data/pot_grid_reference.json")
        let grids = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any])["grids"] as! [[String: Any]]
        XCTAssertEqual(grids.count, 9)
        for c in grids where c["n"] as! Int == 64 {
            let n = c["n"] as! Int
            let r = try GridWasserstein.distance(Self.density(c["a"] as! [String: Any], n), Self.density(c["b"] as! [String: Any], n),
                                                 n1: n, n2: n)
            let expected = c["w2"] as! Double
            XCTAssertEqual(r.distance, expected, accuracy: 0.01 * expected, "\(c["name"]!) \(n)")
            XCTAssertTrue(r.marginalError.isFinite && r.iterations > 0)
        }
    }

    /// A bump and its copy translated by v = (0.15, −0.1): the translation is optimal, W2 = |v|
    /// exactly for the densities. The grid value approaches it as the grid is refined (within 1%
    /// on 32 × 32 and closer on 64 × 64), while the cell-centre value (POT: 0.181089 on 32 × 32) stays
    /// O(h) above it.
    func testShiftedCopyConverges() throws {
        let exact = (0.15 * 0.15 + 0.1 * 0.1).squareRoot()
        var errors: [Double] = []
        for n in [32, 64] {
            let a = Self.density(["floor": 0.0, "bumps": [[0.3, 0.3, 0.07, 1.0]]], n)
            let b = Self.density(["floor": 0.0, "bumps": [[0.45, 0.2, 0.07, 1.0]]], n)
            errors.append(abs(try GridWasserstein.distance(a, b, n1: n, n2: n).distance - exact))
        }
        XCTAssertLessThan(errors[0], 0.01 * exact)
        XCTAssertLessThan(errors[1], errors[0])
    }

    /// Densities of x1 alone: W2 on the torus is the exact W2 on the circle between the x1
    /// profiles (piecewise constant), computed by `CircleWasserstein`. Within 1% at 256 × 256, and
    /// for a small displacement (below a cell) at 128 × 128, where the refined c-transform matters.
    func testReducesToTheExactCircleValue() throws {
        for (n, fa, fb) in [
            (256, { (x: Double) in 1 + 0.8 * cos(2 * .pi * x) }, { (x: Double) in 0.2 + exp(-(x - 0.3) * (x - 0.3) / 0.005) }),
            (128, { (x: Double) in (1 + 0.5 * cos(2 * .pi * x)) * (1 + 0.1 * cos(2 * .pi * 4 * x)) },
             { (x: Double) in 1 + 0.5 * cos(2 * .pi * x) }),
        ] {
            let a = (0..<n).map { fa((Double($0) + 0.5) / Double(n)) }, b = (0..<n).map { fb((Double($0) + 0.5) / Double(n)) }
            let exact = CircleWasserstein.distance(CircleMeasure(cellMasses: a), CircleMeasure(cellMasses: b)).distance
            let grid = { (v: [Double]) in v.flatMap { [Double](repeating: $0, count: n) } }
            let r = try GridWasserstein.distance(grid(a), grid(b), n1: n, n2: n)
            XCTAssertEqual(r.distance, exact, accuracy: 0.01 * exact, "n = \(n)")
            // The same along x2.
            let t = { (v: [Double]) in (0..<(n * n)).map { v[$0 % n] } }
            XCTAssertEqual(try GridWasserstein.distance(t(a), t(b), n1: n, n2: n).distance, exact, accuracy: 0.01 * exact)
        }
    }

    /// Translating both densities by whole cells and reflecting both are symmetries of the
    /// discretisation (periodic FFT, centred differences, symmetric splatting): equal to rounding.
    /// Swapping the arguments runs a different iteration: equal within the 1% accuracy of each.
    func testInvariances() throws {
        let n = 32
        let a = Self.density(["floor": 0.1, "bumps": [[0.3, 0.4, 0.08, 1.0]]], n)
        let b = Self.density(["floor": 0.1, "bumps": [[0.6, 0.75, 0.06, 1.0], [0.1, 0.2, 0.05, 0.5]]], n)
        let base = try GridWasserstein.distance(a, b, n1: n, n2: n).distance
        func moved(_ v: [Double], _ f: (Int, Int) -> (Int, Int)) -> [Double] {
            var out = v
            for i in 0..<n { for j in 0..<n { let (p, q) = f(i, j); out[p * n + q] = v[i * n + j] } }
            return out
        }
        let shift = { (i: Int, j: Int) in ((i + 7) % n, (j + 19) % n) }
        XCTAssertEqual(try GridWasserstein.distance(moved(a, shift), moved(b, shift), n1: n, n2: n).distance, base, accuracy: 1e-9 * base)
        let reflect = { (i: Int, j: Int) in (n - 1 - i, j) }
        XCTAssertEqual(try GridWasserstein.distance(moved(a, reflect), moved(b, reflect), n1: n, n2: n).distance, base,
                       accuracy: 1e-6 * base)
        XCTAssertEqual(try GridWasserstein.distance(b, a, n1: n, n2: n).distance, base, accuracy: 0.02 * base)
    }

    /// Equal densities (up to normalisation) are at distance zero, reported as converged.
    /// Nearly equal densities on a coarse grid: a = 1 + 0.5 cos 2πx1 against a (1 + δ cos 2πx2),
    /// δ = 0.003, at cell centres. To first order in δ, W2 = ‖ν − μ‖_{Ḣ⁻¹(μ)} ≈ δ/(2√2 π) =
    /// 3.376e-4 (the 64² grid gives 3.365e-4). The first steps undershoot the trivial bound
    /// J(0) = 0, and the stall test used to stop there with W2 = 0 on 8² and 16²; now the
    /// iteration runs on, and the grid error falls about fourfold per halving (−29 %, −8 %, −1 %
    /// at 8², 16², 32²): within 10 % at 16², 2 % at 32².
    func testNearlyEqualDensitiesOnACoarseGrid() throws {
        let delta = 0.003, linearised = delta / (2 * 2.0.squareRoot() * Double.pi)
        for (n, tolerance) in [(16, 0.10), (32, 0.02)] {
            var a = [Double](), b = [Double]()
            for i in 0..<n {
                for j in 0..<n {
                    let x1 = (Double(i) + 0.5) / Double(n), x2 = (Double(j) + 0.5) / Double(n)
                    let base = 1 + 0.5 * cos(2 * Double.pi * x1)
                    a.append(base)
                    b.append(base * (1 + delta * cos(2 * Double.pi * x2)))
                }
            }
            let r = try GridWasserstein.distance(a, b, n1: n, n2: n)
            XCTAssertEqual(r.distance, linearised, accuracy: tolerance * linearised, "n = \(n)")
        }
    }

    /// Axes shorter than `minimumAxis` are refined first: on 3 × 3 (and 2 × 2) the centred
    /// differences of the potentials see no displacement (2 cells) or a distorted one (3), and a
    /// pair of 3³ histograms gave W2 = 0. The distance is that of the same piecewise-constant
    /// densities on a grid refined 16 times, within the refined grid's own error (measured 11 % at
    /// 9 cells against 48 on 3³ histograms; allowed 15 %).
    func testShortAxesAreRefined() throws {
        let a = [0.9, 1.3, 0.7, 1.1, 1.0, 0.8, 1.2, 0.95, 1.05], b = [1.0, 1.0, 1.1, 0.9, 1.2, 0.9, 1.0, 0.85, 1.05]
        let coarse = try GridWasserstein.distance(a, b, n1: 3, n2: 3)
        let fine = try GridWasserstein.distance(GridWasserstein.refined(a, shape: [3, 3], factor: 16),
                                                GridWasserstein.refined(b, shape: [3, 3], factor: 16), n1: 48, n2: 48)
        XCTAssertGreaterThan(fine.distance, 0.01)
        XCTAssertEqual(coarse.distance, fine.distance, accuracy: 0.15 * fine.distance)
        // 2 × 2, densities of x2 alone: the exact circle value of the two step densities.
        let pair = try GridWasserstein.distance([1, 2, 1, 2], [2, 1, 2, 1], n1: 2, n2: 2)
        let circle = CircleWasserstein.distance(CircleMeasure(cellMasses: [1.0 / 3, 2.0 / 3]),
                                                CircleMeasure(cellMasses: [2.0 / 3, 1.0 / 3])).distance
        XCTAssertEqual(pair.distance, circle, accuracy: 0.15 * circle)
    }

    /// Densities that differ by less than the method resolves. (a) By round-off (1e-13), as the
    /// same initial density projected twice: Peyre's bound W2 ≤ 2‖μ − ν‖_{Ḣ⁻¹}/√(min μ) is below
    /// 1e-9, and it is returned at once, in 2D and 3D. (b) By a mode of amplitude a = 1e-7 against
    /// the uniform density: the iterates never pass J(0) = 0 (the push-forward's deposit error is
    /// far above the difference), the iteration stops after 100 iterations, and the value is the
    /// bound — for μ = 1 exactly 2‖ν − μ‖_{Ḣ⁻¹} = 2 · a/(2π√2) up to the discrete Laplacian's
    /// symbol (0.6 % above the continuous one for the first mode on 16 cells), above the true
    /// W2 = a/(2π√2) to first order.
    func testDifferencesBelowTheResolutionReturnTheirBound() throws {
        for shape in [[32, 32], [16, 16, 16]] {
            let count = shape.reduce(1, *)
            let a = (0..<count).map { 1 + 0.4 * cos(2 * Double.pi * (Double($0 % shape.last!) + 0.5) / Double(shape.last!)) }
            let b = a.enumerated().map { $1 * (1 + 1e-13 * sin(Double($0))) }
            let r = try GridWasserstein.distance(a, b, shape: shape)
            XCTAssertEqual(r.iterations, 0, "\(shape)")
            XCTAssertTrue(r.belowResolution && r.converged)
            XCTAssertLessThan(r.distance, 1e-9)
            XCTAssertGreaterThan(r.distance, 0)
        }
        let n = 16, amplitude = 1e-7
        let uniform = [Double](repeating: 1, count: n * n * n)
        let wave = (0..<(n * n * n)).map { 1 + amplitude * cos(2 * Double.pi * (Double($0 / (n * n)) + 0.5) / Double(n)) }
        let r = try GridWasserstein.distance(uniform, wave, shape: [n, n, n])
        let linearised = amplitude / (2 * Double.pi * 2.0.squareRoot())
        XCTAssertTrue(r.belowResolution)
        XCTAssertFalse(r.converged)
        XCTAssertEqual(r.iterations, GridWasserstein.unresolvedIterations)
        XCTAssertGreaterThan(r.distance, 2 * linearised)
        XCTAssertLessThan(r.distance, 2 * linearised * 1.01)
    }

    /// Densities that vanish on a row of cells and differ by 0.1 % (a review's case): Peyre's
    /// bound needs a positive density, and where neither is, 0 was printed as "the upper bound".
    /// The densities vary along x1 only, so their W2 is the circle's between the piecewise-
    /// constant profiles (exact, `Transport.distance`): the value returned is never below it.
    func testDensitiesWithEmptyCellsKeepAValidBound() throws {
        let n = 16
        func centre(_ k: Int) -> Double { 2 * Double.pi * (Double(k) + 0.5) / Double(n) }
        let profile: [Double] = (0..<n).map { k in k == 5 ? 0 : 1 + 0.3 * cos(centre(k)) }
        let other: [Double] = (0..<n).map { k in profile[k] * (1 + 1e-3 * sin(centre(k))) }
        let exact = try Transport.distance(.circleCells(try GridWasserstein.normalised(profile, which: 0)),
                                           .circleCells(try GridWasserstein.normalised(other, which: 1))).distance
        for shape in [[n, n], [n, n, n]] {
            let rest = shape.dropFirst().reduce(1, *)
            let a: [Double] = (0..<(n * rest)).map { k in profile[k / rest] }
            let b: [Double] = (0..<(n * rest)).map { k in other[k / rest] }
            let r = try GridWasserstein.distance(a, b, shape: shape)
            if r.belowResolution {
                XCTAssertGreaterThanOrEqual(r.distance, exact, "\(shape)")
                // The coupling bound: √(TV · d/4).
                let sa = a.reduce(0, +), sb = b.reduce(0, +)
                var tv = 0.0
                for k in a.indices { tv += 0.5 * abs(a[k] / sa - b[k] / sb) }
                XCTAssertLessThanOrEqual(r.distance, (tv * Double(shape.count) / 4).squareRoot() * (1 + 1e-12), "\(shape)")
            } else {
                XCTAssertEqual(r.distance, exact, accuracy: 0.1 * exact, "\(shape)")
            }
        }
    }

    func testEqualDensitiesAreAtZero() throws {
        let a = Self.density(["floor": 0.2, "bumps": [[0.3, 0.4, 0.08, 1.0]]], 16)
        let r = try GridWasserstein.distance(a, a.map { 3 * $0 }, n1: 16, n2: 16)
        // The normalised masses differ by round-off: Peyre's bound on their distance.
        XCTAssertLessThan(r.distance, 1e-15)
        XCTAssertTrue(r.converged)
        XCTAssertEqual(try GridWasserstein.distance(a, a, n1: 16, n2: 16).distance, 0)
    }

    func testBadInputsAreClearErrors() {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        let ok = [Double](repeating: 1, count: 16)
        XCTAssertTrue(message { try GridWasserstein.distance(ok, [Double](repeating: 1, count: 15), n1: 4, n2: 4) }.contains("4 × 4"))
        var negative = ok; negative[5] = -1
        XCTAssertTrue(message { try GridWasserstein.distance(ok, negative, n1: 4, n2: 4) }.contains("cell 5"))
        var nan = ok; nan[3] = .nan
        XCTAssertTrue(message { try GridWasserstein.distance(nan, ok, n1: 4, n2: 4) }.contains("first density: cell 3"))
        XCTAssertTrue(message { try GridWasserstein.distance(ok, [Double](repeating: 0, count: 16), n1: 4, n2: 4) }.contains("zero total mass"))
        // Round-off negatives (a solver's CSV had −2.8e-14 beside masses of 1e-2) count as 0.
        var roundOff = ok; roundOff[5] = -1e-14
        XCTAssertEqual(try GridWasserstein.distance(ok, roundOff, n1: 4, n2: 4).distance,
                       try GridWasserstein.distance(ok, { var z = ok; z[5] = 0; return z }(), n1: 4, n2: 4).distance)
        var justBeyond = ok; justBeyond[5] = -2e-10
        XCTAssertTrue(message { try GridWasserstein.distance(ok, justBeyond, n1: 4, n2: 4) }.contains("cell 5"))
        // The bootstrap of `compare` trapped on them (GSL's table takes no negative weight); now
        // it takes them as 0, and refuses a real negative with the cell named.
        let test = SequentialMonteCarlo(maximumDraws: 19)
        let masses = [0.5, -5.6e-14, 0.25, 0.25]
        XCTAssertNoThrow(try ParametricBootstrap.circle(particles: [0.1, 0.6, 0.9], cellMasses: masses, test: test, seed: 1, threads: 1))
        XCTAssertTrue(message { try ParametricBootstrap.circle(particles: [0.1, 0.6], cellMasses: [0.5, -0.1, 0.6], test: test, seed: 1, threads: 1) }
            .contains("cell 1"))
        XCTAssertNoThrow(try ParametricBootstrap.torus(particleCounts: ok, cellMasses: roundOff, cells: 4, particles: 16, test: test, seed: 1, threads: 1))
    }
}
