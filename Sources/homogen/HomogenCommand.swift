import ArgumentParser
import Homogen

/// The `homogen` command-line tool: a thin layer over the Homogen library.
@main
struct HomogenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homogen",
        abstract: "Sample, solve and compare diffusions in fast-oscillating media (Gao & Yip).",
        discussion: "`homogen demo` runs the main job on the embedded default scenario. Exit codes: 0 success, 3 compare --strict found particles that differ, 64 bad command line, 65 bad input data, 74 I/O error, 130 interrupted, 1 anything else (docs/guide.md).",
        version: RunContext.versionLine,
        subcommands: [DemoCommand.self, CompareCommand.self, CheckCommand.self, SampleCommand.self, MergeCommand.self, SlurmCommand.self, StationaryCommand.self, BenchCommand.self, EffectiveCommand.self, W2Command.self,
                      SolveCommand.self, BenchSolveCommand.self]
    )
}
