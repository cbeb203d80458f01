import Foundation
@testable import Homogen
import XCTest

/// The FFT preconditioner of the dissipation solve (2.23): conjugate gradients on a weighted
/// graph Laplacian, preconditioned by the inverse of the same graph with mean weights, reach the
/// Jacobi solution within the conjugate-gradient bound ½√κ ln(2√κ/tol), κ the spread of the
/// weights against their means — whatever the grid, where Jacobi's iterations grow like n.
final class MeanWeightPreconditionerTests: XCTestCase {
    /// Weights c · 4^u, u uniform in [−1, 1] (a fixed LCG): a contrast of 16 about the mean.
    private func randomWeights(_ count: Int, _ c: Double, _ state: inout UInt64) -> [Double] {
        (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53) * 2 - 1
            return c * pow(4, u)
        }
    }

    private func check(_ op: FaceOperator, _ state: inout UInt64) throws -> (preconditioned: Int, jacobi: Int) {
        let n = op.count
        var rhs = randomWeights(n, 1, &state)
        let mean = rhs.reduce(0, +) / Double(n)
        rhs = rhs.map { $0 - mean }
        let tolerance = 1e-11
        let pc = try XCTUnwrap(MeanWeightPreconditioner(op))
        let fast = try ConjugateGradient.solve(op, rhs, tolerance: tolerance, preconditioner: pc)
        let jacobi = try ConjugateGradient.solve(op, rhs, tolerance: tolerance)
        let psiFast = op.dirichletForm(fast.solution, fast.solution), psiJacobi = op.dirichletForm(jacobi.solution, jacobi.solution)
        XCTAssertEqual(psiFast, psiJacobi, accuracy: 1e-9 * psiJacobi)
        // κ: the largest over the smallest ratio of a weight to its kind's mean.
        let kinds = op.weights + (op.diagonalWeights ?? [])
        var lo = Double.infinity, hi = 0.0
        for w in kinds {
            let m = w.reduce(0, +) / Double(w.count)
            for x in w { lo = min(lo, x / m); hi = max(hi, x / m) }
        }
        let kappa = hi / lo
        XCTAssertLessThanOrEqual(Double(fast.iterations), 0.5 * kappa.squareRoot() * log(2 * kappa.squareRoot() / tolerance),
                                 "κ = \(kappa)")
        return (fast.iterations, jacobi.iterations)
    }

    func testIterationsDoNotGrowWithTheGrid() throws {
        var state: UInt64 = 2026
        var counts: [(Int, Int)] = []
        for n in [8, 16, 32] {
            let grid = PeriodicGrid(dimension: .three, n: n)
            let weights = (0..<3).map { a in randomWeights(grid.count, [1.0, 2.0, 0.5][a], &state) }
            counts.append(try check(FaceOperator(grid: grid, weights: weights), &state))
        }
        // Jacobi's iterations grow with n (about 2× per doubling); the preconditioned ones do not.
        XCTAssertGreaterThan(Double(counts[2].1), 1.5 * Double(counts[0].1), "\(counts)")
        XCTAssertLessThan(counts[2].0, counts[2].1 / 2, "\(counts)")
    }

    /// The nine-point operator of a full tensor in 2D: the diagonal edges enter the symbol.
    func testDiagonalEdges() throws {
        var state: UInt64 = 7
        let grid = PeriodicGrid(dimension: .two, n: 64)
        let weights = (0..<2).map { _ in randomWeights(grid.count, 1, &state) }
        let diagonal = (0..<2).map { k in randomWeights(grid.count, k == 0 ? 0.3 : 0.1, &state) }
        _ = try check(FaceOperator(grid: grid, weights: weights, diagonalWeights: diagonal), &state)
    }

    /// In 1D ψ comes from the edge fluxes of the cycle in O(n) (`cycleDissipation`), where
    /// conjugate gradients took O(n²): the same ψ as the Jacobi-preconditioned solve's.
    func testOneDimensionalDissipationIsExact() throws {
        var state: UInt64 = 11
        let grid = PeriodicGrid(dimension: .one, n: 300)
        let op = FaceOperator(grid: grid, weights: [randomWeights(300, 5, &state)])
        let raw = randomWeights(300, 1, &state)
        let rate = raw.map { $0 - raw.reduce(0, +) / 300 }
        let u = try ConjugateGradient.solve(op, rate, tolerance: 1e-13).solution
        let exact = op.dirichletForm(u, u)
        XCTAssertEqual(FokkerPlanckSolver.cycleDissipation(weights: op.weights[0], rate: rate), exact, accuracy: 1e-10 * exact)
    }

    /// Where it does not apply it says so (nil), and the solve falls back to Jacobi: 1D, a mass
    /// term, a kind whose mean weight is not positive.
    func testDeclinesWhereItDoesNotApply() {
        let line = PeriodicGrid(dimension: .one, n: 16)
        XCTAssertNil(MeanWeightPreconditioner(FaceOperator(grid: line, weights: [[Double](repeating: 1, count: 16)])))
        let grid = PeriodicGrid(dimension: .two, n: 8)
        let ones = [Double](repeating: 1, count: 64)
        XCTAssertNil(MeanWeightPreconditioner(FaceOperator(grid: grid, weights: [ones, ones], mass: ones)))
        XCTAssertNil(MeanWeightPreconditioner(FaceOperator(grid: grid, weights: [ones, ones.map { -$0 }])))
        XCTAssertNotNil(MeanWeightPreconditioner(FaceOperator(grid: grid, weights: [ones, ones])))
    }
}
