// libFuzzer targets for the two ways text enters homogen: the scenario loader (TOML subset check,
// toml++, the schema, expressions, validation) and the expression pipeline (parser, lowering,
// symbolic derivatives, tapes). Built only by scripts/fuzz.sh, with
// `swift build --sanitize fuzzer --sanitize address` (libFuzzer provides `main`).
// HOMOGEN_FUZZ_TARGET=scenario (default) or expression chooses the target; `tomlkit` feeds the
// TOML library directly, without the subset check, to measure what the check guards against.
import Foundation
import Homogen
import TOMLKit

private let target = ProcessInfo.processInfo.environment["HOMOGEN_FUZZ_TARGET"] ?? "scenario"

@_cdecl("LLVMFuzzerTestOneInput")
public func homogenFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if target == "expression" {
        fuzzExpression(String(decoding: bytes, as: UTF8.self))
    } else if target == "tomlkit" {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return 0 }
        _ = try? TOMLTable(string: text)
    } else {
        // As Scenario.load reads a file: bytes that are not UTF-8 are refused before parsing.
        guard let text = String(bytes: bytes, encoding: .utf8) else { return 0 }
        fuzzScenario(text)
    }
    return 0
}

/// Loads and validates a scenario; a valid one is also lowered and its cell masses computed
/// on a small grid (what every solver does first).
private func fuzzScenario(_ text: String) {
    guard let s = try? Scenario(toml: text, source: "fuzz") else { return }
    _ = s.lowered().fastAverageCellMasses(cells: 4)
}

/// Parses an expression, lowers it in the 2D variables, differentiates it twice in every
/// variable where it is differentiable, and evaluates the graph and a tape at a few points.
private func fuzzExpression(_ text: String) {
    guard let e = try? ExpressionParser.parse(text) else { return }
    _ = e.description
    let g = ExpressionGraph()
    let names = ["x1", "x2", "y1", "y2"]
    guard let root = try? g.lower(
        e, variables: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }),
        constants: ["eps": 0.125], field: "fuzz") else { return }
    var outputs = [root]
    for v in 0..<4 {
        guard let d = try? g.derivative(of: root, withRespectTo: v) else { continue }
        outputs.append(d)
        if let dd = try? g.derivative(of: d, withRespectTo: v) { outputs.append(dd) }
    }
    _ = g.evaluate(outputs, at: [0.1, 0.2, 0.3, 0.4])
    let tape = Tape(graph: g, outputs: outputs, inputs: [0, 1, 2, 3])
    let w = TapeWorkspace(tape: tape, capacity: 8)
    for slot in 0..<tape.inputs.count {
        for k in 0..<8 { w.input(slot)[k] = Double(k) / 8 + Double(slot) / 32 }
    }
    w.run(count: 8)
}
