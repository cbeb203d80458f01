import Foundation
@testable import Homogen
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

    /// B̄⁻¹ with all entries at once (the geodesic cost's hot path) equals, bit for bit, each entry
    /// interpolated on its own, in 1D and in 2D with an x-dependent full tensor, at points off the
    /// slow grid and across its periodic seam.
    func testAllEntriesOfBBarInverseAtOnceEqualEachEntry() throws {
        let one = try EffectiveCoefficients.compute(try scenario(b: "2 + sin(2*pi*y)", pi: "1 + 0.5*cos(2*pi*x) + 0.3*cos(2*pi*y)"),
                                                    slowPoints: 8)
        let s = try Scenario.load(path: repositoryRoot.appendingPathComponent("scenarios/full-medium-oscillatory-2d.toml").path)
        let two = try EffectiveCoefficients.compute(s, resolution: 16, slowPoints: 8)
        XCTAssertFalse(one.isConstant)
        XCTAssertFalse(two.isConstant)
        var generator = SplitMix(seed: 5)
        for _ in 0..<50 {
            let x = [generator.next(in: -0.2...1.2), generator.next(in: -0.2...1.2)]
            XCTAssertEqual(one.bBarInverse(at: [x[0]]), [one.bBarInverse(at: [x[0]], entry: 0)])
            XCTAssertEqual(two.bBarInverse(at: x), (0..<4).map { two.bBarInverse(at: x, entry: $0) })
        }
        XCTAssertNotEqual(two.bBarInverse(at: [0.1, 0.3])[1], 0, "the 2D case has a cross term")
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

    /// π̄ is a probability density whatever ε: π normalised by ∫∫π dy dx, not by ∫π_ε dx. A
    /// review's resonant π = 1 + ½cos 2π(y − 8x) has π_ε = 3/2 at ε = 1/8 and ∫π_ε = 1 at ε = 1/4;
    /// `effective` printed π̄ = 2/3 at ε = 1/8 (`compare` and `stationary` normalise π̄ to 1). Now
    /// π̄ = 1 and A_hom = (∫ B/π dy)⁻¹ at both, in 1D and (the laminate formula) in 2D, through
    /// the API and the CLI.
    func testPiBarIsAProbabilityDensityWhateverEpsilon() throws {
        func b(_ y: Double) -> Double { 2 + sin(2 * .pi * y) }
        for epsilon in ["1/8", "1/4"] {
            let s = try scenario(b: "2 + sin(2*pi*y)", pi: "1 + 0.5*cos(2*pi*(y - 8*x))", epsilon: epsilon)
            XCTAssertEqual(s.facts.equilibriumMass, epsilon == "1/8" ? 1.5 : 1, accuracy: 1e-12)
            let e = try EffectiveCoefficients.compute(s, slowPoints: 16)
            for (k, point) in e.slowGrid.enumerated() {
                let x = point[0]
                XCTAssertEqual(e.piBar[k], 1, accuracy: 1e-12, "eps \(epsilon), x = \(x)")
                let bOverPi = trapezoid { b($0) / (1 + 0.5 * cos(2 * .pi * ($0 - 8 * x))) }
                XCTAssertEqual(e.aHom[k][0], 1 / bOverPi, accuracy: 1e-12, "eps \(epsilon), x = \(x)")
            }
            let two = try twoD(#"["2 + sin(2*pi*y1)", "1"]"#, pi: "1 + 0.5*cos(2*pi*(y1 - 8*x1))", epsilon: epsilon)
            let e2 = try EffectiveCoefficients.compute(two, slowPoints: 4)
            for (k, point) in e2.slowGrid.enumerated() {
                XCTAssertEqual(e2.piBar[k], 1, accuracy: 1e-12, "2D eps \(epsilon), x = \(point)")
                let bOverPi = trapezoid { b($0) / (1 + 0.5 * cos(2 * .pi * ($0 - 8 * point[0]))) }
                XCTAssertEqual(e2.aHom[k][0], 1 / bOverPi, accuracy: 1e-12, "2D eps \(epsilon), x = \(point)")
                XCTAssertEqual(e2.aHom[k][3], 1, accuracy: 1e-12, "2D eps \(epsilon): A_22 = <pi / 1>")
            }
        }
        let file = temporaryPath("resonant.toml")
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["B": #"B = "2 + sin(2*pi*y)""#, "pi": #"pi = "1 + 0.5*cos(2*pi*(y - 8*x))""#, "epsilon": #"epsilon = "1/8""#])
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runHomogen(["effective", file, "--json", "--slow-points", "8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let piBar = (json["pi_bar"] as! [String: Any])["values"] as! [Double]
        XCTAssertEqual(piBar.count, 8)
        for v in piBar { XCTAssertEqual(v, 1, accuracy: 1e-12) }
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

    /// Layers narrower than the Gauss–Kronrod nodes' spacing (a review's cases): QAG sampled none
    /// of their points, and a 1 % layer of B = 10 gave B̄ = 1 "exact", not ⟨B⟩ = 1.09; a 10⁻⁴ layer of
    /// contrast 10⁴ gave 1, not 1.9999; 20 layers were refused ("pi nearly vanishes"). Integrated
    /// between the jumps that `JumpLocator` finds, each is exact: with π = 1, B̄ = ⟨B⟩ in 1D, and
    /// with a layer of π (2 inside), B = 1: B̄ = ⟨π⟩⟨1/π⟩.
    func testThinLayersAreIntegratedExactly() throws {
        let cases: [(String, String, Double)] = [
            ("1 + 9*floor(mod(y + 0.123, 1) + 0.01)", "1", 1.09),
            ("1 + 9999*floor(mod(y + 0.123, 1) + 0.0001)", "1", 1.9999),
            ("1 + 99*floor(mod(20*y, 1) + 0.05)", "1", 5.95),
            ("1 + 9*floor(mod(y + 0.123, 1) + 0.03)", "1", 1.27),
            ("1", "1 + floor(mod(y + 0.123, 1) + 0.01)", 1.01 * (0.99 + 0.005)),
            // Alternating layers by mod(floor(2y), 2) and a 1e-5 layer (it was lost: 5.5).
            ("1 + 9*mod(floor(2*y), 2) + 1000*floor(mod(y + 0.3, 1) + 1e-5)", "1", 5.51),
        ]
        for (b, pi, exact) in cases {
            let e = try EffectiveCoefficients.compute(try scenario(b: b, pi: pi))
            XCTAssertEqual(e.bBar[0][0], exact, accuracy: 1e-12 * exact, "B = \(b), pi = \(pi)")
            XCTAssertTrue(e.method.contains("between the jumps of floor/mod"), e.method)
        }
        // 2D laminate of the same layer (A = B⁻¹): A11 = ⟨B⟩⁻¹, A22 = ⟨1/B⟩.
        let layer = try EffectiveCoefficients.compute(try twoD("\"1 + 9*floor(mod(y1 + 0.123, 1) + 0.01)\""))
        XCTAssertEqual(layer.aHom[0][0], 1 / 1.09, accuracy: 1e-13)
        XCTAssertEqual(layer.aHom[0][3], 0.99 + 0.01 / 10, accuracy: 1e-13)
    }

    /// A 1 % layer of π = 10 along y1 (a review's case): ∫π_ε = 1.09 exactly for integer 1/ε,
    /// so π̄ = 1 and A_hom = diag(1/(Z⟨1/π⟩), ⟨π⟩/(2Z)) = diag(1/(1.09 · 0.991), 0.5). The
    /// normalisation Z was taken by equal Gauss and midpoint pieces, which overweighted the layer
    /// (Z = 1.1406, A_hom 4.4 % low, with a bracket of width zero). The cell masses of π_ε and
    /// of π̄ on a coarse grid, and Z in 1D and 3D, are exact too.
    func testALayerInPiIsIntegratedExactly() throws {
        let s = try twoD(#"["1", "2"]"#, pi: "1 + 9*floor(mod(y1 + 0.3, 1) + 0.01)")
        XCTAssertEqual(s.facts.equilibriumMass, 1.09, accuracy: 1e-13)
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertEqual(e.piBar[0], 1, accuracy: 1e-13)
        XCTAssertEqual(e.aHom[0][0], 1 / (1.09 * 0.991), accuracy: 1e-12)
        XCTAssertEqual(e.aHom[0][3], 0.5, accuracy: 1e-13)
        // Cell masses on 3 cells per axis (edges not on the ε-grid): the layer y1 ∈ [0.69, 0.70)
        // of each period x1 ∈ [j/4, (j + 1)/4) (ε = 1/4) lies at x1 = (j + 0.69)/4 … (j + 0.70)/4.
        let f = s.lowered()
        let masses = f.cellIntegrals(of: f.pi, cells: 3)
        let bar = f.fastAverageCellMasses(cells: 3)
        for c1 in 0..<3 {
            let lo = Double(c1) / 3, hi = Double(c1 + 1) / 3
            var layer = 0.0
            for j in 0..<4 {
                let a = (Double(j) + 0.69) / 4, b = (Double(j) + 0.70) / 4
                layer += max(0, min(b, hi) - max(a, lo))
            }
            for c2 in 0..<3 {
                XCTAssertEqual(masses[c1 * 3 + c2], ((hi - lo) + 9 * layer) / 3, accuracy: 1e-13, "cell \(c1), \(c2)")
                XCTAssertEqual(bar[c1 * 3 + c2], 1.0 / 9, accuracy: 1e-13, "cell \(c1), \(c2)")
            }
        }
        // A layer that moves with x1 (a review's case, refused by the quadrature check before the
        // composite's own jumps were located): u = 4.2 x1 + 0.3 over [0.3, 4.5) has frac(u) ≥ 0.98 on
        // four intervals of 0.02, so ∫π_ε = 1 + 9 · 0.08/4.2.
        let moving = try twoD(#"["1", "1"]"#, pi: "1 + 9*floor(mod(y1 + 0.2*x1 + 0.3, 1) + 0.02)")
        XCTAssertEqual(moving.facts.equilibriumMass, 1 + 9 * 0.08 / 4.2, accuracy: 1e-12)
        for (dimension, pi) in [("1", "1 + 9*floor(mod(y + 0.3, 1) + 0.01)"), ("3", "1 + 9*floor(mod(y1 + 0.3, 1) + 0.01)")] {
            let other = try Scenario(toml: scenario1D(["dimension": "dimension = \(dimension)", "B": "B = \"1\"",
                                                       "pi": "pi = \"\(pi)\"", "f": "rho = \"1\""]))
            // 3D: the round-off of summing 2·10⁷ terms (N u ≈ 2e-9 at worst).
            XCTAssertEqual(other.facts.equilibriumMass, 1.09, accuracy: dimension == "3" ? 2e-9 : 1e-13, "dimension \(dimension)")
        }
    }

    /// A thin layer of π whose height depends on x (a review's case): π = 1 on y ∈ [0, 0.98) and
    /// c(x) = 1 + 50(1 + cos 2πx) on [0.98, 1), B = 2. No sample of the separability check falls in
    /// the layer, but π does not factorise: B̄(x) = ⟨π⟩⟨B/π⟩ = (0.98 + 0.02c) · 2(0.98 + 0.02/c)
    /// depends on x (5.3072 at x = 1/8, 2.5374 at x = 3/8). It was called constant, and A_hom at
    /// x = 3/8 came out 2.09 times too small. 1D, and the laminate formula in 2D (B̄_22 = 2).
    func testAThinLayerWhoseHeightDependsOnXMakesBBarDependOnX() throws {
        func exact(_ x: Double) -> Double {
            let c = 1 + 50 * (1 + cos(2 * Double.pi * x))
            return (0.98 + 0.02 * c) * 2 * (0.98 + 0.02 / c)
        }
        let layer = "1 + 50*(1 + cos(2*pi*x))*floor(mod(y, 1) + 0.02)"
        let one = try EffectiveCoefficients.compute(try scenario(b: "2", pi: layer), slowPoints: 4)
        let two = try EffectiveCoefficients.compute(
            try twoD(#""2""#, pi: layer.replacingOccurrences(of: "x", with: "x1").replacingOccurrences(of: "y", with: "y1")), slowPoints: 4)
        for e in [one, two] {
            XCTAssertFalse(e.isConstant, "\(e.dimension)")
            for (k, x) in e.slowGrid.enumerated() {
                XCTAssertEqual(e.bBar[k][0], exact(x[0]), accuracy: 1e-11 * exact(x[0]), "\(e.dimension) at x = \(x)")
            }
        }
        XCTAssertTrue(two.bBar.allSatisfy { abs($0[3] - 2) < 1e-12 })
        // The same layer with a height independent of x factorises on the samples only: B̄ is
        // computed at every slow point, and called constant because the values agree.
        let flat = try scenario(b: "2", pi: "1 + 0.5*cos(2*pi*x) + 50*floor(mod(y, 1) + 0.02)*(1 + 0.5*cos(2*pi*x))")
        XCTAssertEqual(try EffectiveCoefficients.separability(flat.lowered()), .sampled)
        let e = try EffectiveCoefficients.compute(flat, slowPoints: 4)
        XCTAssertTrue(e.isConstant)
        for b in e.bBar { XCTAssertEqual(b[0], (0.98 + 0.02 * 51) * 2 * (0.98 + 0.02 / 51), accuracy: 1e-11) }
    }

    /// Kinks (abs, min, max) in π are cut like jumps: with Gauss pieces ending at them the rules
    /// are exact for these fields, where a kink inside a piece left about 10⁻⁴ at 64 points per
    /// period (and the quadrature check then took its largest refinement). 1D: π = 1 + |sin 2πy|
    /// has ⟨π⟩ = 1 + 2/π and ⟨1/π⟩ = 2/π, so with B = 1, A_hom = 1/(⟨π⟩⟨1/π⟩). 2D: π = 2 +
    /// max(sin 2πy1, ½) has ⟨π⟩ = 2 + √3/(2π) + 1/3. A kink in x: (1 + |x − ½|)(2 + cos 2πy) has
    /// ∫π_ε = 5/4 · 2. 3D: a tent and |sin 2πy3|.
    func testKinksInPiAreCutExactly() throws {
        let s = try scenario(b: "1", pi: "1 + abs(sin(2*pi*y))")
        XCTAssertEqual(s.facts.quadratureRefinement, 1)
        XCTAssertEqual(s.facts.equilibriumMass, 1 + 2 / Double.pi, accuracy: 1e-13)
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertEqual(e.aHom[0][0], 1 / ((1 + 2 / Double.pi) * 2 / Double.pi), accuracy: 1e-12)
        let plateau = try twoD(#"["1", "2"]"#, pi: "2 + max(sin(2*pi*y1), 0.5)")
        XCTAssertEqual(plateau.facts.quadratureRefinement, 1)
        XCTAssertEqual(plateau.facts.equilibriumMass, 2 + 3.0.squareRoot() / (2 * Double.pi) + 1.0 / 3, accuracy: 1e-13)
        // At 1/ε = 16 too: 10⁶ terms, whose plain sum drifted by 1e-12 (`CompensatedSums`).
        let fine = try Scenario(toml: scenario1D(["dimension": "dimension = 2", "epsilon": "epsilon = \"1/16\"", "B": "B = \"1\"",
                                                  "pi": "pi = \"2 + max(sin(2*pi*y1), 0.5)\"", "f": "rho = \"1\""]))
        XCTAssertEqual(fine.facts.equilibriumMass, 2 + 3.0.squareRoot() / (2 * Double.pi) + 1.0 / 3, accuracy: 2e-15)
        let slow = try scenario(b: "1", pi: "(1 + abs(x - 0.5)) * (2 + cos(2*pi*y))")
        XCTAssertEqual(slow.facts.equilibriumMass, 2.5, accuracy: 1e-13)
        let tent = try Scenario(toml: scenario1D(["dimension": "dimension = 3", "B": "B = \"1\"",
                                                  "pi": "pi = \"1 + min(mod(y1, 1), 1 - mod(y1, 1)) + abs(sin(2*pi*y3))\"", "f": "rho = \"1\""]))
        // ⟨min(y, 1 − y)⟩ = 1/4 (a jump of mod and a kink of min at ½), ⟨|sin 2πy|⟩ = 2/π.
        XCTAssertEqual(tent.facts.equilibriumMass, 1 + 0.25 + 2 / Double.pi, accuracy: 1e-12)
    }

    /// Sharply peaked π = 1 + c exp(−a sin² πy) (a review's case, a = 2000: ∫π_ε came out 2.6 %
    /// low with 64 points per period, so π̄ and A_hom were 2.7 % off): the rules are refined until
    /// they agree with adaptive quadrature, and ∫π_ε = 1 + c ∫exp(−a sin² πy) dy (periodic
    /// trapezoid with 2¹⁸ points, spectrally exact here); π depends on y only, so π̄ = 1. In 2D at
    /// 1/ε = 64 no refinement is affordable, and a peak the rule cannot see is refused.
    func testSharpPeaksInPiRefineTheQuadrature() throws {
        for (a, c) in [(2000.0, 9.0), (2e6, 1e4)] {
            let s = try scenario(b: "2", pi: "1 + \(c)*exp(-\(a)*sin(pi*y)^2)", epsilon: "1/10")
            let n = 1 << 18
            let mean = (0..<n).reduce(0.0) { $0 + exp(-a * pow(sin(.pi * Double($1) / Double(n)), 2)) } / Double(n)
            let z = 1 + c * mean
            XCTAssertEqual(s.facts.equilibriumMass, z, accuracy: 1e-10 * z, "a = \(a)")
            // ρ0 = f π with f = 1: its integral takes the same refinement.
            XCTAssertEqual(s.facts.initialMass, z, accuracy: 1e-10 * z, "a = \(a)")
            XCTAssertGreaterThan(s.facts.quadratureRefinement, 1)
            XCTAssertEqual(try EffectiveCoefficients.compute(s).piBar[0], 1, accuracy: 1e-10, "a = \(a)")
        }
        XCTAssertEqual(try scenario(b: "2", pi: "1 + 0.5*cos(2*pi*y)").facts.quadratureRefinement, 1)
        // 2D, a peak at y = 0 in both fast variables (a review's case): seen along y1 from a generic
        // y2 it is invisible, so the line through π's largest value is checked too; it was 6 % low.
        let peak = try twoD(#"["1", "1"]"#, pi: "1 + 999*exp(-2000*(sin(pi*y1)^2 + sin(pi*y2)^2))")
        let n = 1 << 18
        let mean = (0..<n).reduce(0.0) { $0 + exp(-2000 * pow(sin(.pi * Double($1) / Double(n)), 2)) } / Double(n)
        XCTAssertEqual(peak.facts.equilibriumMass, 1 + 999 * mean * mean, accuracy: 1e-10)
        XCTAssertGreaterThan(peak.facts.quadratureRefinement, 1)
        XCTAssertThrowsError(try Scenario(toml: scenario1D([
            "dimension": "dimension = 2", "epsilon": "epsilon = \"1/64\"", "B": "B = \"1\"", "f": "rho = \"1\"",
            "pi": "pi = \"1 + 1e4*exp(-2e6*sin(pi*y1)^2)\""]))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("[equilibrium] pi") && text.contains("varies too sharply along y1"), text)
        }
    }

    /// A narrow bump in ρ0 (a review's case): 1 + 10⁴ exp(−a sin² π(x − c)), a = 10⁸, has mass
    /// 1 + 10⁴ e^(−a/2) I₀(a/2) = 1 + 10⁴/√(πa) (1 + 1/(4a) + …) = 1.5641896, which the 256-point rule
    /// missed: `check` printed 1.0 and `solve` started from a uniform density. ρ0's peak now refines
    /// the quadrature as π's does (to the 1D cap here); a bump of width 2·10⁻⁴ (mass √(2π) s e^…,
    /// by the periodic trapezoid with 2²⁰ points) takes a small refinement; in 2D at 1/ε = 64, where
    /// no refinement is affordable, a bump the rule cannot see is refused, naming the key.
    func testANarrowBumpInRho0RefinesTheQuadrature() throws {
        let a = 1e8
        let spike = try Scenario(toml: scenario1D(["pi": #"pi = "1""#, "f": #"rho = "1 + 10000*exp(-1e8*sin(pi*(x - 0.1234567))^2)""#]))
        let exact = 1 + 1e4 / (Double.pi * a).squareRoot() * (1 + 1 / (4 * a))
        XCTAssertEqual(spike.facts.initialMass, exact, accuracy: 1e-9 * exact)
        let file = temporaryPath("spike") + ".toml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try scenario1D(["pi": #"pi = "1""#, "f": #"rho = "1 + 10000*exp(-1e8*sin(pi*(x - 0.1234567))^2)""#])
            .write(toFile: file, atomically: true, encoding: .utf8)
        let check = try runHomogen(["check", file])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("integral of rho0 = 1.56418958") && check.stdout.contains("for the sharp features of rho0)"), check.stdout)
        let s = 2.2e-4
        let bump = try Scenario(toml: scenario1D(["pi": #"pi = "1""#, "f": "rho = \"exp(-sin(pi*(x - 0.3))^2/(2*\(s * Double.pi)^2))\""]))
        let n = 1 << 20
        let mass = (0..<n).reduce(0.0) { $0 + exp(-pow(sin(.pi * (Double($1) / Double(n) - 0.3)), 2) / (2 * pow(s * .pi, 2))) } / Double(n)
        XCTAssertEqual(bump.facts.initialMass, mass, accuracy: 1e-9 * mass)
        // The bump refines ρ0's integrals only: π = 1 keeps its own rule.
        XCTAssertGreaterThan(bump.facts.initialRefinement, 1)
        XCTAssertEqual(bump.facts.quadratureRefinement, 1)
        XCTAssertEqual(spike.facts.quadratureRefinement, 1)
        // The spike's top (10001), which the check grid misses, bounds the rejection sampler, so
        // that its draws carry the spike's share 1 − 1/mass of the particles (binomial, 4 SE).
        XCTAssertGreaterThan(1.25 * spike.facts.initialMaximum, 10_001)
        let draws = InitialDensitySampler(scenario: spike, fields: spike.lowered())
        let workspace = draws.makeWorkspace(capacity: 4096)
        let m = 4000, x = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer { x.deallocate() }
        try draws.draw(into: [x], count: m, rng: RandomStream(seed: 7), workspace: workspace)
        let share = Double((0..<m).filter { abs(x[$0] - 0.1234567) < 1e-3 }.count) / Double(m), p = 1 - 1 / exact
        XCTAssertEqual(share, p, accuracy: 4 * (p * (1 - p) / Double(m)).squareRoot())
        XCTAssertThrowsError(try Scenario(toml: scenario1D([
            "dimension": "dimension = 2", "epsilon": "epsilon = \"1/64\"", "B": "B = \"1\"", "pi": "pi = \"1\"",
            "f": "rho = \"1 + 1e4*exp(-1e8*sin(pi*(x1 - 0.1234567))^2)\""]))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("[initial] rho") && text.contains("varies too sharply along x1"), text)
        }
    }

    /// A separable 2D medium whose π has floor layers along y1 and y2: π is a product of
    /// factors in one fast variable each, so the separable closed form applies although π cannot
    /// be differentiated (it took the cell problem, which missed the 1 % layer by 9 %), and
    /// B̄_kk = ⟨p_k⟩⟨b_k/p_k⟩ exactly. Layers: p1 = 10 on y1 ∈ [0.867, 0.877), p2 = 1.5 on
    /// y2 ∈ [0.45, 0.7); b_k = 2 + sin 2πy_k, whose integral over [a, b] is I(a, b).
    func testSeparableMediumWithLayersInPi() throws {
        let s = try twoD(#"["2 + sin(2*pi*y1)", "2 + sin(2*pi*y2)"]"#,
                         pi: "(1 + 0.5*cos(2*pi*x1)) * (1 + 9*floor(mod(y1 + 0.123, 1) + 0.01)) * (1 + 0.5*floor(mod(y2 + 0.3, 1) + 0.25))")
        let e = try EffectiveCoefficients.compute(s)
        XCTAssertTrue(e.method.hasPrefix("closed form: separable medium") && e.method.contains("jumps"), e.method)
        XCTAssertTrue(e.isConstant)
        func integral(_ a: Double, _ b: Double) -> Double { 2 * (b - a) - (cos(2 * .pi * b) - cos(2 * .pi * a)) / (2 * .pi) }
        let b11 = 1.09 * (2 - 0.9 * integral(0.867, 0.877)), b22 = 1.125 * (2 - integral(0.45, 0.7) / 3)
        XCTAssertEqual(e.bBar[0][0], b11, accuracy: 1e-12 * b11)
        XCTAssertEqual(e.bBar[0][3], b22, accuracy: 1e-12 * b22)
        XCTAssertEqual(e.bBar[0][1], 0)
    }

    private func twoD(_ medium: String, pi: String = "1", epsilon: String = "1/4") throws -> Scenario {
        try Scenario(toml: scenario1D([
            "dimension": "dimension = 2", "epsilon": "epsilon = \"\(epsilon)\"", "B": "B = \(medium)",
            "pi": "pi = \"\(pi)\"", "f": "rho = \"1\""]))
    }

    /// Laminate A(y) = a(y1) I: A_hom = diag(harmonic mean, arithmetic mean), for a smooth and
    /// a piecewise-constant a, and the same layers along y2. With π = 1, A = B⁻¹, so B = 1/a. The
    /// laminate formula gives them to round-off (the Q1 cell problem gave 1.85e-7), with a bracket
    /// of width zero, and the report says which method.
    func testLaminate() throws {
        let cases: [(String, Double, Double, Bool)] = [
            ("\"1/(2 + sin(2*pi*y1))\"", 3.0.squareRoot(), 2, false),
            ("\"1/(1 + 3*floor(2*mod(y1, 1)))\"", 1.6, 2.5, false),
            ("\"1/(1 + 3*floor(2*mod(y2 + 0.3, 1)))\"", 1.6, 2.5, true),
        ]
        for (medium, harmonic, arithmetic, alongY2) in cases {
            // A = (π/Z) B⁻¹ with Z the scenario's quadrature of ∫π_ε (1 to about 1e-12 here).
            let s = try twoD(medium), z = s.facts.equilibriumMass
            let e = try EffectiveCoefficients.compute(s)
            XCTAssertTrue(e.isConstant)
            XCTAssertTrue(e.method.hasPrefix("closed form: laminate formula (pi and B depend on \(alongY2 ? "y2" : "y1") only"), e.method)
            XCTAssertNil(e.resolution)
            let a = e.aHom[0]
            XCTAssertEqual(a[alongY2 ? 3 : 0], harmonic / z, accuracy: 1e-14, medium)
            XCTAssertEqual(a[alongY2 ? 0 : 3], arithmetic / z, accuracy: 1e-14, medium)
            XCTAssertEqual(a[1], 0, medium)
            XCTAssertEqual(e.aHomLower![0], a, medium)
            XCTAssertEqual(e.aHomUpper![0], a, medium)
        }
    }

    /// A laminate whose layers change with x — π(x, y1) and B(x, y1) full — against the formula
    /// evaluated by an independent periodic trapezoidal rule at every slow point (B̄ depends on x),
    /// and a medium with no fast variable at all: A_hom = π B⁻¹/Z, exactly.
    func testLaminateWithSlowDependenceAndTheConstantMedium() throws {
        let b11 = "2 + sin(2*pi*y1) + 0.5*cos(2*pi*x2)", b12 = "0.4*cos(2*pi*y1)*sin(2*pi*x1)", b22 = "1.5 + 0.5*cos(4*pi*y1)"
        let piText = "exp(0.4*sin(2*pi*y1) + 0.3*cos(2*pi*x1))"
        let s = try twoD("[[\"\(b11)\", \"\(b12)\"], [\"\(b12)\", \"\(b22)\"]]", pi: piText)
        let e = try EffectiveCoefficients.compute(s, slowPoints: 3)
        XCTAssertFalse(e.isConstant)
        // π normalised by ∫∫π dy dx (which differs from ∫π_ε dx by 1.2e-13 relative here: a
        // resonance of the modes 8 of exp(0.4 sin 2πy1) and 8 of exp(0.3 cos 2πx1) at ε = 1/4).
        let z = trapezoid { exp(0.4 * sin(2 * .pi * $0)) } * trapezoid { exp(0.3 * cos(2 * .pi * $0)) }
        for (k, x) in e.slowGrid.enumerated() {
            func d(_ y: Double) -> Matrix2 {
                let b = Matrix2(a11: 2 + sin(2 * .pi * y) + 0.5 * cos(2 * .pi * x[1]), a12: 0.4 * cos(2 * .pi * y) * sin(2 * .pi * x[0]),
                                a22: 1.5 + 0.5 * cos(4 * .pi * y))
                return (exp(0.4 * sin(2 * .pi * y) + 0.3 * cos(2 * .pi * x[0])) / z) * b.inverse
            }
            let h11 = 1 / trapezoid { 1 / d($0).a11 }
            let ratio = trapezoid { d($0).a12 / d($0).a11 }
            let h22 = trapezoid { d($0).a22 - d($0).a12 * d($0).a12 / d($0).a11 } + ratio * ratio * h11
            let piBar = trapezoid { exp(0.4 * sin(2 * .pi * $0) + 0.3 * cos(2 * .pi * x[0])) } / z
            XCTAssertEqual(e.piBar[k], piBar, accuracy: 1e-13)
            for (got, want) in zip(e.aHom[k], [h11, ratio * h11, ratio * h11, h22]) {
                XCTAssertEqual(got, want, accuracy: 1e-13, "x = \(x)")
            }
        }
        let flatScenario = try twoD("[\"2 + cos(2*pi*x1)\", \"3\"]", pi: "1 + 0.5*sin(2*pi*x2)")
        let flat = try EffectiveCoefficients.compute(flatScenario, slowPoints: 2)
        XCTAssertTrue(flat.method.hasPrefix("closed form: pi and B depend on no fast variable"), flat.method)
        for (k, x) in flat.slowGrid.enumerated() {
            let p = (1 + 0.5 * sin(2 * .pi * x[1])) / flatScenario.facts.equilibriumMass
            XCTAssertEqual(flat.aHom[k][0], p / (2 + cos(2 * .pi * x[0])), accuracy: 1e-14)
            XCTAssertEqual(flat.aHom[k][3], p / 3, accuracy: 1e-14)
            XCTAssertEqual(flat.aHom[k][1], 0)
        }
    }

    /// ⟨L v, v⟩ ≤ ⟨A v, v⟩ ≤ ⟨U v, v⟩ for v on the unit circle (the Loewner bracket), with slack
    /// `slack` relative for the solver tolerance.
    private func assertBracket(_ e: EffectiveCoefficients, contains a: [Double], point k: Int = 0, slack: Double = 1e-9,
                               _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        let l = Matrix2(rowMajor: e.aHomLower![k]), u = Matrix2(rowMajor: e.aHomUpper![k]), m = Matrix2(rowMajor: a)
        for j in 0..<16 {
            let t = Double(j) * .pi / 16, v = (cos(t), sin(t))
            let q = m.quadraticForm(v.0, v.1)
            XCTAssertLessThanOrEqual(l.quadraticForm(v.0, v.1), q * (1 + slack), "lower, angle \(t): \(message)", file: file, line: line)
            XCTAssertGreaterThanOrEqual(u.quadraticForm(v.0, v.1), q * (1 - slack), "upper, angle \(t): \(message)", file: file, line: line)
        }
    }

    /// Anisotropic layers A(y1) full: the lamination formula A_hom11 = ⟨1/a11⟩⁻¹,
    /// A_hom12 = ⟨a12/a11⟩ A_hom11, A_hom22 = ⟨a22 − a12²/a11⟩ + ⟨a12/a11⟩² A_hom11, all four
    /// entries to round-off (the laminate formula; the Q1 cell problem gave them to 1e-9).
    func testAnisotropicLaminateFormula() throws {
        // B(y1) full, π(y1): A = π B⁻¹.
        let b11 = "2 + sin(2*pi*y1)", b12 = "0.6*cos(2*pi*y1) + 0.3", b22 = "1.5 + 0.5*cos(4*pi*y1)"
        let s = try twoD("[[\"\(b11)\", \"\(b12)\"], [\"\(b12)\", \"\(b22)\"]]", pi: "exp(0.4*sin(2*pi*y1))")
        func a(_ y: Double) -> Matrix2 {
            let b = Matrix2(a11: 2 + sin(2 * .pi * y), a12: 0.6 * cos(2 * .pi * y) + 0.3, a22: 1.5 + 0.5 * cos(4 * .pi * y))
            return exp(0.4 * sin(2 * .pi * y)) * b.inverse
        }
        // π is normalised: ∫π dy = Z.
        let z = trapezoid { exp(0.4 * sin(2 * .pi * $0)) }
        let inv11 = trapezoid { 1 / a($0).a11 } * z
        let ratio = trapezoid { a($0).a12 / a($0).a11 }
        let schur = trapezoid { a($0).a22 - a($0).a12 * a($0).a12 / a($0).a11 } / z
        let h11 = 1 / inv11, h12 = ratio * h11, h22 = schur + ratio * ratio * h11
        let e = try EffectiveCoefficients.compute(s)
        let m = e.aHom[0]
        XCTAssertEqual(m[0], h11, accuracy: 1e-13)
        XCTAssertEqual(m[1], h12, accuracy: 1e-13)
        XCTAssertEqual(m[2], h12, accuracy: 1e-13)
        XCTAssertEqual(m[3], h22, accuracy: 1e-13)
        assertBracket(e, contains: [h11, h12, h12, h22])
    }

    /// A scalar laminate along the diagonal, a(y1 + y2) I, gives the full tensor
    /// A_hom = H n nᵀ + M t tᵀ (n = (1, 1)/√2, t ⊥ n; H, M harmonic and arithmetic means):
    /// A_hom11 = A_hom22 = (H + M)/2, A_hom12 = (H − M)/2.
    func testDiagonalLaminateGivesAFullTensor() throws {
        let s = try twoD("\"1/(2 + sin(2*pi*(y1 + y2)))\"")
        let hm = 3.0.squareRoot(), am = 2.0
        let e = try EffectiveCoefficients.compute(s)
        // Layers across both fast variables are not a laminate along an axis: the cell problem decides.
        XCTAssertTrue(e.method.hasPrefix("cell problem"), e.method)
        // Nor are π along y2 with B along y1.
        let crossed = try EffectiveCoefficients.compute(try twoD("\"2 + sin(2*pi*y1)\"", pi: "1 + 0.5*cos(2*pi*y2)"), resolution: 16)
        XCTAssertTrue(crossed.method.hasPrefix("cell problem"), crossed.method)
        let m = e.aHom[0]
        XCTAssertEqual(m[0], (hm + am) / 2, accuracy: 1e-6)
        XCTAssertEqual(m[3], (hm + am) / 2, accuracy: 1e-6)
        XCTAssertEqual(m[1], (hm - am) / 2, accuracy: 1e-6)
        assertBracket(e, contains: [(hm + am) / 2, (hm - am) / 2, (hm - am) / 2, (hm + am) / 2])
    }

    /// A laminate across the (1, 2) direction, B = 2 + 1.5 sin 2π(y1 + 2y2), π = 1: A = 1/B, so
    /// A_hom = H n nᵀ + M (I − n nᵀ), n = (1, 2)/√5, H = 1/⟨B⟩ = 1/2, M = ⟨1/B⟩ = 1/√1.75. The
    /// certified bracket holds it at every resolution the user may give, down to R = 8, where 3
    /// Gauss points per element left the element moments off enough for the upper bound to fall
    /// 3.3e-5 below A_hom (a review); the points now grow on coarse grids.
    func testBracketHoldsOnCoarseGridsForSmoothMedia() throws {
        let s = try twoD("\"2 + 1.5*sin(2*pi*(y1 + 2*y2))\"")
        let h = 0.5, m = 1 / 1.75.squareRoot(), n = (1 / 5.0.squareRoot(), 2 / 5.0.squareRoot())
        let exact = [h * n.0 * n.0 + m * (1 - n.0 * n.0), (h - m) * n.0 * n.1, (h - m) * n.0 * n.1, h * n.1 * n.1 + m * (1 - n.1 * n.1)]
        for r in [8, 16, 32] {
            let e = try EffectiveCoefficients.compute(s, resolution: r)
            XCTAssertTrue(e.method.hasPrefix("cell problem"), e.method)
            assertBracket(e, contains: exact, slack: 1e-12, "R = \(r)")
        }
    }

    /// Rotating a medium by 90° (B'(y) = R B(Rᵀy) Rᵀ, π'(y) = π(Rᵀy)) permutes A_hom:
    /// A'11 = A22, A'22 = A11, A'12 = −A12. The medium is diagonal but π couples y1 and y2, so
    /// A_hom has cross terms. The cell grid is mapped onto itself, so the agreement is to the
    /// solver tolerance.
    func testRotationByNinetyDegreesPermutesAHom() throws {
        let s = try twoD("[\"1.5 + 0.5*sin(2*pi*y1)\", \"1.5 + 0.5*cos(2*pi*y2)\"]",
                         pi: "exp(0.5*cos(2*pi*(y1 + y2)) + 0.3*sin(2*pi*y1))")
        let r = try twoD("[\"1.5 + 0.5*cos(2*pi*y1)\", \"1.5 + 0.5*sin(2*pi*y2)\"]",
                         pi: "exp(0.5*cos(2*pi*(y2 - y1)) + 0.3*sin(2*pi*y2))")
        let a = try EffectiveCoefficients.compute(s).aHom[0], b = try EffectiveCoefficients.compute(r).aHom[0]
        XCTAssertGreaterThan(abs(a[1]), 0.01)
        XCTAssertEqual(b[0], a[3], accuracy: 1e-9)
        XCTAssertEqual(b[3], a[0], accuracy: 1e-9)
        XCTAssertEqual(b[1], -a[1], accuracy: 1e-9)
    }

    /// A two-phase laminate along (1, 2) (an independent review): its steps cut the elements of
    /// every R-grid, so the bracket is marked NOT certified, naming a step off the edges (it is
    /// 3e-5 off at R = 512). The stopping rule measures the bracket's width in every direction
    /// (the largest generalised eigenvalue, never below the diagonal widths it used before): here
    /// ⟨A v, v⟩ at the estimate is within 1 % of the laminate formula along and across the layers
    /// — the formula A = ā I + (a_h − ā) n nᵀ, ā = 0.55, a_h = 2/11.
    func testATiltedLaminateIsNotCertifiedAndItsWidthIsMeasuredInEveryDirection() throws {
        let s = try twoD("\"1 + 9*floor(mod(y1 + 2*y2, 1) + 0.5)\"")
        let e = try EffectiveCoefficients.compute(s)
        let caveat = try XCTUnwrap(e.bracketCaveat)
        XCTAssertTrue(caveat.contains("cuts elements of the R-grid (at y"), caveat)
        XCTAssertTrue(caveat.contains("NOT certified"), caveat)
        let width = EffectiveCoefficients.bracketWidth(lower: e.aHomLower![0], upper: e.aHomUpper![0], dimension: 2)
        XCTAssertLessThanOrEqual(width, EffectiveCoefficients.defaultBracketWidth)
        let n = [1 / 5.0.squareRoot(), 2 / 5.0.squareRoot()], t = [-n[1], n[0]]
        func form(_ a: [Double], _ v: [Double]) -> Double {
            let diagonal: Double = a[0] * v[0] * v[0] + a[3] * v[1] * v[1]
            let cross: Double = 2 * a[1] * v[0] * v[1]
            return diagonal + cross
        }
        XCTAssertEqual(form(e.aHom[0], n), 2.0 / 11, accuracy: 0.01 * 2 / 11)
        XCTAssertEqual(form(e.aHom[0], t), 0.55, accuracy: 0.01 * 0.55)
        // An eighths checkerboard: every step is on an element edge at R = 64, so no caveat (the
        // 4e-9 margin for spurious leaves beside a step is not exercised here: this passes at 1e-9 too).
        let eighths = try EffectiveCoefficients.compute(twoD("\"1 + 9*mod(floor(8*y1) + floor(8*y2), 2)\""), resolution: 64)
        XCTAssertNil(eighths.bracketCaveat, eighths.bracketCaveat ?? "")
        // The generalised width is never below the diagonal one.
        let lower = e.aHomLower![0], upper = e.aHomUpper![0]
        let diagonal = max((upper[0] - lower[0]) / lower[0], (upper[3] - lower[3]) / lower[3])
        XCTAssertGreaterThanOrEqual(width, diagonal * (1 - 1e-12))
    }

    /// Two-phase checkerboards (Keller–Dykhne: A_hom = √(ab) I): contrast 10 at the default
    /// resolution is within 1% of √10 and its certified bracket contains √10 (the bracket decides
    /// the resolution: 2% wide); contrast 4 likewise for 2. The bracket narrows under refinement.
    func testCheckerboardKellerDykhne() throws {
        for (contrast, exact) in [(9, 10.0.squareRoot()), (3, 2.0)] {
            let medium = "\"1/(1 + \(contrast)*mod(floor(2*mod(y1, 1)) + floor(2*mod(y2, 1)), 2))\""
            let s = try twoD(medium)
            let e = try EffectiveCoefficients.compute(s)
            XCTAssertEqual(e.aHom[0][0], exact, accuracy: 0.01 * exact)
            XCTAssertEqual(e.aHom[0][3], exact, accuracy: 0.01 * exact)
            assertBracket(e, contains: [exact, 0, 0, exact])
            let l = e.aHomLower![0][0], u = e.aHomUpper![0][0]
            XCTAssertLessThanOrEqual((u - l) / l, EffectiveCoefficients.defaultBracketWidth)
            // Every step lies on an element edge (y = ½ at even R): certified, no caveat.
            XCTAssertNil(e.bracketCaveat)
            let widths = try [16, 32, 64].map { r -> Double in
                let c = try EffectiveCoefficients.compute(s, resolution: r)
                assertBracket(c, contains: [exact, 0, 0, exact], "R = \(r)")
                return c.aHomUpper![0][0] - c.aHomLower![0][0]
            }
            XCTAssertLessThan(widths[1], widths[0])
            XCTAssertLessThan(widths[2], widths[1])
        }
        // Contrast 1000: the bracket holds √1000 but is far wider than 20 % at the default rule's
        // last resolution, and the estimate (80 % high, a review found) is not offered as the better
        // figure: the caveat says to quote the bracket.
        let wide = try EffectiveCoefficients.compute(twoD("\"1/(1 + 999*mod(floor(2*mod(y1, 1)) + floor(2*mod(y2, 1)), 2))\""))
        let root = Double(1000).squareRoot()
        assertBracket(wide, contains: [root, 0, 0, root])
        XCTAssertGreaterThan(wide.aHomUpper![0][0] / wide.aHomLower![0][0] - 1, EffectiveCoefficients.untrustedEstimateWidth)
        XCTAssertTrue(wide.resolutionCaveat?.contains("quote the bracket") == true, wide.resolutionCaveat ?? "no caveat")
        XCTAssertFalse(wide.resolutionCaveat?.contains("better figure") == true)
    }

    /// Smooth 2D medium: both bounds converge at second order (observed order from R = 16, 32,
    /// 64 within 0.3 of 2), they bracket a fine reference, and the extrapolated estimate is far
    /// more accurate than either bound.
    func testBoundsConvergeAtSecondOrder() throws {
        let s = try twoD("[\"2 + sin(2*pi*y1)*cos(2*pi*y2)\", \"2 + cos(2*pi*(y1 + y2))\"]",
                         pi: "1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2)")
        let runs = try [16, 32, 64, 256].map { try EffectiveCoefficients.compute(s, resolution: $0) }
        let reference = runs[3].aHom[0]
        for bound in [{ (e: EffectiveCoefficients) in e.aHomUpper![0][0] }, { (e: EffectiveCoefficients) in e.aHomLower![0][0] }] {
            let v = runs.map(bound)
            XCTAssertEqual(log2(abs(v[0] - v[1]) / abs(v[1] - v[2])), 2, accuracy: 0.3)
        }
        for e in runs.prefix(3) { assertBracket(e, contains: reference) }
        let width64 = runs[2].aHomUpper![0][0] - runs[2].aHomLower![0][0]
        XCTAssertLessThan(abs(runs[2].aHom[0][0] - reference[0]), 1e-3 * width64)
    }

    /// A medium positive definite on the validation grid but not between its points is caught
    /// at the cell problem's quadrature points, with a message naming the medium and the place.
    func testMediumIndefiniteBetweenCheckPointsIsCaught() throws {
        let s = try twoD("\"0.001 - sin(4096*pi*y1)^2 + 0*y2\"")
        XCTAssertThrowsError(try EffectiveCoefficients.compute(s)) { error in
            guard case .badMedium(let text) = error as? SolverError else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("[medium] B is not positive definite"), text)
        }
    }

    /// The estimate lies in the certified bracket in every direction, not only on the diagonal: with
    /// L = [[1, ½], [½, 1]] (an exact lower bound along (1, 1)/√2), U = L + 0.2 I and a Romberg
    /// estimate E = [[1.05, 0.4], [0.4, 1.05]] whose diagonal is inside but ⟨(E − L)v, v⟩ = −0.05
    /// along (1, 1)/√2, the segment from E to M = (L + U)/2 enters the bracket at s = 1/3 (where
    /// (1 − s)(−0.05) + 0.1 s = 0): the estimate is (2E + M)/3. An estimate inside is kept.
    func testTheEstimateIsMovedIntoTheBracketInEveryDirection() {
        let l = SymmetricMatrix(rowMajor: [1, 0.5, 0.5, 1], dimension: 2)
        let u = SymmetricMatrix(rowMajor: [1.2, 0.5, 0.5, 1.2], dimension: 2)
        let e = SymmetricMatrix(rowMajor: [1.05, 0.4, 0.4, 1.05], dimension: 2)
        let moved = CellBounds.intoBracket(e, lower: l, upper: u)
        let expected = [1.05 * 2 / 3 + 1.1 / 3, 0.4 * 2 / 3 + 0.5 / 3]
        XCTAssertEqual(moved[0, 0], expected[0], accuracy: 1e-12)
        XCTAssertEqual(moved[1, 1], expected[0], accuracy: 1e-12)
        XCTAssertEqual(moved[0, 1], expected[1], accuracy: 1e-12)
        let inside = SymmetricMatrix(rowMajor: [1.1, 0.52, 0.52, 1.1], dimension: 2)
        XCTAssertEqual(CellBounds.intoBracket(inside, lower: l, upper: u).rowMajor, inside.rowMajor)
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
