import ArgumentParser
import Foundation
import Homogen

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the main job on the embedded default scenario (print it with --print-scenario).")

    @Flag(help: "Print the embedded default scenario and exit.")
    var printScenario = false

    @Option(help: "Run folder to create (default: runs/default-sample-TIMESTAMP).")
    var out: String?

    @OptionGroup var sampling: SamplerOptionGroup

    @Flag(name: [.short, .long], help: "No progress bar.")
    var quiet = false

    func run() throws {
        if printScenario {
            print(Scenario.defaultScenarioText)
            return
        }
        let s = try sampling.apply(to: try Scenario.defaultScenario())
        try SampleCommand.sampleAndReport(s, out: out, positions: false, quiet: quiet, sampling: sampling)
    }
}
