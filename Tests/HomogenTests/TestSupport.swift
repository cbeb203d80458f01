import Foundation
import Homogen
import XCTest

/// The package root (two folders above this file's folder).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The built `homogen` executable, next to the test bundle.
var homogenExecutable: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
    let candidate = dir.appendingPathComponent("homogen")
    if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
    return Bundle.main.bundleURL.appendingPathComponent("homogen")
}

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `homogen` with arguments, from the repository root (or `directory`). Its time-step
/// journals (`TimeStepJournal`) go to a fresh folder (`cache`, default a new temporary one), so
/// that no test reuses another's pilots unless it asks to.
func runHomogen(_ arguments: [String], cache: String? = nil, directory: String? = nil) throws -> CLIResult {
    let p = Process()
    p.executableURL = homogenExecutable
    p.arguments = arguments
    p.currentDirectoryURL = directory.map { URL(fileURLWithPath: $0) } ?? repositoryRoot
    var environment = ProcessInfo.processInfo.environment
    environment["HOMOGEN_CACHE_DIR"] = cache ?? temporaryPath("cache")
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                     stderr: String(decoding: e, as: UTF8.self))
}

/// A fresh temporary folder path (not created).
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("homogen-tests-\(getpid())-\(UUID().uuidString.prefix(8))-\(name)").path
}

/// A valid 1D scenario; `replace` substitutes whole lines starting with the given key text.
func scenario1D(_ replace: [String: String] = [:], drop: [String] = []) -> String {
    var lines = """
        name = "test-1d"
        description = "test"
        dimension = 1
        epsilon = "1/4"
        [medium]
        B = "2 + sin(2*pi*y)"
        [equilibrium]
        pi = "(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*cos(2*pi*y))"
        [initial]
        f = "1"
        [time]
        final = 0.01
        outputs = [0.0, 0.01]
        dt = 1e-5
        [particles]
        count = 1000
        seed = 7
        convention = "backward-ito"
        [grid]
        cells = 16
        """.components(separatedBy: "\n")
    for (key, value) in replace {
        guard let i = lines.firstIndex(where: { $0.hasPrefix(key + " =") || $0 == key }) else {
            lines.append(value)
            continue
        }
        lines[i] = value
    }
    lines.removeAll { line in drop.contains { line.hasPrefix($0 + " =") || line == $0 } }
    return lines.joined(separator: "\n") + "\n"
}

/// Asserts that loading `text` fails with a ScenarioError whose key and message contain the given text.
func assertScenarioError(_ text: String, key: String, contains: String, column: Int? = nil,
                         file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try Scenario(toml: text, source: "case.toml")
        XCTFail("expected an error for key \(key)", file: file, line: line)
    } catch let e as ScenarioError {
        XCTAssertEqual(e.file, "case.toml", file: file, line: line)
        XCTAssertTrue(key.isEmpty ? e.key.isEmpty : e.key.contains(key), "key '\(e.key)' should contain '\(key)' (\(e))", file: file, line: line)
        XCTAssertTrue(e.message.contains(contains), "'\(e.message)' should contain '\(contains)'", file: file, line: line)
        if let column { XCTAssertEqual(e.column, column, "\(e)", file: file, line: line) }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Sends SIGTERM to a running `homogen` as soon as its first checkpoint (`checkpoint/checkpoint.json`)
/// exists — so the signal falls in the sampling, after a checkpoint, whatever the machine's
/// speed — and waits for it to exit. Fails the test (never skips) if the run ends first.
func terminateAfterFirstCheckpoint(_ p: Process, checkpoint: String, file: StaticString = #filePath, line: UInt = #line) {
    let deadline = Date().addingTimeInterval(300)
    while !FileManager.default.fileExists(atPath: checkpoint + "/checkpoint.json"), p.isRunning, Date() < deadline {
        Thread.sleep(forTimeInterval: 0.005)
    }
    XCTAssertTrue(p.isRunning, "the run ended before its first checkpoint", file: file, line: line)
    p.terminate()   // SIGTERM
    p.waitUntilExit()
}
