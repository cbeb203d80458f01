import CKernels
import Dispatch
import Foundation
import Synchronization

/// Euler–Maruyama for the ε-SDE on the torus (DESIGN §1, §3): many particles, each block of
/// `blockSize` particles driven by its own GSL stream seeded from (seed, block) (`BlockSeeds`),
/// so the result is bit-identical for any number of threads and, later, of processes.
///
/// Per block: initial positions are drawn exactly from ρ0 by rejection sampling; then every
/// step draws the block's normals (coordinate-major, particle order), evaluates the drift
/// and noise tape (`SDECoefficients`) in cache-sized chunks and updates
/// X ← wrap(X + b(X) h + σ(X) √h ξ), wrap(v) = v − ⌊v⌋. At each output time the block's
/// positions go into per-thread GSL histograms, summed at the end (integer counts, so the sum
/// does not depend on the order).
public struct EulerMaruyamaSampler {
    /// Particles per random stream: part of the definition of a run's output.
    public static let blockSize = 1024
    /// Particles per tape evaluation: keeps the registers in the L1/L2 cache; does not change results.
    static let chunkSize = 256

    public struct Options: Sendable {
        public var threads: Int
        /// Run even when dt > ε² λ_min(B) / 10.
        public var allowCoarseTimeStep: Bool
        /// Keep every particle position at each output time.
        public var keepPositions: Bool

        public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    allowCoarseTimeStep: Bool = false, keepPositions: Bool = false) {
            self.threads = threads
            self.allowCoarseTimeStep = allowCoarseTimeStep
            self.keepPositions = keepPositions
        }
    }

    public let scenario: Scenario
    public let options: Options
    let coefficients: SDECoefficients
    let initial: InitialDensitySampler
    let schedule: TimeSchedule

    /// The time-step rule: dt ≤ ε² λ_min(B) / 10, so that one step moves a particle by a
    /// small fraction of a cell (the noise moves it by about √(2 dt / λ_min(B))).
    public static func timeStepLimit(_ s: Scenario) -> Double {
        s.epsilon * s.epsilon * s.facts.mediumSmallestEigenvalue / 10
    }

    public init(scenario: Scenario, options: Options = Options()) throws {
        self.scenario = scenario
        self.options = options
        let fields = scenario.lowered()
        coefficients = try SDECoefficients(fields: fields, convention: scenario.particles.convention)
        let limit = Self.timeStepLimit(scenario)
        if scenario.time.dt > limit, !options.allowCoarseTimeStep {
            throw SamplerError.timeStepTooCoarse(
                dt: scenario.time.dt, limit: limit, epsilon: scenario.epsilonText,
                smallestEigenvalue: scenario.facts.mediumSmallestEigenvalue)
        }
        initial = InitialDensitySampler(scenario: scenario, fields: fields)
        schedule = TimeSchedule(dt: scenario.time.dt, outputs: scenario.time.outputs)
        let n = scenario.particles.count, d = scenario.dimension, outs = scenario.time.outputs.count
        if options.keepPositions, Double(n * d * outs) * 8 > 8 * 1_073_741_824 {
            throw SamplerError.tooMuchMemory(
                "--positions would keep \(n) x \(d) x \(outs) positions (over 8 GiB); use fewer particles or output times")
        }
        let histogramBytes = pow(Double(scenario.cells), Double(d)) * Double(outs * max(1, options.threads)) * 8
        if histogramBytes > 4 * 1_073_741_824 {
            throw SamplerError.tooMuchMemory(
                "the histograms would need \(Int(histogramBytes / 1_048_576)) MiB; use fewer [grid] cells, output times or threads")
        }
        precondition(options.threads >= 1)
    }

    /// Number of steps (of positive length) to the last output time.
    public var stepCount: Int { schedule.stepCount }

    public var blockCount: Int { (scenario.particles.count + Self.blockSize - 1) / Self.blockSize }

    /// The blocks of shard `index` of `count`: contiguous, deterministic ranges that together
    /// cover every block once.
    public func blocks(ofShard index: Int, of count: Int) -> Range<Int> {
        precondition(count >= 1 && index >= 0 && index < count)
        return (index * blockCount / count)..<((index + 1) * blockCount / count)
    }

    /// Where and how often a run writes checkpoints, and whether it resumes from one.
    public struct CheckpointPolicy: Sendable {
        public var directory: String
        /// Seconds between checkpoints.
        public var interval: Double
        public var resume: Bool
        public init(directory: String, interval: Double, resume: Bool = false) {
            self.directory = directory; self.interval = interval; self.resume = resume
        }
    }

    private static let stop = Atomic<Bool>(false)

    /// Asks a running sampler to stop after writing a checkpoint (async-signal-safe: the CLI
    /// calls it from its SIGINT/SIGTERM handler).
    public static func requestStop() { stop.store(true, ordering: .relaxed) }
    static var stopRequested: Bool { stop.load(ordering: .relaxed) }

    /// Runs the sampler over all blocks, or over `blocks` only (a shard: its particles are those of
    /// these blocks, and its histograms count only them). `progress`, if given, counts particle-steps.
    /// With `checkpoint`, writes checkpoints (`Checkpoint`) every `interval` seconds and when
    /// stopped by `requestStop()` (then it throws `SamplerError.interrupted`), and with `resume`
    /// continues from the one in its directory.
    public func run(blocks range: Range<Int>? = nil, progress: SamplerProgress? = nil,
                    checkpoint: CheckpointPolicy? = nil) throws -> SampleResult {
        let range = range ?? 0..<blockCount
        precondition(range.lowerBound >= 0 && range.upperBound <= blockCount)
        let d = scenario.dimension
        let outs = scenario.time.outputs.count
        let firstParticle = range.lowerBound * Self.blockSize
        let n = min(scenario.particles.count, range.upperBound * Self.blockSize) - firstParticle
        let positionCount = n * d * outs
        let positions: UnsafeMutablePointer<Double>? =
            options.keepPositions ? .allocate(capacity: positionCount) : nil
        defer { positions?.deallocate() }
        positions?.initialize(repeating: 0, count: positionCount)
        let fingerprint = try SampleRunFolder.fingerprint(scenario)
        let cells = Int(pow(Double(scenario.cells), Double(d)))
        var previous: Checkpoint?
        if let checkpoint, checkpoint.resume {
            let (c, data) = try Checkpoint.load(from: checkpoint.directory, fingerprint: fingerprint, blocks: range,
                                                outputs: outs, cells: cells,
                                                positionsBytes: options.keepPositions ? positionCount * 8 : nil)
            previous = c
            if let data, let positions {
                data.withUnsafeBytes { raw in
                    for i in 0..<positionCount {
                        positions[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                    }
                }
            }
        }
        let done = Set(previous?.completed ?? [])
        let todo = range.filter { !done.contains($0) }
        var resumeStates: [Int: Checkpoint.BlockState] = [:]
        for state in previous?.inProgress ?? [] { resumeStates[state.block] = state }
        let blocks = todo.count
        let threads = max(1, min(options.threads, max(blocks, 1)))
        let nextBlock = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        let completed = Mutex<[Int]>(previous?.completed ?? [])
        let workers = (0..<threads).map { _ in Worker(sampler: self) }
        let barrier = checkpoint.map { _ in CheckpointBarrier(workers: threads) }
        for w in workers { w.barrier = barrier }

        // A consistent snapshot: every worker paused at a step boundary (or retired) while the
        // completed list, the committed counts and the blocks in progress are read.
        func snapshot() throws {
            guard let checkpoint, let barrier else { return }
            let inProgress = barrier.pause()
            defer { barrier.resume() }
            for w in workers { w.lock.lock() }
            let list = completed.withLock { $0 }
            var counts = previous?.counts ?? [[Double]](repeating: [Double](repeating: 0, count: cells), count: outs)
            for w in workers {
                for k in 0..<outs {
                    let c = d == 1 ? w.histograms1D[k].counts : w.histograms2D[k].counts
                    for i in 0..<cells { counts[k][i] += c[i] }
                }
            }
            let data = positions.map { p in
                var bytes = Data(count: positionCount * 8)
                bytes.withUnsafeMutableBytes { raw in
                    for i in 0..<positionCount { raw.storeBytes(of: p[i].bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
                }
                return bytes
            }
            for w in workers { w.lock.unlock() }
            let c = Checkpoint(fingerprint: fingerprint, blockSize: Self.blockSize, firstBlock: range.lowerBound,
                               endBlock: range.upperBound, completed: list.sorted(), counts: counts,
                               positionsHash: data.map { Checkpoint.hash($0) },
                               inProgress: inProgress.sorted { $0.block < $1.block })
            try c.write(to: checkpoint.directory, positions: data)
        }
        let finished = Atomic<Bool>(false)
        let timerFailure = Mutex<Error?>(nil)
        let timerDone = DispatchSemaphore(value: 0)
        if let policy = checkpoint {
            // Checkpoints every `interval`, and a final one when a stop is requested.
            Thread.detachNewThread {
                var last = DispatchTime.now().uptimeNanoseconds
                while !finished.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: min(0.05, policy.interval))
                    let stopping = Self.stopRequested
                    if stopping || Double(DispatchTime.now().uptimeNanoseconds - last) / 1e9 >= policy.interval {
                        do { try snapshot() } catch { timerFailure.withLock { $0 = error } }
                        last = DispatchTime.now().uptimeNanoseconds
                        if stopping { break }
                    }
                }
                timerDone.signal()
            }
        }

        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            let worker = workers[w]
            defer { barrier?.retire() }
            while failure.withLock({ $0 == nil }) {
                if worker.atSafePoint(nil) { break }
                let b = nextBlock.add(1, ordering: .relaxed).oldValue
                if b >= blocks { break }
                do {
                    try worker.run(block: todo[b], firstParticle: firstParticle, particles: n,
                                   positions: positions, progress: progress, resume: resumeStates[todo[b]])
                    worker.commit { completed.withLock { $0.append(todo[b]) } }
                } catch is Interrupted {
                    break
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let stopped = Self.stopRequested
        finished.store(true, ordering: .relaxed)
        if checkpoint != nil { timerDone.wait() }
        if let e = failure.withLock({ $0 }) { throw e }
        if let e = timerFailure.withLock({ $0 }) { throw e }
        if stopped { throw SamplerError.interrupted(checkpoint?.directory) }

        var snapshots: [SampleResult.Snapshot] = []
        for k in 0..<outs {
            let counts: [Double]
            if d == 1 {
                let total = Histogram1D(cells: scenario.cells)
                for w in workers { total.add(w.histograms1D[k]) }
                if let previous { total.add(counts: previous.counts[k]) }
                counts = total.counts
            } else {
                let total = Histogram2D(cells: scenario.cells)
                for w in workers { total.add(w.histograms2D[k]) }
                if let previous { total.add(counts: previous.counts[k]) }
                counts = total.counts
            }
            let pos = positions.map { Array(UnsafeBufferPointer(start: $0 + k * n * d, count: n * d)) }
            snapshots.append(SampleResult.Snapshot(time: scenario.time.outputs[k], counts: counts, positions: pos))
        }
        let proposals = workers.reduce(0) { $0 + $1.initial.proposals + $1.resumedProposals }
        return SampleResult(
            scenario: scenario, threads: threads, blockSize: Self.blockSize, blocks: blockCount, blockRange: range,
            particlesInRange: n, steps: stepCount, seconds: seconds,
            initialAcceptanceRate: proposals == 0 ? 1
                : Double(todo.reduce(0) { $0 + min(Self.blockSize, scenario.particles.count - $1 * Self.blockSize) }) / Double(proposals),
            vectorKernels: hk_uses_avx2() != 0 ? "avx2+fma" : "baseline",
            snapshots: snapshots)
    }
}

/// A block abandoned because a stop was requested.
private struct Interrupted: Error {}

/// Brings every worker to a step boundary, so that a checkpoint sees a consistent state: the
/// writer raises `requested`, each busy worker checks in at its next safe point (depositing its
/// block's state) and waits; workers that have run out of blocks retire. When all have checked in
/// or retired, the writer reads everything, writes the checkpoint and releases them.
private final class CheckpointBarrier: @unchecked Sendable {
    private let cond = NSCondition()
    private let workers: Int
    private var generation = 0, released = 0, arrived = 0, retired = 0
    private var states: [Checkpoint.BlockState] = []
    let requested = Atomic<Int>(0)

    init(workers: Int) { self.workers = workers }

    /// At a safe point: if a checkpoint is pending that this worker has not seen, deposit the
    /// block state (if any) and wait for the release.
    func checkIn(seen: inout Int, _ state: () -> Checkpoint.BlockState?) {
        let g = requested.load(ordering: .acquiring)
        guard g > seen else { return }
        let deposited = state()
        cond.lock()
        if let deposited { states.append(deposited) }
        arrived += 1
        cond.broadcast()
        while released < g { cond.wait() }
        cond.unlock()
        seen = g
    }

    /// A worker that takes no more blocks.
    func retire() {
        cond.lock(); retired += 1; cond.broadcast(); cond.unlock()
    }

    /// Stops every worker at a safe point; returns the blocks in progress.
    func pause() -> [Checkpoint.BlockState] {
        cond.lock()
        generation += 1
        arrived = 0
        states = []
        requested.store(generation, ordering: .releasing)
        while arrived + retired < workers { cond.wait() }
        let result = states
        cond.unlock()
        return result
    }

    func resume() {
        cond.lock(); released = generation; cond.broadcast(); cond.unlock()
    }
}

/// One thread's buffers: the coefficient tape's registers (whose input registers hold the
/// block's positions x and y = x/ε), the normals, the ρ0 tape for initial sampling, and the
/// thread's histograms. Used by one thread at a time.
private final class Worker {
    let sampler: EulerMaruyamaSampler
    let ws: TapeWorkspace
    let initial: InitialDensitySampler.Workspace
    let normals: UnsafeMutablePointer<Double>
    /// Committed counts: the sum over this worker's completed blocks.
    var histograms1D: [Histogram1D] = []
    var histograms2D: [Histogram2D] = []
    /// The current block's counts, added to the committed ones when the block completes.
    var block1D: [Histogram1D] = []
    var block2D: [Histogram2D] = []
    let lock = NSLock()
    var barrier: CheckpointBarrier?
    /// The checkpoint generation this worker has already checked in for.
    var seen = 0
    /// Initial-draw proposals of blocks resumed from a checkpoint.
    var resumedProposals = 0

    /// A safe point: checks in for a pending checkpoint with `state` (the block in progress, if
    /// any). Returns true when the worker must stop (a stop was requested): with checkpoints, only
    /// after its state has been deposited in the final one.
    func atSafePoint(_ state: (() -> Checkpoint.BlockState)?) -> Bool {
        guard let barrier else { return EulerMaruyamaSampler.stopRequested }
        if EulerMaruyamaSampler.stopRequested {
            // Wait for the final checkpoint's request, deposit, then stop.
            while barrier.requested.load(ordering: .acquiring) <= seen { Thread.sleep(forTimeInterval: 0.002) }
            barrier.checkIn(seen: &seen) { state?() }
            return true
        }
        barrier.checkIn(seen: &seen) { state?() }
        return false
    }

    init(sampler: EulerMaruyamaSampler) {
        self.sampler = sampler
        let bs = EulerMaruyamaSampler.blockSize
        ws = TapeWorkspace(tape: sampler.coefficients.tape, capacity: bs)
        initial = sampler.initial.makeWorkspace()
        normals = .allocate(capacity: 2 * bs)
        let s = sampler.scenario
        if s.dimension == 1 {
            histograms1D = s.time.outputs.map { _ in Histogram1D(cells: s.cells) }
            block1D = s.time.outputs.map { _ in Histogram1D(cells: s.cells) }
        } else {
            histograms2D = s.time.outputs.map { _ in Histogram2D(cells: s.cells) }
            block2D = s.time.outputs.map { _ in Histogram2D(cells: s.cells) }
        }
    }

    deinit { normals.deallocate() }

    /// Adds the finished block's counts to the committed ones and runs `mark` (which records the
    /// block as completed), both under this worker's lock, so a checkpoint sees both or neither.
    func commit(_ mark: () -> Void) {
        lock.withLock {
            for k in histograms1D.indices { histograms1D[k].add(block1D[k]) }
            for k in histograms2D.indices { histograms2D[k].add(block2D[k]) }
            mark()
        }
    }

    func run(block: Int, firstParticle: Int, particles: Int, positions: UnsafeMutablePointer<Double>?,
             progress: SamplerProgress?, resume: Checkpoint.BlockState? = nil) throws {
        let s = sampler.scenario
        let d = s.dimension
        let bs = EulerMaruyamaSampler.blockSize
        let first = block * bs
        let m = min(bs, s.particles.count - first)
        let rng = RandomStream(seed: BlockSeeds.seed(run: s.particles.seed, block: UInt64(block)))
        let scale = Double(s.inverseEpsilon)
        let x = (0..<d).map { ws.input($0) }
        let y = (0..<d).map { ws.input(d + $0) }
        let proposalsBefore = initial.proposals
        for h in block1D { h.reset() }
        for h in block2D { h.reset() }
        if let resume {
            for k in 0..<d { for i in 0..<m { x[k][i] = resume.x[k][i] } }
            guard rng.restore(resume.generator) else {
                throw Checkpoint.Invalid(message: "block \(block): the checkpoint's generator state does not fit a \(RandomStream.generatorName) generator")
            }
            for (k, c) in resume.counts.enumerated() {
                if d == 1 { block1D[k].add(counts: c) } else { block2D[k].add(counts: c) }
            }
            resumedProposals += resume.proposals
        } else {
            try sampler.initial.draw(into: x, count: m, rng: rng, workspace: initial)
        }
        let blockProposals = (resume?.proposals ?? 0) + initial.proposals - proposalsBefore
        var iterations = 0

        let chunk = EulerMaruyamaSampler.chunkSize
        let cholesky = sampler.coefficients.noise == .cholesky
        let drift = (0..<d).map { ws.output($0) }
        let noise = (0..<(cholesky ? 3 : d)).map { ws.output(d + $0) }
        let xi = (0..<d).map { normals + $0 * bs }
        var stepIndex = 0
        var pendingProgress = 0
        for step in sampler.schedule {
            if let resume, iterations < resume.iterations {
                iterations += 1
                if step.h > 0 { stepIndex += 1 }
                continue
            }
            let done = iterations
            let stop = atSafePoint {
                Checkpoint.BlockState(
                    block: block, iterations: done, x: x.map { Array(UnsafeBufferPointer(start: $0, count: m)) },
                    generator: rng.stateBytes,
                    counts: d == 1 ? self.block1D.map(\.counts) : self.block2D.map(\.counts),
                    proposals: blockProposals)
            }
            if stop { throw Interrupted() }
            iterations += 1
            if step.h > 0 {
                stepIndex += 1
                rng.fillGaussian(normals, count: m)
                if d == 2 { rng.fillGaussian(normals + bs, count: m) }
                let sq = step.h.squareRoot()
                var bad: Int64 = 0
                var o = 0
                while o < m {
                    let c = min(chunk, m - o)
                    for k in 0..<d { hk_scale(x[k] + o, scale, y[k] + o, Int64(c)) }
                    ws.run(offset: o, count: c)
                    if cholesky {
                        bad += hk_em_update(x[0] + o, drift[0] + o, noise[0] + o, xi[0] + o, step.h, sq, Int64(c))
                        bad += hk_em_update_cholesky(x[1] + o, drift[1] + o, noise[1] + o, xi[0] + o,
                                                     noise[2] + o, xi[1] + o, step.h, sq, Int64(c))
                    } else {
                        for k in 0..<d {
                            bad += hk_em_update(x[k] + o, drift[k] + o, noise[k] + o, xi[k] + o, step.h, sq, Int64(c))
                        }
                    }
                    o += c
                }
                if bad > 0 { throw SamplerError.notFinite(step: stepIndex, time: step.time, block: block) }
                pendingProgress += m
                if pendingProgress >= 1 << 16 {
                    progress?.add(pendingProgress)
                    pendingProgress = 0
                }
            }
            if let k = step.output {
                record(output: k, x: x, count: m, first: first - firstParticle, particles: particles, positions: positions)
            }
        }
        progress?.add(pendingProgress)
    }

    /// `first` is the block's first particle relative to the run's (or shard's) first particle.
    private func record(output k: Int, x: [UnsafeMutablePointer<Double>], count m: Int, first: Int, particles: Int,
                        positions: UnsafeMutablePointer<Double>?) {
        let s = sampler.scenario
        let d = s.dimension
        if d == 1 {
            block1D[k].add(x[0], count: m)
        } else {
            block2D[k].add(x1: x[0], x2: x[1], count: m)
        }
        if let positions {
            let base = positions + k * particles * d + first * d
            for i in 0..<m { for c in 0..<d { base[i * d + c] = x[c][i] } }
        }
    }
}
