import Foundation
@testable import Homogen
import CKernels
import XCTest

final class ExpressionTests: XCTestCase {
    private func value(_ text: String, _ vars: [String: Double] = [:]) throws -> Double {
        let g = ExpressionGraph()
        let names = vars.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let id = try g.lower(try ExpressionParser.parse(text), variables: index, constants: ["eps": 0.25], field: "t")
        return g.evaluate([id], at: names.map { vars[$0]! })[0]
    }

    func testPrecedenceAndAssociativity() throws {
        XCTAssertEqual(try value("-2^2"), -4)
        XCTAssertEqual(try value("2^-1"), 0.5)
        XCTAssertEqual(try value("2^3^2"), 512)
        XCTAssertEqual(try value("8/4/2"), 1)
        XCTAssertEqual(try value("8-4-2"), 2)
        XCTAssertEqual(try value("1 + 2*3"), 7)
        XCTAssertEqual(try value("(1 + 2)*3"), 9)
        XCTAssertEqual(try value("2.5e-1 + .5"), 0.75)
        XCTAssertEqual(try value("pi"), Double.pi)
        XCTAssertEqual(try value("eps"), 0.25)
        XCTAssertEqual(try value("mod(-0.25, 1)"), 0.75)
        XCTAssertEqual(try value("floor(-0.5) + abs(-2) + min(1, 2) + max(1, 2)"), -1 + 2 + 1 + 2)
        XCTAssertEqual(try value("x*y", ["x": 3, "y": 4]), 12)
        // `**` is `^` (Python's spelling), with the same precedence and associativity.
        XCTAssertEqual(try value("-2**2"), -4)
        XCTAssertEqual(try value("2**3^2"), 512)
        XCTAssertEqual(try value("3*2**2"), 12)
        XCTAssertEqual(try value("2 ** -1"), 0.5)
        XCTAssertEqual(try value("cosh(0.3)"), cosh(0.3), accuracy: 1e-15)
        XCTAssertEqual(try value("sinh(-0.7)"), sinh(-0.7), accuracy: 1e-15)
    }

    func testPrintedFormParsesBack() throws {
        for text in ["-x^2", "(1 - x) - (2 - y)", "2^(3^x)", "(2^3)^x", "-(x + y)*sin(2*pi*y)", "x/(y*2)", "x - -y"] {
            let e = try ExpressionParser.parse(text)
            XCTAssertEqual(try ExpressionParser.parse(e.description), e, text)
        }
    }

    func testSyntaxErrorsNameTheColumn() {
        let cases: [(String, Int?, String)] = [
            ("1 + ", 5, "ends"),
            ("sinn(y)", 1, "unknown function 'sinn'"),
            ("2 + (y", 7, "'(' at column 5 is not closed"),
            ("2pi", 2, "'*'"),
            ("y $ 2", 3, "unexpected '$'"),
            ("sin y", 1, "parentheses"),
            ("mod(y)", 1, "2 arguments"),
            ("2 * *3", 5, "unexpected '*'"),
            ("", nil, "empty"),
        ]
        for (text, column, message) in cases {
            XCTAssertThrowsError(try ExpressionParser.parse(text), text) { error in
                let e = error as! ExpressionError
                XCTAssertEqual(e.column, column, "\(text): \(e)")
                XCTAssertTrue(e.message.contains(message), "\(text): \(e.message)")
            }
        }
    }

    func testUnknownVariableIsNamedWithColumn() {
        XCTAssertThrowsError(try value("1 + z", ["x": 0, "y": 0])) { error in
            let e = error as! ExpressionError
            XCTAssertEqual(e.column, 5)
            XCTAssertTrue(e.message.contains("'z'"))
        }
    }

    /// Symbolic derivatives against hand-derived closed forms at several points.
    func testDerivativesMatchClosedForms() throws {
        let g = ExpressionGraph()
        let vars = ["x": 0, "y": 1]
        func node(_ t: String) throws -> NodeID {
            try g.lower(try ExpressionParser.parse(t), variables: vars, constants: [:], field: "t")
        }
        let cases: [(String, (Double, Double) -> Double)] = [
            ("sin(2*pi*x)*exp(y)", { x, y in 2 * .pi * cos(2 * .pi * x) * exp(y) }),
            ("log(2 + cos(x)) / (1 + y^2)", { x, y in -sin(x) / (2 + cos(x)) / (1 + y * y) }),
            ("sqrt(3 + x*y) + tan(x/3)", { x, y in y / (2 * (3 + x * y).squareRoot()) + 1 / pow(cos(x / 3), 2) / 3 }),
            ("tanh(x - y)^3", { x, y in 3 * pow(tanh(x - y), 2) * (1 - pow(tanh(x - y), 2)) }),
            ("(2 + x)^(1 + y)", { x, y in (1 + y) * pow(2 + x, y) }),
            ("-x/(1 + x*x)", { x, _ in -(1 - x * x) / pow(1 + x * x, 2) }),
            ("cosh(x*y) + sinh(2*x)", { x, y in y * sinh(x * y) + 2 * cosh(2 * x) }),
        ]
        for (text, exact) in cases {
            let f = try node(text)
            let df = try g.derivative(of: f, withRespectTo: 0)
            for (x, y) in [(0.1, 0.2), (0.7, -0.3), (1.3, 0.9)] {
                let v = g.evaluate([df], at: [x, y])[0]
                XCTAssertEqual(v, exact(x, y), accuracy: 1e-12 * max(1, abs(v)), "\(text) at (\(x), \(y))")
            }
        }
    }

    func testNonDifferentiableFunctionsAreRefused() throws {
        let g = ExpressionGraph()
        let f = try g.lower(try ExpressionParser.parse("2 + floor(2*y)"), variables: ["y": 0], constants: [:],
                            field: "[medium] B")
        XCTAssertThrowsError(try g.derivative(of: f, withRespectTo: 0)) { error in
            let e = error as! ExpressionGraph.NotDifferentiable
            XCTAssertTrue(e.description.contains("'floor' in [medium] B at column 5"), e.description)
        }
    }

    /// The vectorised tape (register reuse, AVX2 or baseline kernels) agrees with one-point
    /// evaluation of the graph on every operation.
    func testTapeAgreesWithPointEvaluation() throws {
        let g = ExpressionGraph()
        let vars = ["x": 0, "y": 1]
        let texts = [
            "sin(2*pi*x)*cos(2*pi*y) + exp(x - y)/(2 + tanh(y))",
            "log(1.5 + sin(3*x)) * sqrt(2 + cos(y)) - tan(0.3*x)",
            "mod(x - 2*y, 0.3) + floor(4*x) + abs(x - y) + min(x, y) * max(x, 2*y)",
            "(1.5 + x)^(0.5 + y) - -x",
        ]
        let nodes = try texts.map { try g.lower(try ExpressionParser.parse($0), variables: vars, constants: [:], field: "t") }
        let derivatives = try nodes.prefix(2).map { try g.derivative(of: $0, withRespectTo: 0) }
        let outputs = nodes + derivatives
        let count = 1000
        let xs = (0..<count).map { Double($0) / Double(count) }
        let ys = xs.map { 0.37 + 0.61 * sin(17 * $0) }
        let values = BatchEvaluator(graph: g, outputs: outputs, inputs: [0, 1], batch: 256).evaluate([xs, ys])
        for i in stride(from: 0, to: count, by: 7) {
            let exact = g.evaluate(outputs, at: [xs[i], ys[i]])
            for k in 0..<outputs.count {
                // libmvec's vector functions are accurate to 4 ulp; tape and scalar libm may differ by that.
                XCTAssertEqual(values[k][i], exact[k], accuracy: 1e-13 * max(1, abs(exact[k])), "output \(k) at \(i)")
            }
        }
    }

    /// The listing shows the program the kernels run: constants, then one instruction per line
    /// with registers reused once free, then the output registers.
    func testTapeListingShowsEveryInstruction() throws {
        let g = ExpressionGraph()
        let e = try g.lower(try ExpressionParser.parse("sin(2*x) + y*y"), variables: ["x": 0, "y": 1], constants: [:], field: "t")
        let tape = Tape(graph: g, outputs: [e], inputs: [0, 1])
        // y·y is read by the addition alone, so the two are one fused instruction: sin(2x) + (y·y).
        XCTAssertEqual(tape.listing, """
            r2 = 2.0
            r3 = mul r2 r0
            r4 = sin r3
            r3 = mul+add' r1 r1 r4
            outputs: r3
            """)
        XCTAssertEqual(tape.operationSummary, "1 sin, 1 mul, 1 mul+add'")
        let unfused = Tape(graph: g, outputs: [e], inputs: [0, 1], fusing: false)
        XCTAssertEqual(unfused.listing, """
            r2 = 2.0
            r3 = mul r2 r0
            r4 = sin r3
            r3 = mul r1 r1
            r5 = add r4 r3
            outputs: r5
            """)
    }

    /// Every fused pair (t = a OP1 b, then t OP2 c or c OP2 t, OP in +, −, ×, ÷) rounds exactly as
    /// the two separate instructions: the fused tape agrees with the unfused one bit for bit, on
    /// values that make every operation round (and on a chunk length that leaves a remainder).
    func testFusedPairsAreBitIdenticalToSeparateInstructions() throws {
        let g = ExpressionGraph()
        let vars = ["x": 0, "y": 1]
        // Distinct constants keep every t read by its own expression only (no shared nodes).
        var texts: [String] = [], k = 0
        for first in ["+", "-", "*", "/"] {
            for second in ["+", "-", "*", "/"] {
                k += 1
                texts.append("(x \(first) sin(y + \(k))) \(second) cos(y + 0.\(k))")   // t first
                texts.append("cos(y - 0.\(k)) \(second) (x \(first) sin(y - \(k)))")   // t second
            }
        }
        texts.append("((x * 3.7 + y) * (y - 0.17) / (x + 2.3) - x * x) * 1.9 + (y / 3) * (x / 7)")
        let nodes = try texts.map { try g.lower(try ExpressionParser.parse($0), variables: vars, constants: [:], field: "t") }
        let fused = Tape(graph: g, outputs: nodes, inputs: [0, 1])
        let separate = Tape(graph: g, outputs: nodes, inputs: [0, 1], fusing: false)
        // All 32 fused kernels are used; the last expression fuses 6 pairs (greedily, in order:
        // x·3.7 into +y, y − 0.17 into the product, x + 2.3 into the quotient, x·x into the
        // difference, y/3 into the product of quotients, the ×1.9 into the final sum).
        XCTAssertEqual(Set(fused.ops.filter { $0 >= HK_FUSED.rawValue }).count, 32, fused.operationSummary)
        XCTAssertEqual(fused.instructionCount, separate.instructionCount - 32 - 6, fused.operationSummary)
        let count = 1003
        let xs = (0..<count).map { 0.1 + 3.3 * Double($0) / Double(count) }
        let ys = xs.map { 0.37 + 0.61 * sin(17 * $0) }
        func run(_ tape: Tape) -> [[Double]] {
            let w = TapeWorkspace(tape: tape, capacity: count)
            w.input(0).update(from: xs, count: count)
            w.input(1).update(from: ys, count: count)
            w.run(count: count)
            return nodes.indices.map { Array(UnsafeBufferPointer(start: w.output($0), count: count)) }
        }
        let a = run(fused), b = run(separate)
        for k in nodes.indices {
            for i in 0..<count where a[k][i].bitPattern != b[k][i].bitPattern {
                XCTFail("\(texts[k]) at point \(i): fused \(a[k][i]) against \(b[k][i])")
                break
            }
        }
    }

    func testClosuresTraceToTheSameFieldAsText() throws {
        let fromText = try Coefficient("2 + sin(2*pi*y)")
        let fromClosure = Coefficient { v in 2 + sin(2 * .pi * v.y) }
        XCTAssertEqual(fromText.expression, fromClosure.expression)
    }
}
