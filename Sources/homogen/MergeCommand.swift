import ArgumentParser
import Foundation
import Homogen

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the partial run folders of `homogen sample --shard K/N` into one run folder.",
        discussion: "The result's histograms and positions are byte-identical to a single-process run with the same seed.")

    @Argument(help: "The shards' run folders (any order).")
    var folders: [String]

    @Option(help: "Run folder to create.")
    var out: String

    func run() throws {
        let s = try ShardMerge.merge(folders, to: out)
        print("merged \(folders.count) shards of \(s.scenario.name): \(s.scenario.particles) particles, \(s.outputs.count) output times")
        print("run folder: \(out)")
    }
}
