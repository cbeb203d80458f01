import ArgumentParser
import Foundation
import Homogen

/// Writes (and optionally submits) a Slurm job array that runs the shards of a sampling run and
/// a dependent job that merges them.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write a Slurm job array for a sharded `homogen sample` run and a dependent merge job; --submit submits them.",
        discussion: """
            DIR/array.sh runs `homogen sample SCENARIO --shard $SLURM_ARRAY_TASK_ID/N --out DIR/shard-$SLURM_ARRAY_TASK_ID`
            (with a checkpoint every --checkpoint-every seconds, resumed automatically when Slurm requeues a task after a
            preemption or a node failure; after a time limit, submit array.sh again: each task resumes from its checkpoint);
            DIR/merge.sh runs `homogen merge DIR/shard-* --out DIR/result`. With --submit: sbatch array.sh, then
            sbatch --dependency=afterok:<array job> merge.sh. Extra sbatch options go after --.
            """)

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @Option(help: "Number of array tasks (shards).")
    var tasks: Int

    @Option(help: "Folder for the scripts, logs, shard folders and the merged result (default: runs/NAME-slurm-TIMESTAMP).")
    var out: String?

    @Option(help: "Worker threads per task (--cpus-per-task).")
    var threads = 1

    @Option(help: "Seconds between checkpoints of each task.")
    var checkpointEvery: Double = 600

    @Flag(help: "Also write positions (.npy).")
    var positions = false

    @Flag(help: "Submit with sbatch (array, then the merge job with --dependency=afterok).")
    var submit = false

    @Argument(parsing: .postTerminator, help: "Extra sbatch options (after --), e.g. -- --partition=short --time=1:00:00")
    var sbatchOptions: [String] = []

    func validate() throws {
        guard tasks >= 1 else { throw ValidationError("--tasks must be positive") }
        // As `sample` checks it: every task would exit 64 on more.
        guard (1...1024).contains(threads) else { throw ValidationError("--threads must be from 1 to 1024, not \(threads)") }
        // A line break in an sbatch option would end the #SBATCH block (the directives after it
        // ignored) and become a command of the script; the array is the shards' own.
        if let bad = sbatchOptions.first(where: { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) {
            throw ValidationError("the sbatch option '\(bad.debugDescription)' holds a line break or another control character")
        }
        if let array = sbatchOptions.first(where: { $0.hasPrefix("--array") || $0.hasPrefix("-a") }) {
            throw ValidationError("'\(array)': the array (one task per shard, 0-\(tasks - 1)) is set by --tasks, not by an sbatch option")
        }
        // Every task would fail on it (`sample` refuses it); refuse it here, before writing the scripts.
        guard checkpointEvery > 0, checkpointEvery.isFinite else { throw ValidationError("--checkpoint-every must be positive") }
    }

    func run() throws {
        let s = try Scenario.load(path: scenario)
        let sampler = try ParticleSampler(scenario: s)
        guard tasks <= sampler.plan.blockCount else {
            throw ValidationError("--tasks \(tasks) exceeds the run's \(sampler.plan.blockCount) blocks of \(sampler.plan.blockSize) particles")
        }
        let fm = FileManager.default
        let dir = absolute(out ?? defaultRunFolder(s, "slurm"))
        let homogen = absolute(CommandLine.arguments[0])
        let scenarioPath = absolute(scenario)
        // Every text the scripts hold: a line break in any of them would become a command.
        for (what, text) in [("--out", dir), ("the scenario path", scenarioPath), ("the scenario's name", s.name), ("the homogen path", homogen)]
        where text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("\(what) '\(text.debugDescription)' holds a line break or another control character, "
                                  + "which a Slurm script cannot hold safely")
        }
        // Exists, or cannot be written: the usual message (exit 74), not the file system's.
        try OutputFolder.check(dir, estimatedBytes: 0)
        do { try fm.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true) } catch {
            throw OutputFolder.Problem(path: dir, reason: "it cannot be created: \(error.localizedDescription)")
        }
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        // sbatch reads an #SBATCH value in double quotes with \" and \\ escaped (a path with a space or
        // a quote was split there).
        func dq(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let extra = sbatchOptions.map { "#SBATCH \($0)" }.joined(separator: "\n")
        let array = """
            #!/bin/bash
            #SBATCH --job-name=\(dq(s.name + "-shards"))
            #SBATCH --array=0-\(tasks - 1)
            #SBATCH --cpus-per-task=\(threads)
            #SBATCH --output=\(dq(dir + "/logs/shard-%a.out"))
            #SBATCH --requeue
            \(extra)
            # Shard $SLURM_ARRAY_TASK_ID of \(tasks) of \(s.name) (written by homogen slurm).
            set -euo pipefail
            out=\(q(dir))/shard-$SLURM_ARRAY_TASK_ID
            # A shard finished before (the array submitted again after a time limit): nothing to do.
            [ -f "$out/summary.json" ] && exit 0
            resume=()
            [ -d "$out.checkpoint" ] && resume=(--resume "$out.checkpoint")
            exec \(q(homogen)) sample \(q(scenarioPath)) --shard "$SLURM_ARRAY_TASK_ID/\(tasks)" --out "$out" \\
                --threads \(threads) --checkpoint-every \(checkpointEvery) --quiet \(positions ? "--positions" : "") ${resume[@]+"${resume[@]}"}

            """
        let merge = """
            #!/bin/bash
            #SBATCH --job-name=\(dq(s.name + "-merge"))
            #SBATCH --output=\(dq(dir + "/logs/merge.out"))
            \(extra)
            # Merges the \(tasks) shards of \(s.name) (written by homogen slurm).
            set -euo pipefail
            exec \(q(homogen)) merge \((0..<tasks).map { q("\(dir)/shard-\($0)") }.joined(separator: " ")) --out \(q(dir + "/result"))

            """
        try AtomicFile.write(Data(array.utf8), to: dir + "/array.sh")
        try AtomicFile.write(Data(merge.utf8), to: dir + "/merge.sh")
        print("wrote \(dir)/array.sh (\(tasks) tasks) and \(dir)/merge.sh")
        guard submit else {
            print("submit with: jid=$(sbatch --parsable \(q(dir + "/array.sh"))) && sbatch --dependency=afterok:$jid \(q(dir + "/merge.sh"))")
            return
        }
        let arrayJob = try sbatch(["--parsable", dir + "/array.sh"])
        let mergeJob = try sbatch(["--parsable", "--dependency=afterok:\(arrayJob)", dir + "/merge.sh"])
        print("submitted array job \(arrayJob) and merge job \(mergeJob); result in \(dir)/result")
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    private func sbatch(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sbatch"] + arguments
        let pipe = Pipe(), err = Pipe()
        p.standardOutput = pipe
        p.standardError = err
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ValidationError("sbatch failed (status \(p.terminationStatus)): \(message)")
        }
        return out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }
}
