import Foundation
import Homogen
import XCTest

/// Every kind of bad input gets an error naming the file, the key and, inside an
/// expression, the column.
final class ScenarioValidationTests: XCTestCase {
    func testValidScenarioLoads() throws {
        let s = try Scenario(toml: scenario1D())
        XCTAssertEqual(s.inverseEpsilon, 4)
        XCTAssertEqual(s.facts.mediumSmallestEigenvalue, 1, accuracy: 1e-6)
        XCTAssertEqual(s.facts.equilibriumMass, 1, accuracy: 1e-12)
        // The canonical text loads back to the same scenario.
        let again = try Scenario(toml: s.tomlText)
        XCTAssertEqual(ScenarioRecord(again), ScenarioRecord(s))
    }

    func testMalformedToml() {
        assertScenarioError("name = \"x\"\ndimension = [1, \n", key: "", contains: "malformed TOML at line")
    }

    func testUnknownAndMissingKeys() {
        assertScenarioError(scenario1D(["seed": "seed = 7\nsead = 3"]), key: "[particles] sead", contains: "unknown key in [particles]")
        assertScenarioError(scenario1D(["name": "name = \"a\"\ncolour = 1"]), key: "colour", contains: "unknown key at the top level")
        assertScenarioError(scenario1D(drop: ["dt"]), key: "[time] dt", contains: "missing")
        assertScenarioError(scenario1D(drop: ["[grid]", "cells"]), key: "[grid]", contains: "missing")
        assertScenarioError(scenario1D(drop: ["pi"]), key: "[equilibrium]", contains: "give pi or U")
        assertScenarioError(scenario1D(["pi": "pi = \"1\"\nU = \"0\""]), key: "[equilibrium]", contains: "not both")
        assertScenarioError(scenario1D(["count": "count = \"many\""]), key: "[particles] count", contains: "must be a whole number")
        assertScenarioError(scenario1D(["seed": "seed = 1e30"]), key: "[particles] seed", contains: "1e+30 is out of range")
        assertScenarioError(scenario1D(["convention": "convention = \"ito-ish\""]), key: "[particles] convention", contains: "not one of")
    }

    /// 1/ε beyond what the checks and the ε-solvers resolve in 2D (512) and 3D (32) is refused at
    /// once, naming `epsilon`: `check` on ε = 10⁻⁶ in 2D ran without end, growing to gigabytes.
    func testEpsilonBeyondWhatTheDimensionResolvesIsRefused() throws {
        let twoD = ["dimension": "dimension = 2", "B": "B = \"2 + sin(2*pi*y1)\"", "pi": "pi = \"1\"", "f": "rho = \"1\""]
        assertScenarioError(scenario1D(twoD.merging(["epsilon": "epsilon = \"1/1000000\""]) { $1 }), key: "epsilon",
                            contains: "1/epsilon must be an integer from 1 to 512 in 2D, not 1000000")
        assertScenarioError(scenario1D(twoD.merging(["epsilon": "epsilon = \"1/1024\"", "dimension": "dimension = 3",
                                                     "B": "B = \"2 + sin(2*pi*y3)\""]) { $1 }),
                            key: "epsilon", contains: "from 1 to 32 in 3D, not 1024")
        XCTAssertNoThrow(try Scenario(toml: scenario1D(["epsilon": "epsilon = \"1/100000\""])), "1D takes up to 10^6")
        // 1/ε beyond Int.max trapped while the message was formatted.
        for tiny in ["1e-19", "1e-300", "\"1/1e19\""] {
            assertScenarioError(scenario1D(["epsilon": "epsilon = \(tiny)"]), key: "epsilon", contains: "is larger than 1000000")
        }
    }

    /// π whose values span more than 100 decades (exp(700 cos 2πy)) is refused with the range it
    /// spans; the solvers overflowed on it ("the solution became NaN") or said π "nearly vanishes".
    func testEquilibriumBeyondDoublePrecisionIsRefused() throws {
        assertScenarioError(scenario1D(["pi": "pi = \"exp(700*cos(2*pi*y))\""]), key: "[equilibrium] pi",
                            contains: "π spans 608 decades on the check grid")
        XCTAssertNoThrow(try Scenario(toml: scenario1D(["pi": "pi = \"exp(100*cos(2*pi*y))\""])))
    }

    func testExpressionErrorsCarryTheColumn() {
        assertScenarioError(scenario1D(["B": "B = \"2 + sin(2*pi*y\""]), key: "[medium] B", contains: "expected ',' or ')' in the arguments of sin", column: 15)
        assertScenarioError(scenario1D(["B": "B = \"2 + (1 + sin(2*pi*y)\""]), key: "[medium] B", contains: "'(' at column 5 is not closed", column: 21)
        assertScenarioError(scenario1D(["B": "B = \"2 + sech(y)\""]), key: "[medium] B", contains: "unknown function 'sech'", column: 5)
        assertScenarioError(scenario1D(["pi": "pi = \"1 + 0.5*cos(2*pi*x1)\""]), key: "[equilibrium] pi", contains: "unknown variable 'x1'", column: 18)
    }

    func testEpsilon() {
        assertScenarioError(scenario1D(["epsilon": "epsilon = \"1/2.5\""]), key: "epsilon", contains: "not an integer")
        // Decimal numerals only, and no signs inside a fraction (Double("0x10") is 16; "-1/-4" was 1/4).
        for text in ["1/0x10", "0x0.4p0", "-1/-4", "1/inf", "nan"] {
            assertScenarioError(scenario1D(["epsilon": "epsilon = \"\(text)\""]), key: "epsilon", contains: "is neither a number nor a fraction")
        }
        XCTAssertEqual(try Scenario(toml: scenario1D(["epsilon": "epsilon = \" 1 / 8 \""])).inverseEpsilon, 8)
        XCTAssertEqual(try Scenario(toml: scenario1D(["epsilon": "epsilon = \"1.25e-1\""])).inverseEpsilon, 8)
        assertScenarioError(scenario1D(["epsilon": "epsilon = 0.3"]), key: "epsilon", contains: "not an integer")
        assertScenarioError(scenario1D(["epsilon": "epsilon = 0"]), key: "epsilon", contains: "positive")
        assertScenarioError(scenario1D(["epsilon": "epsilon = -0.25"]), key: "epsilon", contains: "positive")
        XCTAssertEqual(try Scenario(toml: scenario1D(["epsilon": "epsilon = 0.125"])).inverseEpsilon, 8)
        XCTAssertEqual(try Scenario(toml: scenario1D(["epsilon": "epsilon = 1"])).inverseEpsilon, 1)
    }

    func testMediumMustBePositiveDefinite() {
        assertScenarioError(scenario1D(["B": "B = \"0.5 + sin(2*pi*y)\""]), key: "[medium] B",
                            contains: "smallest eigenvalue on the check grid is -0.5, at y = 0.75")   // the worst point, not the first
        let full = scenario1D([
            "dimension": "dimension = 2",
            "B": "B = [[\"1\", \"2*cos(2*pi*y1)\"], [\"2*cos(2*pi*y1)\", \"1\"]]",
            "pi": "pi = \"1\"", "f": "rho = \"1\""])
        assertScenarioError(full, key: "[medium] B", contains: "not positive definite")
        let asymmetric = scenario1D([
            "dimension": "dimension = 2",
            "B": "B = [[\"2\", \"0.5*cos(2*pi*y1)\"], [\"0.5*sin(2*pi*y1)\", \"2\"]]",
            "pi": "pi = \"1\"", "f": "rho = \"1\""])
        assertScenarioError(asymmetric, key: "[medium] B", contains: "not symmetric: B[1][2] = 0.5 but B[2][1] = 0.0 at y1 = 0.0")
        // Positive but subnormal: 1/B overflows (it passed, and `effective` printed B_bar^-1 = inf).
        assertScenarioError(scenario1D(["B": "B = \"1e-320\""]), key: "[medium] B", contains: "is too small")
        assertScenarioError(scenario1D(["B": "B = [\"1\", \"2\"]"]), key: "[medium] B", contains: "in 1D the medium is one string")
        // A number: in 1D only a string is named; in 2D a list of numbers reads as a diagonal.
        assertScenarioError(scenario1D(["B": "B = 2"]), key: "[medium] B", contains: "must be a string in 1D (quote numbers")
        assertScenarioError(scenario1D(["dimension": "dimension = 2", "B": "B = [2, 2]", "pi": "pi = \"1\"", "f": "rho = \"1\""]),
                            key: "[medium] B[1]", contains: "must be a string (a diagonal entry; quote numbers")
    }

    func testEquilibriumAndInitialDensity() {
        // The worst point of the check grid is named, not the first bad one.
        assertScenarioError(scenario1D(["pi": "pi = \"cos(2*pi*y)\""]), key: "[equilibrium] pi",
                            contains: "minimum on the check grid is π = -1.0 at y = 0.5")
        assertScenarioError(scenario1D(["f": "rho = \"sin(2*pi*x)\""]), key: "[initial] rho",
                            contains: "negative initial density: its minimum on the check grid is -1.0 at x = 0.75")
        assertScenarioError(scenario1D(["f": "rho = \"0*x\""]), key: "[initial] rho", contains: "zero mass")
        assertScenarioError(scenario1D(["pi": "pi = \"2 + sin(y)\""]), key: "[equilibrium] pi", contains: "not 1-periodic in y")
        // A fast variable runs over [0, 1/ε): agreeing at y = 0 and 1 is not enough (the tent
        // min(y, 1 − y) gave ∫π_ε = −0.0625 in 3D); its periodic form, and a tent in x, are fine.
        assertScenarioError(scenario1D(["pi": "pi = \"2 + min(y, 1 - y)\""]), key: "[equilibrium] pi", contains: "at y = 0.2371 but")
        assertScenarioError(scenario1D(["B": "B = \"2 + floor(y/2)\""]), key: "[medium] B", contains: "not 1-periodic in y")
        XCTAssertNoThrow(try Scenario(toml: scenario1D(["pi": "pi = \"2 + min(mod(y, 1), 1 - mod(y, 1)) + min(x, 1 - x)\""])))
    }

    func testTimeSettings() {
        assertScenarioError(scenario1D(["outputs": "outputs = [0.005, 0.02]"]), key: "[time] outputs", contains: "outside [0, final]")
        assertScenarioError(scenario1D(["outputs": "outputs = [-0.001]"]), key: "[time] outputs", contains: "outside")
        assertScenarioError(scenario1D(["outputs": "outputs = [0.01, 0.005]"]), key: "[time] outputs", contains: "must increase")
        assertScenarioError(scenario1D(["outputs": "outputs = []"]), key: "[time] outputs", contains: "at least one")
        assertScenarioError(scenario1D(["dt": "dt = 0"]), key: "[time] dt", contains: "positive")
        assertScenarioError(scenario1D(["dt": "dt = -1e-5"]), key: "[time] dt", contains: "positive")
        assertScenarioError(scenario1D(["final": "final = 0"]), key: "[time] final", contains: "positive")
    }

    func testCountsOfZeroOrAbsurdSize() {
        assertScenarioError(scenario1D(["count": "count = 0"]), key: "[particles] count", contains: "from 1 to")
        assertScenarioError(scenario1D(["count": "count = 100000000000"]), key: "[particles] count", contains: "from 1 to")
        assertScenarioError(scenario1D(["cells": "cells = 0"]), key: "[grid] cells", contains: "from 1 to")
        assertScenarioError(scenario1D(["cells": "cells = 100000000"]), key: "[grid] cells", contains: "from 1 to")
        assertScenarioError(scenario1D(["seed": "seed = -1"]), key: "[particles] seed", contains: "non-negative")
    }

    func testFileErrorsNameTheFile() {
        XCTAssertThrowsError(try Scenario.load(path: "/nonexistent/x.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.toml: "), "\(error)")
        }
    }

    /// Closures are accepted for the same fields and give the same scenario as text.
    func testScenarioFromSwiftClosures() throws {
        let s = try Scenario(
            name: "closures", description: "from Swift", dimension: 1, inverseEpsilon: 4,
            medium: .scalar(Coefficient { v in 2 + sin(2 * .pi * v.y) }),
            equilibrium: .density(Coefficient { v in (1 + 0.5 * cos(2 * .pi * v.x)) * (1 + 0.5 * cos(2 * .pi * v.y)) }),
            initial: .relativeToEquilibrium(Coefficient { _ in 1 }),
            time: TimeSettings(final: 0.01, outputs: [0, 0.01], dt: 1e-5),
            particles: ParticleSettings(count: 1000, seed: 7), cells: 16)
        let t = try Scenario(toml: scenario1D())
        XCTAssertEqual(s.facts, t.facts)
        XCTAssertEqual(s.equilibriumCellMasses(), t.equilibriumCellMasses())
    }
}
