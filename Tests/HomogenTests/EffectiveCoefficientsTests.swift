import Foundation
import Homogen
import XCTest

final class EffectiveCoefficientsTests: XCTestCase {
    /// Periodic trapezoidal rule with 4096 points: spectrally accurate for smooth periodic
    /// integrands, and independent of the GSL quadrature under test.
    private func trapezoid(_ f: (Double) -> Double) -> Double {
        let n = 4096
        return (0..<n).reduce(0) { $0 + f(Double($1) / Double(n)) } / Double(n)
    }

    private func scenario(b: String, pi: String, epsilon: String = "1/8") throws -> Scenario {
        try Scenario(toml: scenario1D(["B": "B = \"\(b)\"", "pi": "pi = \"\(pi)\"", "epsilon": "epsilon = \"\(epsilon)\""]))
    }

    /// 1D closed forms against independent quadrature, with π depending on x and y.
    func testOneDimensionalClosedForms() throws {
        let bText = "2 + sin(2*pi*y) + 0.3*cos(4*pi*y)"
        let piText = "1 + 0.5*cos(2*pi*x) + 0.3*cos(2*pi*y)*(1 + 0.5*sin(2*pi*x))"
        let s = try scenario(b: bText, pi: piText)
        let e = try EffectiveCoefficients.compute(s, slowPoints: 16)
        XCTAssertFalse(e.isConstant)
        func b(_ y: Double) -> Double { 2 + sin(2 * .pi * y) + 0.3 * cos(4 * .pi * y) }
        func p(_ x: Double, _ y: Double) -> Double { 1 + 0.5 * cos(2 * .pi * x) + 0.3 * cos(2 * .pi * y) * (1 + 0.5 * sin(2 * .pi * x)) }
        // ∫π_ε dx = ∫∫π dy dx here (the fast part integrates to zero over whole periods): Z = 1.
        let z = s.facts.equilibriumMass
        XCTAssertEqual(z, 1, accuracy: 1e-12)
        let cExact = pow(trapezoid { b($0).squareRoot() }, 2)
        for (k, point) in e.slowGrid.enumerated() {
            let x = point[0]
            let piBar = trapezoid { p(x, $0) } / z
            let bOverPi = trapezoid { b($0) / (p(x, $0) / z) }
            XCTAssertEqual(e.piBar[k], piBar, accuracy: 1e-12)
            XCTAssertEqual(e.aHom[k][0], 1 / bOverPi, accuracy: 1e-12)
            XCTAssertEqual(e.bBar[k][0], piBar * bOverPi, accuracy: 1e-12)
            XCTAssertEqual(e.cGH![k], cExact, accuracy: 1e-12)
        }
    }

    /// B̄ ≥ C̄ (Cauchy–Schwarz, Section 5.2) on random media, with equality iff π ∝ √B (5.14).
    func testGromovHausdorffConstantIsBelowTheEffectiveMetric() throws {
        var generator = SplitMix(seed: 2024)
        for _ in 0..<8 {
            let a = (0..<4).map { _ in generator.next(in: -0.4...0.4) }
            let bText = "2 + \(a[0])*sin(2*pi*y) + \(a[1])*cos(4*pi*y)"
            let piText = "(1 + 0.5*cos(2*pi*x)) * (1 + \(a[2])*cos(2*pi*y) + \(a[3])*sin(6*pi*y))"
            let e = try EffectiveCoefficients.compute(try scenario(b: bText, pi: piText))
            XCTAssertTrue(e.isConstant)
            XCTAssertGreaterThan(e.bBar[0][0] / e.cGH![0], 1 + 1e-6, "\(bText), \(piText)")
        }
        let equal = try EffectiveCoefficients.compute(try scenario(b: "2 + sin(2*pi*y)", pi: "sqrt(2 + sin(2*pi*y))"))
        XCTAssertEqual(equal.bBar[0][0] / equal.cGH![0], 1, accuracy: 1e-12)
    }

    private func twoD(_ medium: String, pi: String = "1") throws -> Scenario {
        try Scenario(toml: scenario1D([
            "dimension": "dimension = 2", "epsilon": "epsilon = \"1/4\"", "B": "B = \(medium)",
            "pi": "pi = \"\(pi)\"", "f": "rho = \"1\""]))
    }

    /// Laminate A(y) = a(y1) I: A_hom = diag(harmonic mean, arithmetic mean), for a smooth and
    /// a piecewise-constant a. With π = 1, A = B⁻¹, so B = 1/a.
    func testLaminate() throws {
        let cases: [(String, Double, Double)] = [
            ("\"1/(2 + sin(2*pi*y1))\"", 3.0.squareRoot(), 2),
            ("\"1/(1 + 3*floor(2*mod(y1, 1)))\"", 1.6, 2.5),
        ]
        for (medium, harmonic, arithmetic) in cases {
            let e = try EffectiveCoefficients.compute(try twoD(medium))
            XCTAssertTrue(e.isConstant)
            let a = e.aHom[0]
            XCTAssertEqual(a[0], harmonic, accuracy: 1e-8, medium)
            XCTAssertEqual(a[3], arithmetic, accuracy: 1e-8, medium)
            XCTAssertEqual(a[1], 0, accuracy: 1e-8, medium)
        }
    }

    /// Two-phase checkerboard with values a = 1, b = 4: A_hom = √(ab) I = 2 I (Keller–Dykhne).
    /// Within 1% at the default resolution, and the error shrinks under refinement.
    func testCheckerboardKellerDykhne() throws {
        let medium = "\"1/(1 + 3*mod(floor(2*mod(y1, 1)) + floor(2*mod(y2, 1)), 2))\""
        let s = try twoD(medium)
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertEqual(e.resolution, 128)
        XCTAssertEqual(e.aHom[0][0], 2, accuracy: 0.02)
        XCTAssertEqual(e.aHom[0][3], 2, accuracy: 0.02)
        let errors = try [16, 32, 64].map { abs(try EffectiveCoefficients.compute(s, resolution: $0).aHom[0][0] - 2) }
        XCTAssertLessThan(errors[1], errors[0])
        XCTAssertLessThan(errors[2], errors[1])
        XCTAssertLessThan(abs(e.aHom[0][0] - 2), errors[2])
    }

    /// Smooth 2D medium: second-order convergence of the cell solver (observed order from
    /// resolutions 16, 32, 64 within 0.3 of 2), and the reported error estimate bounds the error.
    func testCellSolverConvergesAtSecondOrder() throws {
        let s = try twoD("[\"2 + sin(2*pi*y1)*cos(2*pi*y2)\", \"2 + cos(2*pi*(y1 + y2))\"]",
                         pi: "1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2)")
        let a = try [16, 32, 64, 256].map { try EffectiveCoefficients.compute(s, resolution: $0).aHom[0][0] }
        let order = log2(abs(a[0] - a[1]) / abs(a[1] - a[2]))
        XCTAssertEqual(order, 2, accuracy: 0.3)
        let e64 = try EffectiveCoefficients.compute(s, resolution: 64)
        XCTAssertLessThan(abs(a[2] - a[3]), e64.resolutionDifference!)
    }

    func testFullMediumIsRefusedClearly() throws {
        let s = try twoD("[[\"2\", \"0.5\"], [\"0.5\", \"2\"]]")
        XCTAssertThrowsError(try EffectiveCoefficients.compute(s)) { error in
            XCTAssertEqual(error as? SolverError, .fullMediumUnsupported)
        }
    }
}

/// A small deterministic generator for test parameters (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }
}
