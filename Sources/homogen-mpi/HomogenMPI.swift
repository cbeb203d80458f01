import ArgumentParser
import CMPI
import Foundation
import Homogen

/// `mpirun -n P homogen-mpi sample SCENARIO …`: the sampler split over MPI ranks. Rank r runs the
/// blocks of shard r of P (`BlockPlan.blocks(ofShard:of:)`); rank 0 checks that the ranks cover
/// the blocks (`BlockCoverage`), the recorders' states (`RecorderState`: counts and moves) are
/// summed on rank 0 with MPI_Reduce (integers in doubles: exact), the positions gathered in rank
/// (= block) order with MPI_Gatherv, and rank 0 writes the run folder — byte-identical, in its
/// histograms and positions, to a single-process run with the same seed.
@main
struct HomogenMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homogen-mpi",
        abstract: "The particle sampler over MPI ranks (run with mpirun).",
        subcommands: [Sample.self])

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "As `homogen sample`, split over the MPI ranks.")

        @Argument(help: "Scenario file (TOML).") var scenario: String
        @Option(help: "Number of particles (overrides [particles] count).") var particles: Int?
        @Option(help: "Random seed (overrides [particles] seed).") var seed: UInt64?
        @Option(help: "Worker threads per rank (default: 1).") var threads = 1
        @Option(help: "Run folder to create (written by rank 0).") var out: String
        @Flag(help: "Also write the particle positions (.npy).") var positions = false
        @Flag(help: "Sample at --dt even when it is too coarse (the rule of thumb, or a bias the pilot finds not small).")
        var allowCoarseDt = false
        @Option(help: "Sampler time step, checked by the time-step control as in `homogen sample` (default: chosen by it).")
        var dt: Double?
        @Flag(help: "Do not measure the sampler's time-discretisation bias (the step is then unchecked).")
        var skipDtCheck = false
        @Option(help: "weak2 (the default), em (Euler–Maruyama) or metropolis (also 'mala'): the particle scheme, as in `homogen sample`.",
                transform: { text in
                    guard let k = SchemeKind(name: text) else { throw ValidationError("--scheme must be weak2, em or metropolis, not '\(text)'") }
                    return k
                })
        var scheme: SchemeKind = .standard

        func run() throws {
            _ = hmpi_init()
            let rank = Int(hmpi_rank()), size = Int(hmpi_size())
            do {
                try sample(rank: rank, size: size)
            } catch {
                FileHandle.standardError.write(Data("homogen-mpi (rank \(rank)): \(error)\n".utf8))
                _ = hmpi_abort(1)
            }
            _ = hmpi_finalize()
        }

        private func sample(rank: Int, size: Int) throws {
            var s = try Scenario.load(path: scenario)
            s = try s.replacing(particles: ParticleSettings(count: particles ?? s.particles.count,
                                                           seed: seed ?? s.particles.seed, convention: s.particles.convention))
            if rank == 0, FileManager.default.fileExists(atPath: out) {
                throw ValidationError("--out \(out): it already exists; choose another --out or remove it")
            }
            // The time step: rank 0 runs the control (as `homogen sample` does, with its journal) and
            // broadcasts the step and whether it passed; every rank then samples at that step.
            var report: TimeStepControl.Report?
            var decided = [dt ?? s.time.dt, 0]
            if !skipDtCheck {
                if rank == 0 {
                    let control = TimeStepControl(scenario: s, scheme: scheme, threads: max(1, threads))
                    let journal = try TimeStepJournal(control: control, requested: dt, build: "homogen-mpi")
                    report = try control.choose(requested: dt, allowCoarse: allowCoarseDt, journal: journal)
                    decided = [report!.dt, report!.passed ? 1 : 0]
                    FileHandle.standardError.write(Data("homogen-mpi: time step dt = \(report!.dt) (\(report!.method.rawValue); pilots \(String(format: "%.1f", report!.seconds)) s)\n".utf8))
                }
                _ = hmpi_bcast(&decided, 2)
            }
            s = try s.replacing(time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: decided[0]))
            let sampler = try ParticleSampler(scenario: s, options: .init(
                threads: max(1, threads), allowCoarseTimeStep: allowCoarseDt || decided[1] == 1, keepPositions: positions,
                scheme: scheme))
            guard let mine = sampler.plan.blocks(ofShard: rank, of: size) else {
                throw ValidationError("\(size) ranks exceed the run's \(sampler.plan.blockCount) blocks")
            }
            let part = try sampler.run(blocks: mine)
            try checkCoverage(mine, plan: sampler.plan, rank: rank, size: size)
            let d = s.dimension.count
            var snapshots: [SampleResult.Snapshot] = []
            for snap in part.snapshots {
                // The merge of every partial run: `RecorderState` +=, here as MPI_SUM on its
                // summable doubles (histogram counts, then a Metropolised run's accepted and
                // proposed moves): integers, so the sum is exact and independent of the ranks.
                let state = RecorderState(counts: snap.counts, integers: snap.moves.map { [$0.accepted, $0.proposed] } ?? [])
                let mineDoubles = state.summableDoubles!
                var summed = [Double](repeating: 0, count: mineDoubles.count)
                _ = hmpi_reduce_sum(mineDoubles, &summed, Int64(summed.count))
                let total = RecorderState(summableDoubles: summed, shapedLike: state)
                var gathered: [Double]?
                if let p = snap.positions {
                    // Every rank's count, then the positions in rank (= block) order.
                    var counts = [Int32](repeating: 0, count: size)
                    for r in 0..<size {
                        let n = sampler.plan.particles(in: sampler.plan.blocks(ofShard: r, of: size)!)
                        counts[r] = Int32(n * d)
                    }
                    var displs = [Int32](repeating: 0, count: size)
                    for r in 1..<max(size, 1) where r < size { displs[r] = displs[r - 1] + counts[r - 1] }
                    var all = [Double](repeating: 0, count: rank == 0 ? s.particles.count * d : 1)
                    _ = hmpi_gatherv(p, Int32(p.count), &all, counts, displs)
                    gathered = all
                }
                let moves = snap.moves == nil ? nil : SampleResult.Moves(accepted: total.integers[0], proposed: total.integers[1])
                snapshots.append(.init(time: snap.time, counts: total.counts, positions: rank == 0 ? gathered : nil, moves: moves))
            }
            var seconds = 0.0
            _ = hmpi_reduce_max(part.seconds, &seconds)
            var accepted = 0.0
            let weighted = [part.initialAcceptanceRate * Double(part.particlesInRange)]
            _ = hmpi_reduce_sum(weighted, &accepted, 1)
            guard rank == 0 else { return }
            let merged = SampleResult(
                scenario: s, threads: part.threads * size, blockSize: part.blockSize, blocks: part.blocks,
                blockRange: 0..<part.blocks, particlesInRange: s.particles.count, steps: part.steps, seconds: seconds,
                initialAcceptanceRate: accepted / Double(s.particles.count), vectorKernels: part.vectorKernels,
                snapshots: snapshots, scheme: scheme)
            var result = merged
            result.timeStepControl = report
            try SampleRunFolder.write(result, to: out, command: "sample")
            print("homogen-mpi: \(size) ranks, \(s.particles.count) particles, \(String(format: "%.2f", seconds)) s; run folder: \(out)")
        }

        /// Every rank's block range, gathered on rank 0 and checked by the one check of every merge
        /// (`BlockCoverage`): the ranks cover the run's blocks exactly once.
        private func checkCoverage(_ mine: Range<Int>, plan: BlockPlan, rank: Int, size: Int) throws {
            var all = [Double](repeating: 0, count: rank == 0 ? 2 * size : 1)
            let counts = [Int32](repeating: 2, count: size)
            let displs = (0..<size).map { Int32(2 * $0) }
            _ = hmpi_gatherv([Double(mine.lowerBound), Double(mine.upperBound)], 2, &all, counts, displs)
            guard rank == 0 else { return }
            let ranges = (0..<size).map { Int(all[2 * $0])..<Int(all[2 * $0 + 1]) }
            do {
                _ = try BlockCoverage.order(ranges, blocks: plan.blockCount)
            } catch {
                throw ValidationError("the ranks' blocks do not cover the run: \(error)")
            }
        }
    }
}
