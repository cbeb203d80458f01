import Foundation
import Homogen
import XCTest

/// Inputs that once crashed the tool (stack overflow, an assertion inside the TOML library)
/// and the fuzzing seeds: each must now give an error, in process (a crash here kills the test run).
final class RobustnessTests: XCTestCase {
    private func expressionError(_ text: String) -> ExpressionError? {
        do {
            _ = try ExpressionParser.parse(text)
            return nil
        } catch {
            return error as? ExpressionError
        }
    }

    /// Regression: `((((…y…))))` a few thousand deep overflowed the stack (SIGSEGV) in check and sample.
    func testDeeplyNestedBracketsAreRefusedWithTheLimit() {
        for depth in [1001, 5000, 40_000] {
            let text = String(repeating: "(", count: depth) + "y" + String(repeating: ")", count: depth)
            let e = expressionError(text)
            XCTAssertNotNil(e, "depth \(depth)")
            XCTAssertTrue(e?.message.contains("more than \(ExpressionParser.maxDepth) levels") ?? false, "\(String(describing: e))")
        }
        for text in [String(repeating: "-", count: 20_000) + "x", "sin(" + String(repeating: "2^", count: 20_000) + "x)"] {
            XCTAssertTrue(expressionError(text)?.message.contains("levels") ?? false)
        }
    }

    /// Regression: a flat sum of 400 000 terms overflowed the stack (in lowering and in freeing the tree).
    func testLongFlatSumsAreRefusedWithTheLimit() {
        let long = Array(repeating: "1", count: 400_000).joined(separator: "+")
        XCTAssertTrue(expressionError(long)?.message.contains("more than the limit of \(ExpressionParser.maxLength)") ?? false)
        let deep = Array(repeating: "1", count: 30_000).joined(separator: "+")
        XCTAssertTrue(expressionError(deep)?.message.contains("more than \(ExpressionParser.maxDepth) levels") ?? false)
    }

    /// Just inside the limit, the whole pipeline (lowering, derivatives of derivatives) works and is exact.
    func testExpressionsAtTheLimitAreCompiledAndDifferentiated() throws {
        let terms = ExpressionParser.maxDepth - 1
        let text = Array(repeating: "x", count: terms).joined(separator: "+")
        let g = ExpressionGraph()
        let id = try g.lower(try ExpressionParser.parse(text), variables: ["x": 0], constants: [:], field: "t")
        let d = try g.derivative(of: id, withRespectTo: 0)
        XCTAssertEqual(g.evaluate([id, d], at: [0.5]), [Double(terms) * 0.5, Double(terms)])
        let nested = String(repeating: "(", count: ExpressionParser.maxDepth - 1) + "x^2" + String(repeating: ")", count: ExpressionParser.maxDepth - 1)
        let n = try g.lower(try ExpressionParser.parse(nested), variables: ["x": 0], constants: [:], field: "t")
        XCTAssertEqual(g.evaluate([try g.derivative(of: n, withRespectTo: 0)], at: [3]), [6])
    }

    /// Trees built in Swift are not limited by the parser; the lowering refuses them instead.
    func testDeepSwiftBuiltTreesAreRefusedByTheLowering() {
        var e = Expression.variable("x", column: nil)
        for _ in 0..<(ExpressionParser.maxDepth + 5) { e = .negate(e) }
        XCTAssertThrowsError(try ExpressionGraph().lower(e, variables: ["x": 0], constants: [:], field: "[medium] B")) { error in
            XCTAssertTrue((error as? ExpressionError)?.message.contains("[medium] B nests more than") ?? false, "\(error)")
        }
    }

    /// Regression: `[[[` stopped the process with an assertion inside toml++ (SIGABRT).
    func testTomlThatAbortedTheLibraryIsAnError() {
        assertScenarioError("[[[\n", key: "", contains: "line 1, column 2: arrays of tables")
        assertScenarioError("[[[", key: "", contains: "arrays of tables")
        assertScenarioError("[=\n", key: "", contains: "line 1, column 2: expected a key")
        assertScenarioError("name = \"x\"\n[ =", key: "", contains: "line 2, column 3")
    }

    /// Every seed of the scenario fuzz target (Fuzz/seeds/scenario: the tests' bad inputs and the
    /// crashes found) loads, in process, without a crash: to a scenario, or to a ScenarioError
    /// (all the seeds named crash-* are malformed, and must give the error).
    func testEveryScenarioFuzzSeedLoadsOrGivesAnError() throws {
        let dir = repositoryRoot.appendingPathComponent("Fuzz/seeds/scenario")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 10)
        for f in files {
            let data = try Data(contentsOf: dir.appendingPathComponent(f))
            guard let text = String(data: data, encoding: .utf8) else { continue }
            do {
                _ = try Scenario(toml: text, source: f)
                XCTAssertFalse(f.hasPrefix("crash-"), "\(f) loaded")
            } catch {
                XCTAssertTrue(error is ScenarioError, "\(f): \(error)")
            }
        }
    }

    /// Every seed of the expression fuzz target parses to a tree or to an ExpressionError.
    func testEveryExpressionFuzzSeedParsesOrGivesAnError() throws {
        let dir = repositoryRoot.appendingPathComponent("Fuzz/seeds/expression")
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent(f)), as: UTF8.self)
            do { _ = try ExpressionParser.parse(text) } catch { XCTAssertTrue(error is ExpressionError, "\(f): \(error)") }
        }
    }

    func testTomlOutsideTheSubsetNamesWhatIsNotSupported() {
        let cases: [(String, String)] = [
            ("a = {b = 1}\n", "inline tables"),
            ("a = \"\"\"x\"\"\"\n", "multi-line strings"),
            ("a.b = 1\n", "dotted keys"),
            ("a = 1979-05-27\n", "dates"),
            ("a = 0x1F\n", "decimal"),
            ("a = [[[[[1]]]]]\n", "nest more than 4"),
            ("a = \"x\u{0}y\"\n", "control character"),
            ("a = \"\\uD800\"\n", "not a Unicode scalar"),
            // Escaped control characters: NUL cut B = "2\u0000 + sin(2*pi*y)" to "2" (a review).
            ("B = \"2\\u0000 + sin(2*pi*y)\"\n", "control character U+0000"),
            ("a = \"x\\U0000001by\"\n", "control character U+001B"),
            ("a = \"open\n", "not closed"),
            ("a = 1 2\n", "after the value"),
            ("a = sin(x)\n", "quote text"),
        ]
        for (text, message) in cases { assertScenarioError(text, key: "", contains: message) }
    }

    /// The subset keeps what scenario files use: arrays over lines with comments, CRLF, literal strings, inf.
    func testTomlSubsetAcceptsWhatScenariosUse() throws {
        let text = scenario1D(["outputs": "outputs = [\r\n  0.0, # start\r\n  1e-2,\r\n]", "name": "name = 'literal'"])
            .replacingOccurrences(of: "\n", with: "\r\n").replacingOccurrences(of: "\r\r\n", with: "\r\n")
        let s = try Scenario(toml: text)
        XCTAssertEqual(s.time.outputs, [0.0, 0.01])
        XCTAssertEqual(s.name, "literal")
    }

    /// `epsilon = 1/8` unquoted: a hint to quote it.
    func testUnquotedFractionGetsAHint() {
        assertScenarioError(scenario1D(["epsilon": "epsilon = 1/8"]), key: "", contains: "quote the fraction, epsilon = \"1/8\"")
        assertScenarioError(scenario1D(["epsilon": "epsilon = 1 / 16"]), key: "", contains: "epsilon = \"1 / 16\"")
    }

    /// Output folders named by one character, relative or absolute, with trailing slashes:
    /// swift-corelibs-foundation's `deletingLastPathComponent` trapped on "q", so the parent
    /// folder is found by hand (`AtomicFile.parentFolder`); a run folder "q" is written in place.
    func testOneCharacterOutputFoldersAreWritten() throws {
        XCTAssertEqual(AtomicFile.parentFolder(of: "q"), "")
        XCTAssertEqual(AtomicFile.parentFolder(of: "q/"), "")
        XCTAssertEqual(AtomicFile.parentFolder(of: "/q"), "/")
        XCTAssertEqual(AtomicFile.parentFolder(of: "a/b/c"), "a/b")
        XCTAssertEqual(AtomicFile.parentFolder(of: "a/b//"), "a")
        XCTAssertEqual(AtomicFile.parentFolder(of: "/"), "/")
        let base = temporaryPath("one-character")
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let r = try runHomogen(["sample", repositoryRoot.appendingPathComponent("scenarios/bench-1d.toml").path, "--particles", "200",
                                "--skip-dt-check", "--quiet", "--out", "q"], directory: base)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: base + "/q/summary.json"))
    }
}
