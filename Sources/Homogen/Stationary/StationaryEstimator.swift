import CKernels
import Dispatch
import Foundation
import Synchronization

/// Estimates the stationary density of the ε-diffusion from particles (DESIGN §1, §3): ergodic
/// averages over many particles and long times after a burn-in, histograms at two resolutions
/// (the output grid, resolving ε, against π_ε; one cell per ε-period, against π̄), standard
/// errors per cell by batch means, integrated autocorrelation times and effective sample sizes.
///
/// The batches are groups of particles (particle k goes to batch k mod B), each batch's
/// histogram the time average of its particles' positions: the particles are independent, so
/// the batch means are exactly independent, whatever the time correlation of each trajectory —
/// no batch length has to exceed an autocorrelation time.
///
/// Two schemes. `em`: Euler–Maruyama (as `EulerMaruyamaSampler`), whose invariant measure is
/// π_ε only up to O(dt). `mala`: the Metropolis-adjusted step with the position-dependent
/// preconditioner B_ε⁻¹ (Xifara et al. 2014; Bou-Rabee, Donev & Vanden-Eijnden 2014): the
/// Euler–Maruyama step is a proposal y = x + b(x) h + σ(x)√h ξ, accepted with probability
/// min(1, π(y) q(y→x) / (π(x) q(x→y))), q the Gaussian proposal density N(x + b(x)h, σσᵀ(x)h),
/// which keeps π_ε invariant exactly for any h.
///
/// The torus: the chain runs on the lift Rⁿ, where π and the coefficients are periodic; the
/// ratio uses the lifted displacement Δ = y − x (and −Δ for the reverse move), so the kernel is
/// reversible for the periodic π on Rⁿ, and its image on the torus keeps π_ε invariant. Positions
/// are wrapped after each accepted move (a shift by a lattice vector changes nothing).
public struct StationaryEstimator {
    public enum Scheme: String, Sendable, Codable, CaseIterable {
        case em
        case mala
    }

    public struct Options: Sendable {
        public var scheme: Scheme = .mala
        /// Time step (default: the scenario's [time] dt).
        public var dt: Double?
        public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        /// Batches (groups of particles) for the batch-means standard errors.
        public var batches: Int = 100
        /// Record the positions every this many steps.
        public var recordEvery: Int = 5
        public var allowCoarseTimeStep = false
        public init() {}
    }

    public let scenario: Scenario
    public let options: Options
    let coefficients: SDECoefficients
    let dt: Double
    let steps: Int
    /// Steps discarded before recording: the first fifth of the run.
    public let burnInSteps: Int
    let initial: InitialDensitySampler

    /// The burn-in rule: the first 20% of [time] final is discarded.
    public static let burnInFraction = 0.2

    public init(scenario s: Scenario, options: Options = Options()) throws {
        scenario = s
        self.options = options
        dt = options.dt ?? s.time.dt
        guard dt > 0, dt.isFinite else { throw SolverError.badOption("--dt must be positive") }
        guard options.batches >= 2, options.recordEvery >= 1 else {
            throw SolverError.badOption("--batches must be at least 2 and --record-every at least 1")
        }
        if options.scheme == .em, dt > EulerMaruyamaSampler.timeStepLimit(s), !options.allowCoarseTimeStep {
            throw SamplerError.timeStepTooCoarse(dt: dt, limit: EulerMaruyamaSampler.timeStepLimit(s), epsilon: s.epsilonText,
                                                 smallestEigenvalue: s.facts.mediumSmallestEigenvalue)
        }
        coefficients = try SDECoefficients(fields: s.lowered(), convention: .backwardIto, logDensity: true)
        steps = max(1, Int((s.time.final / dt).rounded()))
        burnInSteps = Int((Self.burnInFraction * Double(steps)).rounded())
        guard s.particles.count >= 10 * options.batches else {
            throw SolverError.badOption("\(s.particles.count) particles are too few for \(options.batches) batches (10 per batch at least)")
        }
        guard (steps - burnInSteps) / options.recordEvery >= 2 else {
            throw SolverError.badOption("too few recordings after burn-in: lengthen [time] final or lower --record-every")
        }
        initial = InitialDensitySampler(scenario: s, fields: s.lowered())
    }

    /// Recording steps after burn-in.
    var recordings: Int { (steps - burnInSteps) / options.recordEvery }

    public func run() throws -> StationaryResult {
        try finish([try runPartial(blocks: 0..<blockCount)])
    }

    public var blockCount: Int { (scenario.particles.count + EulerMaruyamaSampler.blockSize - 1) / EulerMaruyamaSampler.blockSize }

    /// Identifies the run a partial result belongs to: the sampler's fingerprint (scenario, seed,
    /// version, block size) and the estimator's options.
    public func fingerprint() throws -> String {
        try SampleRunFolder.fingerprint(scenario) + "-\(options.scheme.rawValue)-\(dt)-\(options.batches)-\(options.recordEvery)"
    }

    /// Runs the particles of `blocks` only (a shard) and returns the raw accumulators.
    public func runPartial(blocks range: Range<Int>, shard: (index: Int, count: Int)? = nil) throws -> StationaryPartial {
        let s = scenario
        let d = s.dimension
        let fine = s.cells
        let coarse = s.inverseEpsilon
        let blocks = range.count
        let threads = max(1, min(options.threads, max(blocks, 1)))
        let nextBlock = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        let workers = (0..<threads).map { _ in Worker(estimator: self, fine: fine, coarse: coarse) }
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            while failure.withLock({ $0 == nil }) {
                let b = nextBlock.add(1, ordering: .relaxed).oldValue
                if b >= blocks { break }
                do { try workers[w].run(block: range.lowerBound + b) } catch { failure.withLock { if $0 == nil { $0 = error } } }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cellsFine = Int(pow(Double(fine), Double(d))), cellsCoarse = Int(pow(Double(coarse), Double(d)))
        var fineCounts = [[Double]](repeating: [Double](repeating: 0, count: cellsFine), count: options.batches)
        var coarseCounts = [[Double]](repeating: [Double](repeating: 0, count: cellsCoarse), count: options.batches)
        var series = [[Double]](repeating: [Double](repeating: 0, count: recordings), count: Worker.observables)
        var accepted = 0, proposed = 0
        for w in workers {
            for b in 0..<options.batches {
                for c in 0..<cellsFine { fineCounts[b][c] += w.fineCounts[b][c] }
                for c in 0..<cellsCoarse { coarseCounts[b][c] += w.coarseCounts[b][c] }
            }
            for o in 0..<Worker.observables { for t in 0..<recordings { series[o][t] += w.series[o][t] } }
            accepted += w.accepted
            proposed += w.proposed
        }
        return StationaryPartial(
            fingerprint: try fingerprint(), shardIndex: shard?.index ?? 0, shardCount: shard?.count ?? 1,
            firstBlock: range.lowerBound, endBlock: range.upperBound, fineCounts: fineCounts, coarseCounts: coarseCounts,
            observableSums: series, accepted: accepted, proposed: proposed, seconds: seconds)
    }

    /// Combines partial results covering every block exactly once (any order) into the result:
    /// counts add exactly (integers); the per-time observable sums add in shard order.
    public func finish(_ partials: [StationaryPartial]) throws -> StationaryResult {
        let fp = try fingerprint()
        let ordered = partials.sorted { $0.firstBlock < $1.firstBlock }
        var expected = 0
        for p in ordered {
            guard p.fingerprint == fp else {
                throw ShardMerge.MergeError(message: "a partial result of another run (fingerprint \(p.fingerprint), expected \(fp))")
            }
            guard p.firstBlock == expected else {
                throw ShardMerge.MergeError(message: "the partial results \(p.firstBlock > expected ? "leave a gap" : "overlap") at block \(min(expected, p.firstBlock))")
            }
            expected = p.endBlock
        }
        guard expected == blockCount else {
            throw ShardMerge.MergeError(message: "the partial results end at block \(expected) of \(blockCount) (gap)")
        }
        var fine = ordered[0].fineCounts, coarse = ordered[0].coarseCounts, series = ordered[0].observableSums
        var accepted = ordered[0].accepted, proposed = ordered[0].proposed, seconds = ordered[0].seconds
        for p in ordered.dropFirst() {
            for b in fine.indices { for c in fine[b].indices { fine[b][c] += p.fineCounts[b][c] } }
            for b in coarse.indices { for c in coarse[b].indices { coarse[b][c] += p.coarseCounts[b][c] } }
            for o in series.indices { for t in series[o].indices { series[o][t] += p.observableSums[o][t] } }
            accepted += p.accepted; proposed += p.proposed; seconds += p.seconds
        }
        let n = Double(scenario.particles.count)
        return StationaryResult(
            estimator: self, fineCounts: fine, coarseCounts: coarse, observableSeries: series.map { $0.map { $0 / n } },
            acceptanceRate: options.scheme == .mala ? Double(accepted) / Double(max(proposed, 1)) : nil, seconds: seconds)
    }
}

/// The raw accumulators of a stationary run over some blocks (a shard), which `finish` combines.
public struct StationaryPartial: Codable, Sendable {
    public let fingerprint: String
    public let shardIndex: Int
    public let shardCount: Int
    public let firstBlock: Int
    public let endBlock: Int
    /// Per batch, per cell: visits (integer-valued).
    public let fineCounts: [[Double]]
    public let coarseCounts: [[Double]]
    /// Per observable, per recording: the sum over the particles.
    public let observableSums: [[Double]]
    public let accepted: Int
    public let proposed: Int
    public let seconds: Double
}

/// One thread's state: tape workspaces for the current points and the proposals, and its
/// accumulators (histograms per batch, per-time sums of the observables).
private final class Worker {
    static let observables = 2
    let estimator: StationaryEstimator
    let current: TapeWorkspace
    let proposal: TapeWorkspace
    let normals: UnsafeMutablePointer<Double>
    let initialWorkspace: InitialDensitySampler.Workspace
    var fineCounts: [[Double]]
    var coarseCounts: [[Double]]
    var series: [[Double]]
    var accepted = 0, proposed = 0
    let fine: Int, coarse: Int

    init(estimator: StationaryEstimator, fine: Int, coarse: Int) {
        self.estimator = estimator
        self.fine = fine
        self.coarse = coarse
        let bs = EulerMaruyamaSampler.blockSize
        current = TapeWorkspace(tape: estimator.coefficients.tape, capacity: bs)
        proposal = TapeWorkspace(tape: estimator.coefficients.tape, capacity: bs)
        normals = .allocate(capacity: 2 * bs)
        initialWorkspace = estimator.initial.makeWorkspace()
        let d = estimator.scenario.dimension
        let b = estimator.options.batches
        fineCounts = [[Double]](repeating: [Double](repeating: 0, count: Int(pow(Double(fine), Double(d)))), count: b)
        coarseCounts = [[Double]](repeating: [Double](repeating: 0, count: Int(pow(Double(coarse), Double(d)))), count: b)
        series = [[Double]](repeating: [Double](repeating: 0, count: estimator.recordings), count: Self.observables)
    }

    deinit { normals.deallocate() }

    func run(block: Int) throws {
        let e = estimator
        let s = e.scenario
        let d = s.dimension
        let bs = EulerMaruyamaSampler.blockSize
        let first = block * bs
        let m = min(bs, s.particles.count - first)
        let rng = RandomStream(seed: BlockSeeds.seed(run: s.particles.seed, block: UInt64(block)))
        let scale = Double(s.inverseEpsilon)
        let x = (0..<d).map { current.input($0) }, y = (0..<d).map { proposal.input($0) }
        // Initial positions: exact draws from ρ0 (this block's stream).
        try e.initial.draw(into: x, count: m, rng: rng, workspace: initialWorkspace)
        let cholesky = e.coefficients.noise == .cholesky
        let noiseCount = cholesky ? 3 : d
        let logPiOutput = d + noiseCount
        let h = e.dt, sq = h.squareRoot()
        func evaluate(_ ws: TapeWorkspace, _ pos: [UnsafeMutablePointer<Double>]) {
            for k in 0..<d { hk_scale(pos[k], scale, ws.input(d + k), Int64(m)) }
            ws.run(count: m)
        }
        // Current values of the outputs (drift, noise, log π), kept per particle.
        var cur = [[Double]](repeating: [Double](repeating: 0, count: m), count: logPiOutput + 1)
        func store(_ ws: TapeWorkspace, _ i: Int) { for o in 0...logPiOutput { cur[o][i] = ws.output(o)[i] } }
        evaluate(current, x)
        for i in 0..<m { store(current, i) }
        var recording = 0
        for step in 1...e.steps {
            rng.fillGaussian(normals, count: m)
            if d == 2 { rng.fillGaussian(normals + bs, count: m) }
            // Proposal (the Euler–Maruyama step, unwrapped).
            for i in 0..<m {
                let xi1 = normals[i], xi2 = d == 2 ? normals[bs + i] : 0
                if cholesky {
                    y[0][i] = x[0][i] + cur[0][i] * h + cur[2][i] * sq * xi1
                    y[1][i] = x[1][i] + cur[1][i] * h + (cur[3][i] * xi1 + cur[4][i] * xi2) * sq
                } else {
                    y[0][i] = x[0][i] + cur[0][i] * h + cur[d][i] * sq * xi1
                    if d == 2 { y[1][i] = x[1][i] + cur[1][i] * h + cur[d + 1][i] * sq * xi2 }
                }
            }
            if e.options.scheme == .em {
                for i in 0..<m {
                    for k in 0..<d {
                        let v = y[k][i]
                        guard v.isFinite else { throw SamplerError.notFinite(step: step, time: Double(step) * h, block: block) }
                        x[k][i] = v - v.rounded(.down) < 1 ? v - v.rounded(.down) : 0
                    }
                }
                evaluate(current, x)
                for i in 0..<m { store(current, i) }
            } else {
                evaluate(proposal, y)
                for i in 0..<m {
                    // log α = log π(y) − log π(x) + log q(y→x) − log q(x→y), lifted displacement Δ = y − x.
                    var logAlpha = proposal.output(logPiOutput)[i] - cur[logPiOutput][i]
                    if cholesky {
                        func logQ(_ r1: Double, _ r2: Double, _ l11: Double, _ l21: Double, _ l22: Double) -> Double {
                            let z1 = r1 / (l11 * sq), z2 = (r2 / sq - l21 * z1) / l22
                            return -0.5 * (z1 * z1 + z2 * z2) - Foundation.log(l11 * l22)
                        }
                        let d0 = y[0][i] - x[0][i], d1 = y[1][i] - x[1][i]
                        logAlpha += logQ(-d0 - proposal.output(0)[i] * h, -d1 - proposal.output(1)[i] * h,
                                         proposal.output(2)[i], proposal.output(3)[i], proposal.output(4)[i])
                        logAlpha -= logQ(d0 - cur[0][i] * h, d1 - cur[1][i] * h, cur[2][i], cur[3][i], cur[4][i])
                    } else {
                        for k in 0..<d {
                            let delta = y[k][i] - x[k][i]
                            let sy = proposal.output(d + k)[i], sx = cur[d + k][i]
                            let ry = -delta - proposal.output(k)[i] * h, rx = delta - cur[k][i] * h
                            logAlpha += -ry * ry / (2 * sy * sy * h) - Foundation.log(sy)
                            logAlpha -= -rx * rx / (2 * sx * sx * h) - Foundation.log(sx)
                        }
                    }
                    proposed += 1
                    guard logAlpha.isFinite || logAlpha == -.infinity else {
                        throw SamplerError.notFinite(step: step, time: Double(step) * h, block: block)
                    }
                    if Foundation.log(rng.uniformPositive()) < logAlpha {
                        accepted += 1
                        for k in 0..<d { let v = y[k][i]; let w = v - v.rounded(.down); x[k][i] = w < 1 ? w : 0 }
                        store(proposal, i)
                    }
                }
            }
            if step > e.burnInSteps, (step - e.burnInSteps) % e.options.recordEvery == 0, recording < e.recordings {
                record(x, count: m, first: first, time: recording)
                recording += 1
            }
        }
    }

    /// Bins the positions into their batches' histograms (particle k in batch k mod B) and adds
    /// the observables cos 2πx₁ (slow) and cos 2πx₁/ε (fast) to the per-time sums.
    private func record(_ x: [UnsafeMutablePointer<Double>], count m: Int, first: Int, time: Int) {
        let d = estimator.scenario.dimension
        let batches = estimator.options.batches
        let n = Double(estimator.scenario.inverseEpsilon)
        var slow = 0.0, fast = 0.0
        for i in 0..<m {
            let batch = (first + i) % batches
            let a = x[0][i]
            let f1 = min(fine - 1, Int(a * Double(fine))), c1 = min(coarse - 1, Int(a * Double(coarse)))
            if d == 1 {
                fineCounts[batch][f1] += 1
                coarseCounts[batch][c1] += 1
            } else {
                let b = x[1][i]
                let f2 = min(fine - 1, Int(b * Double(fine))), c2 = min(coarse - 1, Int(b * Double(coarse)))
                fineCounts[batch][f1 * fine + f2] += 1
                coarseCounts[batch][c1 * coarse + c2] += 1
            }
            slow += Foundation.cos(2 * .pi * a)
            fast += Foundation.cos(2 * .pi * a * n)
        }
        series[0][time] += slow
        series[1][time] += fast
    }
}
