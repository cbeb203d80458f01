import ArgumentParser
import Homogen

/// The `homogen` command-line tool: a thin layer over the Homogen library.
@main
struct HomogenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homogen",
        abstract: "Sample, solve and compare diffusions in fast-oscillating media (Gao & Yip).",
        discussion: "With no subcommand, runs the demo on the embedded default scenario.",
        version: HomogenVersion.current,
        subcommands: [DemoCommand.self, CompareCommand.self, CheckCommand.self, SampleCommand.self, MergeCommand.self, SlurmCommand.self, StationaryCommand.self, BenchCommand.self, EffectiveCommand.self, W2Command.self,
                      SolveCommand.self, BenchSolveCommand.self],
        defaultSubcommand: DemoCommand.self
    )
}
