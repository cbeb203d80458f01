import ArgumentParser
import Foundation
import Homogen

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The main job (compare) on the embedded default scenario (print it with --print-scenario).")

    @Flag(help: "Print the embedded default scenario and exit.")
    var printScenario = false

    @OptionGroup var comparison: CompareOptionGroup

    func run() throws {
        if printScenario {
            print(Scenario.defaultScenarioText)
            return
        }
        try comparison.runAndReport(try Scenario.defaultScenario())
    }
}
