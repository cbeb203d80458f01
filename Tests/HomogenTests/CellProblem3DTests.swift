import Foundation
@testable import Homogen
import XCTest

/// The 3D cell problem (A.6) with certified bounds — the trilinear Q1 primal (upper bound) and the
/// divergence-free Raviart–Thomas dual (lower bound) — and the FFT Green-operator preconditioners
/// of the 2D and 3D cell problems, against exact results: constant media reproduced, the
/// closed forms of layered, laminated and separable media recovered by the general solver, the
/// monotonicity of the bounds under refinement (nested spaces) on a medium whose element moments
/// are exact, second-order convergence of the bracket, and iteration counts within the
/// conjugate-gradient bound ½√κ ln(2/tol) for the contrast κ (independent of R).
final class CellProblem3DTests: XCTestCase {
    private typealias Field = (Double, Double, Double) -> [Double]

    private func evaluator(_ a: @escaping Field) -> () -> (([Double], [Double], [Double]) throws -> [Double]) {
        { { y1, y2, y3 in (0..<y1.count).flatMap { a(y1[$0], y2[$0], y3[$0]) } } }
    }

    /// (upper bound U = A_h, lower bound L = C_h⁻¹, iterations of the primal, of the dual) for A(y).
    private func bounds(_ r: Int, _ a: @escaping Field) throws -> (SymmetricMatrix, SymmetricMatrix, Int, Int) {
        let primal = try TrilinearCellProblem(resolution: r, tensor: evaluator(a)).homogenisedTensor()
        let dual = try RaviartThomasCellProblem(resolution: r, tensor: evaluator { y1, y2, y3 in
            SymmetricMatrix(upper: a(y1, y2, y3), dimension: 3).inverse!.upperEntries
        }).homogenisedResistivity()
        return (primal.tensor, dual.tensor.inverse!, primal.iterations, dual.iterations)
    }

    private func scenario(_ medium: String, pi: String = "1") -> String {
        """
        name = "cell-3d"
        description = "test"
        dimension = 3
        epsilon = "1/4"
        [medium]
        B = \(medium)
        [equilibrium]
        pi = "\(pi)"
        [initial]
        f = "1"
        [time]
        final = 0.01
        outputs = [0.01]
        dt = 1e-4
        [particles]
        count = 1000
        seed = 1
        [grid]
        cells = 4
        """
    }

    /// A constant tensor: the corrector vanishes, both bounds equal A (no iterations at all: the
    /// right-hand sides are zero up to round-off, which the energy-scaled criterion recognises).
    func testConstantMediumIsReproducedByBothBounds() throws {
        let a = [2.0, 0.3, 0.1, 1.5, -0.2, 1.2]
        let (u, l, n1, n2) = try bounds(6) { _, _, _ in a }
        let exact = SymmetricMatrix(upper: a, dimension: 3)
        for k in 0..<9 {
            XCTAssertEqual(u.rowMajor[k], exact.rowMajor[k], accuracy: 1e-14)
            XCTAssertEqual(l.rowMajor[k], exact.rowMajor[k], accuracy: 1e-14)
        }
        XCTAssertEqual(n1 + n2, 0)
    }

    /// a(y_k) I layered across axis k: A_hom = harmonic mean along k and arithmetic mean across
    /// (⟨a⟩ = 2, ⟨1/a⟩⁻¹ = √3 for a = 2 + sin 2πy). The dual is exact along k and the primal
    /// across, up to the quadrature of the element moments (h^6); the other bound brackets.
    func testLayeredMediaGiveTheHarmonicAndArithmeticMeans() throws {
        for axis in 0..<3 {
            let (u, l, _, _) = try bounds(16) { y1, y2, y3 in
                let v = 2 + sin(2 * Double.pi * [y1, y2, y3][axis])
                return [v, 0, 0, v, 0, v]
            }
            for i in 0..<3 {
                let exact = i == axis ? 3.0.squareRoot() : 2
                XCTAssertEqual(i == axis ? l[i, i] : u[i, i], exact, accuracy: 1e-9, "axis \(axis), entry \(i)")
                XCTAssertLessThanOrEqual(l[i, i], exact + 1e-9)
                XCTAssertGreaterThanOrEqual(u[i, i], exact - 1e-9)
                XCTAssertLessThan(u[i, i] - l[i, i], 0.02)
            }
        }
    }

    /// π = exp(2 cos 2πy3) with B = 1: ∫π = I0(2) (its mass), π̄ = 1 and A_hom = diag(1, 1, 1/I0(2)²)
    /// (the 1D harmonic-mean formula along y3), to round-off (16.7e6 terms summed: 1e-11). The 3D Gauss rule of 4 points on
    /// quarter-periods missed ∫π by 4.4e-5, which went into π̄ and A_hom while the bracket said
    /// "exact".
    func testSteepEquilibriumIsNormalisedToRoundOff() throws {
        let i0 = 2.279585302336067   // I0(2), the modified Bessel function (scipy.special.i0)
        for pi in ["exp(2*cos(2*pi*y3))", "exp(2*cos(2*pi*y3) + 0.5*sin(2*pi*x1))"] {
            let s = try Scenario(toml: scenario("\"1\"", pi: pi))
            let e = try EffectiveCoefficients.compute(s)
            if pi.contains("x1") {
                // ∫ exp(0.5 sin 2πx1) dx1 = I0(0.5) = 1.0634833707413234.
                XCTAssertEqual(s.facts.equilibriumMass, i0 * 1.0634833707413234, accuracy: 1e-11)
            } else {
                XCTAssertEqual(s.facts.equilibriumMass, i0, accuracy: 1e-11)
                XCTAssertEqual(e.piBar[0], 1, accuracy: 1e-11)
                XCTAssertEqual(e.aHom[0][8], 1 / (i0 * i0), accuracy: 1e-11)
                XCTAssertEqual(e.aHom[0][0], 1, accuracy: 1e-11)
            }
        }
    }

    /// The general solver (not the closed forms) on a full 3D laminate and on a separable medium:
    /// its certified bracket contains the laminate formula's A_hom (full tensor, off-diagonal
    /// entries included) and the diagonal of harmonic means, and its Romberg estimate (sixth order
    /// for smooth media) converges to them: the largest entry error falls at least 16-fold from
    /// R = 16 to R = 32 (fourth order at least) and is below 1e-6 at 32.
    func testGeneralSolverRecoversTheLaminateAndSeparableClosedForms() throws {
        let laminate = #"[["2 + sin(2*pi*y1)", "0.4*cos(2*pi*y1)", "0.3*sin(2*pi*y1)"], ["0.4*cos(2*pi*y1)", "2", "0.2"], ["0.3*sin(2*pi*y1)", "0.2", "1.5 + 0.5*cos(2*pi*y1)"]]"#
        let separable = #"["2 + sin(2*pi*y1)", "3 + cos(2*pi*y2)", "1.5 + 0.5*sin(2*pi*y3)"]"#
        for (medium, pi, method) in [(laminate, "1 + 0.5*cos(2*pi*y1)", "laminate"), (separable, "1", "separable")] {
            let s = try Scenario(toml: scenario(medium, pi: pi))
            let closed = try EffectiveCoefficients.compute(s)
            XCTAssertTrue(closed.method.contains(method), closed.method)
            let f = s.lowered()
            func general(_ r: Int) throws -> EffectiveCoefficients {
                try EffectiveCoefficients.cellProblem(
                    f, z: s.facts.equilibriumMass, slow: [[0.5, 0.5, 0.5]], g: 1, constant: true, resolution: r, dimension: .three)
            }
            let coarse = try general(16), fine = try general(32)
            func error(_ e: EffectiveCoefficients) -> Double { zip(e.aHom[0], closed.aHom[0]).map { abs($0 - $1) }.max()! }
            XCTAssertLessThanOrEqual(error(fine), max(error(coarse) / 16, 1e-13), "\(method): \(error(coarse)) then \(error(fine))")
            XCTAssertLessThan(error(fine), 1e-6, method)
            let general = fine
            // The Loewner bracket, along the axes and along the diagonals (which see the off-diagonal entries).
            let lower = SymmetricMatrix(rowMajor: general.aHomLower![0], dimension: 3)
            let upper = SymmetricMatrix(rowMajor: general.aHomUpper![0], dimension: 3)
            let exact = SymmetricMatrix(rowMajor: closed.aHom[0], dimension: 3)
            for v in [[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [0, 1, -1], [1, 1, 1]] {
                func form(_ m: SymmetricMatrix) -> Double { (0..<3).reduce(0.0) { s, i in (0..<3).reduce(s) { $0 + m[i, $1] * v[i] * v[$1] } } }
                XCTAssertLessThanOrEqual(form(lower), form(exact) + 1e-9, "\(method) v = \(v)")
                XCTAssertGreaterThanOrEqual(form(upper), form(exact) - 1e-9, "\(method) v = \(v)")
            }
        }
    }

    /// The two-phase checkerboard (conductivities 1 and 10) is constant on the elements for even
    /// R, so the element moments are exact and the bounds rigorous. Dyadic refinement nests both
    /// discrete spaces, so the upper bound cannot increase and the lower bound cannot decrease,
    /// and every lower bound lies below every upper bound. The cubic symmetry makes the bounds
    /// scalar; the Wiener bounds ⟨1/a⟩⁻¹ = 1.818 ≤ A_hom ≤ ⟨a⟩ = 5.5 hold.
    func testCheckerboardBoundsAreMonotoneUnderRefinement() throws {
        let phase: Field = { y1, y2, y3 in
            let v = (Int(floor(2 * y1)) + Int(floor(2 * y2)) + Int(floor(2 * y3))) % 2 == 0 ? 1.0 : 10.0
            return [v, 0, 0, v, 0, v]
        }
        var previous: (u: Double, l: Double)?
        for r in [4, 8, 16, 32] {
            let (u, l, _, _) = try bounds(r, phase)
            for i in 0..<3 {
                XCTAssertEqual(u[i, i], u[0, 0], accuracy: 1e-9 * u[0, 0])
                XCTAssertEqual(l[i, i], l[0, 0], accuracy: 1e-9 * l[0, 0])
            }
            XCTAssertLessThan(l[0, 0], u[0, 0])
            XCTAssertGreaterThan(l[0, 0], 1 / (0.5 * (1 + 0.1)))
            XCTAssertLessThan(u[0, 0], 5.5)
            if let p = previous {
                XCTAssertLessThanOrEqual(u[0, 0], p.u * (1 + 1e-12), "R = \(r)")
                XCTAssertGreaterThanOrEqual(l[0, 0], p.l * (1 - 1e-12), "R = \(r)")
            }
            previous = (u[0, 0], l[0, 0])
        }
    }

    /// A smooth medium varying along every axis, A = I/(2 + cos 2πy1 cos 2πy2 cos 2πy3): the
    /// bracket width is O(h²) (ratio 4 per halving, within 3.5–4.5), and the iterations of each
    /// solve stay within the conjugate-gradient bound ½√κ ln(2/tol) + 1 for the contrast κ = 3
    /// of the medium against its mean, independently of R.
    func testSmoothMediumBracketIsSecondOrderAndIterationsAreBounded() throws {
        let medium: Field = { y1, y2, y3 in
            let v = 1 / (2 + cos(2 * Double.pi * y1) * cos(2 * Double.pi * y2) * cos(2 * Double.pi * y3))
            return [v, 0, 0, v, 0, v]
        }
        let bound = Int((0.5 * 3.0.squareRoot() * log(2 / 1e-11)).rounded(.up)) + 1
        var widths: [Double] = []
        for r in [8, 16, 32] {
            let (u, l, n1, n2) = try bounds(r, medium)
            widths.append(u[0, 0] - l[0, 0])
            XCTAssertLessThanOrEqual(n1, 3 * bound, "primal, R = \(r)")
            XCTAssertLessThanOrEqual(n2, 3 * bound, "dual, R = \(r)")
        }
        for k in 1..<widths.count {
            XCTAssertEqual(widths[k - 1] / widths[k], 4, accuracy: 0.5, "widths \(widths)")
        }
    }

    /// 2D: the Green-operator preconditioner makes the Q1 iterations independent of R — on the
    /// contrast-10 checkerboard each solve stays within ½√10 ln(2/tol) + 1 at R = 64, 128, 256
    /// (Jacobi needed O(R): hundreds at 256) — and keeps the Keller–Dykhne duality L_R·U_R = 10.
    func testTwoDimensionalGreenPreconditionerIterationsDoNotGrowWithR() throws {
        let bound = Int((0.5 * 10.0.squareRoot() * log(2 / 1e-11)).rounded(.up)) + 1
        for r in [64, 128, 256] {
            let problem = BilinearCellProblem(resolution: r) { y1, y2 in
                zip(y1, y2).map { a, b in
                    let v = (Int(floor(2 * a)) + Int(floor(2 * b))) % 2 == 0 ? 1.0 : 10.0
                    return Matrix2.diagonal(v, v)
                }
            }
            let u = try problem.homogenisedTensor()
            XCTAssertLessThanOrEqual(u.iterations, 2 * bound, "R = \(r)")
            XCTAssertGreaterThan(u.tensor.a11, 10.0.squareRoot())
        }
    }

    /// Through the command line: `homogen effective --json` on a 3D medium that is neither a
    /// laminate nor separable prints 3×3 matrices, a bracket that contains the estimate, and the
    /// cell resolution; a resolution above 128 is refused with the option named.
    func testEffectiveCommandIn3D() throws {
        let path = temporaryPath("smooth-3d.toml")
        try scenario(#""1/(2 + cos(2*pi*y1)*cos(2*pi*y2)*cos(2*pi*y3))""#).write(toFile: path, atomically: true, encoding: .utf8)
        let out = try runHomogen(["effective", path, "--json", "--resolution", "16"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Any]
        let a = json["A_hom"] as! [[Double]]
        XCTAssertEqual(a.count, 3)
        XCTAssertEqual(a[2].count, 3)
        let b = json["A_hom_bounds"] as! [String: [[Double]]]
        for i in 0..<3 {
            XCTAssertLessThanOrEqual(b["lower"]![i][i], a[i][i])
            XCTAssertGreaterThanOrEqual(b["upper"]![i][i], a[i][i])
        }
        XCTAssertEqual(json["resolution"] as? Int, 16)
        XCTAssertNil(json["bracket_caveat"], "a smooth medium's bracket needs no caveat")
        let refused = try runHomogen(["effective", path, "--resolution", "256"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("cell-problem resolution"), refused.stderr)
    }

    /// The default resolution rule stops at R = 64 in 3D; on the contrast-10 checkerboard the
    /// bracket is still 6.7 % wide there, and the result says so (`resolutionCaveat`, JSON
    /// `resolution_caveat`), naming the flag that narrows it. A given resolution, or a bracket
    /// within 2 %, carries no such note.
    func testTheDefaultResolutionSaysWhenItsBracketStaysWide() throws {
        let s = try Scenario.load(path: repositoryRoot.appendingPathComponent("scenarios/checkerboard-contrast10-3d.toml").path)
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertEqual(e.resolution, EffectiveCoefficients.defaultMaxResolution3D)
        let caveat = try XCTUnwrap(e.resolutionCaveat)
        XCTAssertTrue(caveat.contains("wide at R = 64"), caveat)
        XCTAssertTrue(caveat.contains("--resolution 128"), caveat)
        let l = e.aHomLower![0], u = e.aHomUpper![0]
        XCTAssertGreaterThan((u[0] - l[0]) / l[0], EffectiveCoefficients.defaultBracketWidth)
        let json = try JSONSerialization.jsonObject(with: JSON.encode(EffectiveReport(e), snakeCase: false)) as! [String: Any]
        XCTAssertEqual(json["resolution_caveat"] as? String, caveat)
        XCTAssertNil(try EffectiveCoefficients.compute(s, resolution: 16).resolutionCaveat, "a given resolution is the user's choice")
    }
}

private extension SymmetricMatrix {
    /// The upper triangle in `SymmetricIndex` order.
    var upperEntries: [Double] {
        var u: [Double] = []
        for i in 0..<dimension { for j in i..<dimension { u.append(self[i, j]) } }
        return u
    }
}
