import CKernels
import Dispatch
import Foundation

/// The solution of a Fokker–Planck run: densities at the output times (on the output grid and
/// on the solver grid), the free energy E(ρ) = ∫ρ log(ρ/π) (1.12), the dissipations ψ* (2.22)
/// and ψ (2.23), and the energy–dissipation balance (2.21) over time.
public struct FokkerPlanckResult: Sendable {
    public struct Snapshot: Sendable {
        public let time: Double
        /// Cell averages of ρ on the output grid (`outputCells` per side, row-major in 2D).
        public let density: [Double]
        /// Cell averages of ρ on the solver grid.
        public let solverDensity: [Double]
        public let energy: Double
        /// ψ*(ρ, −δE/δρ) = ½ ∫ ρ ⟨∇log(ρ/π), B⁻¹ ∇log(ρ/π)⟩ (2.22), discretely ½ Σ_faces T Δf Δlog f.
        public let psiStar: Double
        /// ψ(ρ, ∂tρ) = ½ ∫ ρ ⟨∇u, B⁻¹∇u⟩ with −∇·(ρB⁻¹∇u) = ∂tρ (2.23), from a weighted elliptic solve.
        public let psi: Double
        /// E(ρ_t) + ∫_0^t (ψ + ψ*) dτ − E(ρ_0), with ∫ by the trapezoidal rule on 2ψ*.
        public let balanceResidual: Double
        public let mass: Double
        public let minimumDensity: Double
    }

    /// One line per time step: t, E, ψ*, balance residual.
    public struct EnergyRecord: Sendable {
        public let time: Double
        public let energy: Double
        public let psiStar: Double
        public let balanceResidual: Double
    }

    public let scenario: Scenario
    public let equation: FokkerPlanckSolver.Equation
    public let solverCells: Int
    public let outputCells: Int
    public let dt: Double
    public let steps: Int
    public let seconds: Double
    public let snapshots: [Snapshot]
    public let history: [EnergyRecord]
    public let effective: EffectiveCoefficients?
    /// Largest |mass − 1| over all steps.
    public let massDrift: Double
    /// Smallest cell density over the output times.
    public let minimumDensity: Double
    /// The spatial scheme and time stepping used.
    public let timeStepping: String
    /// How many implicit operators were factorised (line systems) or assembled (the full-tensor
    /// operator): one per distinct step length, the regular dt and each shortened step that
    /// lands on an output time off the dt grid.
    public let factorisations: Int
    /// The solver's warnings (a non-M-matrix operator) and, if the density became negative
    /// somewhere, the most negative value and when.
    public let warnings: [String]
    /// Set when the energy–dissipation balance (2.21) does not close (`EnergyTracker.balanceWarning`):
    /// a statement about the energy figures `solve` prints, which `compare` does not use (its
    /// reference check measures the densities' own error).
    public let balanceWarning: String?
}

extension FokkerPlanckResult {
    /// The same solution with its solver-grid densities averaged onto a coarser solver grid of
    /// `cells` per axis (a divisor of `solverCells`): for distances between two solutions on one grid.
    public func averaged(toSolverCells cells: Int) -> FokkerPlanckResult {
        precondition(solverCells % cells == 0)
        if cells == solverCells { return self }
        let grid = PeriodicGrid(dimension: scenario.dimension, n: solverCells)
        let merged = Double(scenario.dimension.cells(perAxis: solverCells / cells))
        let snaps = snapshots.map { q in
            Snapshot(time: q.time, density: q.density, solverDensity: grid.aggregate(q.solverDensity, to: cells).map { $0 / merged },
                     energy: q.energy, psiStar: q.psiStar, psi: q.psi, balanceResidual: q.balanceResidual, mass: q.mass,
                     minimumDensity: q.minimumDensity)
        }
        return FokkerPlanckResult(scenario: scenario, equation: equation, solverCells: cells, outputCells: outputCells, dt: dt,
                                  steps: steps, seconds: seconds, snapshots: snaps, history: history, effective: effective,
                                  massDrift: massDrift, minimumDensity: minimumDensity, timeStepping: timeStepping,
                                  factorisations: factorisations, warnings: warnings, balanceWarning: balanceWarning)
    }
}

extension FokkerPlanckSolver {
    /// Runs the solver to the last output time. `progress` receives the fraction done. The stepping
    /// is here; what the run keeps is in its trackers (`EnergyTracker`, `DissipationTracker`,
    /// `MassTracker`), the first two only with `Options.trackEnergy`.
    public func run(progress: ((Double) -> Void)? = nil) throws -> FokkerPlanckResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let schedule = TimeSchedule(dt: dt, outputs: scenario.time.outputs)
        let totalSteps = max(schedule.stepCount, 1)
        let massMatrix = pi.map { $0 * grid.volume }
        var f = zip(rho0, pi).map { $0 / $1 }
        var stepper = Stepper(solver: self, mass: massMatrix)
        let energy = options.trackEnergy ? EnergyTracker(operatorK: operatorK, massMatrix: massMatrix, f: f) : nil
        let dissipation = options.trackEnergy ? DissipationTracker(solver: self) : nil
        let mass = MassTracker(f: f, pi: pi, volume: grid.volume)
        var snapshots: [FokkerPlanckResult.Snapshot] = []
        var done = 0
        for step in schedule {
            let h = step.h   // dt itself on the grid (`TimeSchedule`): one factorisation per run
            if h > 0 {
                dissipation?.willStep(f, h: h, recordFollows: step.record != nil)
                try stepper.advance(&f, by: h)
                energy?.stepped(f, h: h, time: step.time)
                done += 1
                if done % 16 == 0 { progress?(Double(done) / Double(totalSteps)) }
            }
            if step.record != nil {
                try mass.recorded(f, time: step.time)
                let rho = MassTracker.roundOffClamped(zip(f, pi).map { $0 * $1 })
                let psi = dissipation?.psi(f, rho: rho, h: h, time: step.time) ?? .nan
                let outputMass = grid.aggregate(rho.map { $0 * grid.volume }, to: outputCells)
                let outputVolume = grid.dimension.volume(side: 1 / Double(outputCells))
                snapshots.append(.init(
                    time: step.time, density: outputMass.map { $0 / outputVolume }, solverDensity: rho,
                    energy: energy?.energy ?? .nan, psiStar: energy?.psiStar ?? .nan, psi: psi,
                    balanceResidual: energy?.balanceResidual ?? .nan,
                    mass: rho.reduce(0, +) * grid.volume, minimumDensity: rho.min() ?? 0))
            }
        }
        progress?(1)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return FokkerPlanckResult(
            scenario: scenario, equation: options.equation, solverCells: grid.n, outputCells: outputCells, dt: dt,
            steps: done, seconds: seconds, snapshots: snapshots, history: energy?.history ?? [], effective: effective,
            massDrift: mass.drift, minimumDensity: mass.minimum, timeStepping: timeStepping,
            factorisations: stepper.factorisations,
            warnings: warnings + (mass.warning.map { [$0] } ?? []) + (dissipation?.warning.map { [$0] } ?? []),
            balanceWarning: energy?.balanceWarning(dt: dt))
    }

    /// ψ from a rate h^d ∂tρ: solve Σ_edges W (u_i − u_j) = h^d ∂tρ_i with W = T · Λ(f_i, f_j)
    /// (Λ the logarithmic mean, so that W ∇u discretises ρ B⁻¹ ∇u), then ψ = ½ Σ_faces W (u_j − u_i)².
    /// Returns ψ and the relative residual of the solve (0 in 1D, where it is exact).
    ///
    /// In 2D and 3D, conjugate gradients preconditioned by the inverse of the mean-weight operator
    /// (FFT): its iterations do not grow with the grid (33–39 at weights spread 16-fold), Jacobi's
    /// grow like n. But where the weights span many decades (a density like exp(5 cos 2πx1 +
    /// 5 cos 2πx2)) the mean is no guide, and Jacobi, which scales every cell by its own weights,
    /// converges in tens of iterations where the mean-weight solve stalls above 1e-5 after 1000:
    /// so after `psiIterations` the solve goes on from its iterate with Jacobi. ψ is a diagnostic:
    /// an iterate that stops above the tolerance is returned with its residual, for the caller
    /// to judge (`DissipationTracker`).
    func dissipationFromRate(_ f: [Double], rate: [Double]) -> (psi: Double, residual: Double) {
        let op = operatorK.reweighted { logMean(f[$0], f[$1]) }
        if grid.dimension == .one { return (Self.cycleDissipation(weights: op.weights[0], rate: rate), 0) }
        // One solve: the solution, or the iterate it stopped at (nil for an indefinite operator).
        func solve(_ preconditioner: MeanWeightPreconditioner?, from start: [Double]?, limit: Int) -> (u: [Double], residual: Double)? {
            do {
                let r = try ConjugateGradient.solve(op, rate, initial: start, tolerance: 1e-11, maxIterations: limit,
                                                    preconditioner: preconditioner)
                return (r.solution, r.relativeResidual)
            } catch let e as ConjugateGradient.NotConverged {
                return e.solution.isEmpty ? nil : (e.solution, e.relativeResidual)
            } catch {
                return nil
            }
        }
        var best: (u: [Double], residual: Double)?
        if let meanWeight = MeanWeightPreconditioner(op) {
            best = solve(meanWeight, from: nil, limit: Self.psiIterations)
            if let b = best, b.residual <= 1e-11 { return (op.dirichletForm(b.u, b.u), b.residual) }
            if best == nil { return (.nan, .infinity) }   // indefinite
        }
        // Jacobi (where the mean-weight operator does not apply, or from its iterate).
        if let jacobi = solve(nil, from: best?.u, limit: Self.jacobiIterations), jacobi.residual < best?.residual ?? .infinity {
            best = jacobi
        }
        guard let best else { return (.nan, .infinity) }
        return (op.dirichletForm(best.u, best.u), best.residual)
    }

    /// Iterations of the mean-weight-preconditioned ψ solve before it hands over to Jacobi, and
    /// of the Jacobi solve (a bound on the time one ψ may take: seconds at 64³).
    static let psiIterations = 300
    static let jacobiIterations = 5000

    /// ψ = ½ Σ_i W_i (u_{i+1} − u_i)² for (L u)_i = r_i on a cycle of n cells, exactly and in O(n)
    /// (conjugate gradients need O(n) iterations of O(n) each here). With the edge fluxes
    /// F_i = W_i (u_i − u_{i+1}), (L u)_i = F_i − F_{i−1}, so F_i = c + S_i with S_i = Σ_{j≤i} r_j
    /// (r projected to mean zero), and u periodic, Σ F_i / W_i = 0, fixes c. Then ψ = ½ Σ F_i² / W_i.
    static func cycleDissipation(weights w: [Double], rate: [Double]) -> Double {
        let n = rate.count
        let mean = rate.reduce(0, +) / Double(n)
        var partial = [Double](repeating: 0, count: n)
        var running = 0.0, sumSOverW = 0.0, sumInverseW = 0.0
        for i in 0..<n {
            running += rate[i] - mean
            partial[i] = running
            sumSOverW += running / w[i]
            sumInverseW += 1 / w[i]
        }
        let c = -sumSOverW / sumInverseW
        var psi = 0.0
        for i in 0..<n {
            let flux = c + partial[i]
            psi += flux * flux / w[i]
        }
        return 0.5 * psi
    }

    private func logMean(_ a: Double, _ b: Double) -> Double {
        let r = b / a - 1
        if abs(r) < 1e-4 { return a * (1 + r / 2 - r * r / 12) }  // series: (b − a)/log(b/a)
        return (b - a) / Foundation.log(b / a)
    }
}

extension FokkerPlanckSolver {
    /// The scheme in words, for the run folder's summary.
    var timeStepping: String {
        if operatorK.diagonalWeights != nil {
            let scheme = grid.dimension == .three ? "nineteen-point" : "nine-point"
            return "symmetric \(scheme) fluxes (full tensor); backward Euler, conjugate gradients, mass restored to round-off"
        }
        switch grid.dimension {
        case .one: return "two-point fluxes; backward Euler, one cyclic tridiagonal solve per step, mass restored to round-off"
        case .two: return "two-point fluxes; backward Euler with Lie splitting into x1 and x2 line solves"
        case .three: return "two-point fluxes; backward Euler with Lie splitting into x1, x2 and x3 line solves"
        }
    }
}

/// The implicit steps, with the factorised line systems cached per step length (a run has
/// one regular length and at most one shortened step per output time). In 2D and 3D the lines of
/// each direction are solved in blocks that are position-major batches in place
/// (`CyclicTridiagonalBatch`, which also applies the mass matrix M to the right-hand side):
///
/// - along an axis d other than the last, the array is [before][position][after] (row-major,
///   x1 slowest), so each of the n^d blocks holds n^(D−1−d) lines side by side — no data moves;
/// - along the last axis the lines are contiguous; each n × n slab [x_{D−1}][x_D] is transposed
///   into a per-thread buffer, solved as a batch of n lines and transposed back.
///
/// Blocks are independent and shared over the threads, so results do not depend on the count.
struct Stepper {
    let solver: FokkerPlanckSolver
    let mass: [Double]
    var cache: [UInt64: [LineBlocks]] = [:]
    var cache1D: [UInt64: CyclicTridiagonal] = [:]
    var implicitOperators: [UInt64: FaceOperator] = [:]
    /// Operators factorised or assembled so far (`FokkerPlanckResult.factorisations`).
    private(set) var factorisations = 0

    init(solver: FokkerPlanckSolver, mass: [Double]) {
        self.solver = solver
        self.mass = mass
        totalMass = mass.reduce(0, +)
    }

    /// Σ M_i, and Σ M f at the start of the run, for the mass restoration (`restoreMass`).
    private let totalMass: Double
    private var initialMass1D: Double?

    /// Σ M_i f_i over `mass.count` values, in four partial sums (the loop is bound by the latency
    /// of one running sum otherwise: a third of a 1D step at 2048 cells).
    private static func massOf(_ f: UnsafePointer<Double>, _ mass: [Double]) -> Double {
        mass.withUnsafeBufferPointer { m in
            let n = m.count, four = n - n % 4
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = 0
            while i < four {
                s0 += m[i] * f[i]; s1 += m[i + 1] * f[i + 1]; s2 += m[i + 2] * f[i + 2]; s3 += m[i + 3] * f[i + 3]
                i += 4
            }
            while i < n { s0 += m[i] * f[i]; i += 1 }
            return (s0 + s1) + (s2 + s3)
        }
    }

    /// Shifts f by the constant that makes Σ M f = `target`: K·1 = 0, so the shift changes the
    /// step's residual by M·c only (below the solver's tolerance), and mass is kept to round-off.
    private func restoreMass(_ f: UnsafeMutableBufferPointer<Double>, to target: Double) {
        let shift = (target - Self.massOf(f.baseAddress!, mass)) / totalMass
        if shift != 0 { for i in f.indices { f[i] += shift } }
    }

    /// The line systems of one direction: `batches[b]` is block b, of `blockSize` values starting
    /// at b · blockSize; `transposed` for the last axis (each block an n × n slab stored
    /// [line][position]).
    struct LineBlocks {
        let batches: [CyclicTridiagonalBatch]
        let blockSize: Int
        let transposed: Bool
    }

    /// Per direction, the line systems M + h K_d in blocks (see the type's comment).
    mutating func systems(_ h: Double) throws -> [LineBlocks] {
        if let s = cache[h.bitPattern] { return s }
        factorisations += 1
        let g = solver.grid, k = solver.operatorK, n = g.n, dims = g.dimension.count
        var all: [LineBlocks] = []
        for d in g.dimension.axes {
            let transposed = d == dims - 1
            // Lines per block and blocks; the global index of entry i of line s in block b.
            var after = 1
            for _ in (d + 1)..<dims { after *= n }
            let lines = transposed ? n : after
            let blocks = g.count / (n * lines)
            func index(_ b: Int, _ i: Int, _ s: Int) -> Int { transposed ? b * n * n + s * n + i : b * n * after + i * after + s }
            var batches = [CyclicTridiagonalBatch?](repeating: nil, count: blocks)
            var failure: Error?
            let lock = NSLock()
            let mass = self.mass
            DispatchQueue.concurrentPerform(iterations: min(blocks, max(1, solver.options.threads))) { w in
                for b in stride(from: w, to: blocks, by: max(1, min(blocks, solver.options.threads))) {
                    var diag = [Double](repeating: 0, count: n * lines), off = diag, scale = diag
                    for i in 0..<n {
                        for s in 0..<lines {
                            let c = index(b, i, s), slot = i * lines + s
                            diag[slot] = mass[c] + h * (k.weights[d][c] + k.weights[d][g.backward(c, d)])
                            off[slot] = -h * k.weights[d][c]
                            scale[slot] = mass[c]
                        }
                    }
                    do {
                        let batch = try CyclicTridiagonalBatch(diagonal: diag, offDiagonal: off, n: n, systems: lines,
                                                               rightHandSideScale: scale)
                        lock.lock(); batches[b] = batch; lock.unlock()
                    } catch {
                        lock.lock(); failure = failure ?? error; lock.unlock()
                    }
                }
            }
            if let failure { throw failure }
            all.append(LineBlocks(batches: batches.map { $0! }, blockSize: n * lines, transposed: transposed))
        }
        if cache.count > 8 { cache.removeAll() }
        cache[h.bitPattern] = all
        return all
    }

    mutating func advance(_ f: inout [Double], by h: Double) throws {
        let g = solver.grid
        if solver.operatorK.diagonalWeights != nil {
            try advanceCrossTerms(&f, by: h)
            return
        }
        switch g.dimension {
        case .one:
            let system: CyclicTridiagonal
            if let s = cache1D[h.bitPattern] { system = s } else {
                factorisations += 1
                let k = solver.operatorK.weights[0]
                let diag = (0..<g.n).map { mass[$0] + h * (k[$0] + k[g.backward($0, 0)]) }
                system = try CyclicTridiagonal(diagonal: diag, offDiagonal: k.map { -h * $0 }, rightHandSideScale: mass)
                if cache1D.count > 8 { cache1D.removeAll() }
                cache1D[h.bitPattern] = system
            }
            // M + h K is ill-conditioned when h K ≫ M (long lines at small ε, or long steps: 2048
            // cells at dt = 5e-3 lost 1.9e-11 of the mass in 200 steps, 65536 cells 7.5e-9), and the
            // solve loses mass; K·1 = 0, so a constant shift restores Σ M f to its value at the
            // start of the run (one pass to measure it, one to shift: a sixth of the step).
            let target = initialMass1D ?? f.withUnsafeBufferPointer { Self.massOf($0.baseAddress!, mass) }
            initialMass1D = target
            f.withUnsafeMutableBufferPointer { x in
                system.solve(x.baseAddress!)
                restoreMass(x, to: target)
            }
        case .two, .three:
            try advanceByLines(&f, by: h)
        }
    }

    /// Two-point fluxes in 2D and 3D: Lie splitting into the line solves along x1, then x2
    /// (then x3), block by block (`LineBlocks`).
    private mutating func advanceByLines(_ f: inout [Double], by h: Double) throws {
        let directions = try self.systems(h)
        let threads = max(1, solver.options.threads), n = solver.grid.n
        f.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let x = buffer.baseAddress!
            for lines in directions {
                let blocks = lines.batches.count
                if blocks == 1 && !lines.transposed {
                    lines.batches[0].solve(x, threads: threads)
                    continue
                }
                let workers = min(threads, blocks)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: lines.transposed ? n * n : 0)
                    defer { scratch.deallocate() }
                    for b in stride(from: w, to: blocks, by: workers) {
                        let block = x + b * lines.blockSize
                        guard lines.transposed else {
                            lines.batches[b].solve(block)
                            continue
                        }
                        Self.transpose(block, into: scratch, n)
                        lines.batches[b].solve(scratch, threads: blocks == 1 ? threads : 1)
                        Self.transpose(scratch, into: block, n)
                    }
                }
            }
        }
    }

    /// b[i·n + s] = a[s·n + i], in 32 × 32 tiles (both sides stay in cache).
    private static func transpose(_ a: UnsafePointer<Double>, into b: UnsafeMutablePointer<Double>, _ n: Int) {
        let tile = 32
        for s0 in stride(from: 0, to: n, by: tile) {
            for i0 in stride(from: 0, to: n, by: tile) {
                for s in s0..<min(n, s0 + tile) {
                    for i in i0..<min(n, i0 + tile) { b[i * n + s] = a[s * n + i] }
                }
            }
        }
    }

    /// Nine-point operator: one backward-Euler step (M + h K) f_new = M f_old by conjugate
    /// gradients from f_old (so f = const, i.e. ρ = π, is reproduced exactly), then the mass
    /// Σ M f restored to its old value (`restoreMass`): mass is conserved to round-off.
    mutating func advanceCrossTerms(_ f: inout [Double], by h: Double) throws {
        let op: FaceOperator
        if let o = implicitOperators[h.bitPattern] { op = o } else {
            factorisations += 1
            op = solver.operatorK.reweighted(mass: mass) { _, _ in h }
            if implicitOperators.count > 8 { implicitOperators.removeAll() }
            implicitOperators[h.bitPattern] = op
        }
        let rhs = zip(mass, f).map { $0 * $1 }
        let before = rhs.reduce(0, +)
        let r: ConjugateGradient.Result
        do {
            r = try ConjugateGradient.solve(op, rhs, initial: f, tolerance: 1e-13)
        } catch let e as ConjugateGradient.NotConverged {
            throw SolverError.notConverged("implicit full-tensor step (M + dt K) f = M f_old: \(e)")
        }
        var next = r.solution
        next.withUnsafeMutableBufferPointer { restoreMass($0, to: before) }
        f = next
    }
}
