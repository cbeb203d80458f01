import CKernels
import Foundation

/// The Metropolis-adjusted Langevin step with the position-dependent preconditioner B_ε⁻¹
/// (Xifara et al. 2014; Bou-Rabee, Donev & Vanden-Eijnden 2014): the Euler–Maruyama step is a
/// proposal Y = X + b(X) h + σ(X) √h ξ, accepted with probability
///
///     min(1, π(Y) q(Y→X) / (π(X) q(X→Y))),   q(x→·) = N(x + b(x) h, σσᵀ(x) h),
///
/// which keeps π_ε invariant exactly for any h (the tape's drift is the backward-Itô one, whose
/// continuous dynamics are π_ε-reversible (2.9)).
///
/// The torus: the chain runs on the lift Rⁿ, where π and the coefficients are periodic; the ratio
/// uses the lifted displacement Δ = Y − X (and −Δ for the reverse move), so the kernel is
/// reversible for the periodic π on Rⁿ and its image on the torus keeps π_ε invariant. Positions
/// are wrapped after each accepted move (a lattice shift changes nothing).
///
/// Random numbers per step: the block's normals (as Euler–Maruyama), then one uniform per
/// particle, in particle order (drawn before any is used: a step that fails part-way has drawn
/// them all).
final class MALAScheme: ParticleScheme {
    private let current: TapeWorkspace
    private let proposal: TapeWorkspace
    private let dimension: Int
    private let cholesky: Bool
    /// Tape outputs: drift (d), noise (d, or d(d+1)/2 Cholesky entries), log π.
    private let logPiOutput: Int
    /// The current points' outputs, kept per particle: output o of particle i at
    /// `cache[o * capacity + i]` (a flat buffer: the step reads and writes it through pointers,
    /// without the exclusivity checks and copies of nested Swift arrays).
    private let cache: UnsafeMutablePointer<Double>
    private let capacity: Int
    /// The current step's acceptance uniforms, one per particle.
    private let uniforms: UnsafeMutablePointer<Double>
    private(set) var accepted = 0, proposed = 0
    /// Particles of the current block.
    private var count = 0

    init(coefficients: SDECoefficients, capacity: Int, inverseEpsilon: Int) {
        precondition(coefficients.hasLogDensity)
        dimension = coefficients.dimension.count
        cholesky = coefficients.noise == .cholesky
        logPiOutput = dimension + (cholesky ? SymmetricIndex(dimension).count : dimension)
        current = TapeWorkspace(tape: coefficients.tape, capacity: capacity)
        proposal = TapeWorkspace(tape: coefficients.tape, capacity: capacity)
        for w in [current, proposal] {
            w.program.dimension = Int32(dimension)
            w.program.scale = Double(inverseEpsilon)
        }
        self.capacity = capacity
        cache = .allocate(capacity: (logPiOutput + 1) * capacity)
        cache.initialize(repeating: 0, count: (logPiOutput + 1) * capacity)
        uniforms = .allocate(capacity: capacity)
        uniforms.initialize(repeating: 0.5, count: capacity)
    }

    deinit {
        cache.deallocate()
        uniforms.deallocate()
    }

    var acceptance: (accepted: Int, proposed: Int)? { (accepted, proposed) }

    /// The cache, output by output: after an accepted move it holds the tape at the lifted
    /// proposal, which can differ in the last bit from the tape at the wrapped position that
    /// `begin` evaluates.
    var blockState: [Double]? {
        (0...logPiOutput).flatMap { o in Array(UnsafeBufferPointer(start: cache + o * capacity, count: count)) }
    }

    func restore(blockState state: [Double]) -> Bool {
        guard state.count == (logPiOutput + 1) * count else { return false }
        state.withUnsafeBufferPointer { s in
            for o in 0...logPiOutput { (cache + o * capacity).update(from: s.baseAddress! + o * count, count: count) }
        }
        return true
    }

    /// Evaluates the tape at the block's positions and caches the outputs.
    func begin(_ block: ParticleBlock) {
        count = block.count
        evaluate(current, at: block.positionTable, count: block.count)
        for o in 0...logPiOutput { (cache + o * capacity).update(from: current.output(o), count: block.count) }
    }

    private func evaluate(_ ws: TapeWorkspace, at x: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>, count m: Int) {
        withUnsafePointer(to: ws.program) { p in
            hk_load_inputs(p, x, 0, Int64(m))
            hk_run_program(p, Int64(m))
        }
    }

    func advance(_ block: ParticleBlock, h: Double, step: Int, time: Double) throws {
        block.drawNormals()
        drawExtras(uniforms, stride: capacity, count: block.count, rng: block.rng)
        try advance(block, h: h, randoms: StepRandoms(normals: block.normals, extras: uniforms, stride: capacity),
                    step: step, time: time)
    }

    /// One acceptance uniform in (0, 1) per particle.
    var extraRows: Int { 1 }

    func drawExtras(_ extras: UnsafeMutablePointer<Double>, stride: Int, count: Int, rng: RandomStream) {
        for i in 0..<count { extras[i] = rng.uniformPositive() }
    }

    func advance(_ block: ParticleBlock, h: Double, randoms: StepRandoms, step: Int, time: Double) throws {
        let d = dimension, m = block.count, sq = h.squareRoot(), outputs = logPiOutput + 1
        let x = block.x, u = randoms.extras
        let y = (0..<d).map { proposal.input($0) }
        let xi = (0..<d).map { randoms.normals + $0 * randoms.stride }
        let xi1 = xi[0], xi2 = xi[d - 1]
        let c = (0..<outputs).map { cache + $0 * capacity }
        // The proposals (Euler–Maruyama steps, not wrapped), straight into the proposal tape's inputs.
        if cholesky && d == 2 {
            let x0 = x[0], x1 = x[1], y0 = y[0], y1 = y[1]
            let b0 = c[0], b1 = c[1], l11 = c[2], l21 = c[3], l22 = c[4]
            for i in 0..<m {
                y0[i] = x0[i] + b0[i] * h + l11[i] * sq * xi1[i]
                y1[i] = x1[i] + b1[i] * h + (l21[i] * xi1[i] + l22[i] * xi2[i]) * sq
            }
        } else if cholesky {
            let x0 = x[0], x1 = x[1], x2 = x[2], y0 = y[0], y1 = y[1], y2 = y[2], xi3 = xi[2]
            let b0 = c[0], b1 = c[1], b2 = c[2], l11 = c[3], l21 = c[4], l22 = c[5], l31 = c[6], l32 = c[7], l33 = c[8]
            for i in 0..<m {
                y0[i] = x0[i] + b0[i] * h + l11[i] * sq * xi1[i]
                y1[i] = x1[i] + b1[i] * h + (l21[i] * xi1[i] + l22[i] * xi[1][i]) * sq
                y2[i] = x2[i] + b2[i] * h + (l31[i] * xi1[i] + l32[i] * xi[1][i] + l33[i] * xi3[i]) * sq
            }
        } else {
            for k in 0..<d {
                let xk = x[k], yk = y[k], bk = c[k], sk = c[d + k], nk = xi[k]
                for i in 0..<m { yk[i] = xk[i] + bk[i] * h + sk[i] * sq * nk[i] }
            }
        }
        for k in 0..<d { hk_scale(proposal.input(k), proposal.program.scale, proposal.input(d + k), Int64(m)) }
        withUnsafePointer(to: proposal.program) { hk_run_program($0, Int64(m)) }
        let out = (0..<outputs).map { proposal.output($0) }
        let logPiY = out[logPiOutput], logPiX = c[logPiOutput]
        var taken = 0
        for i in 0..<m {
            // log α = log π(y) − log π(x) + log q(y→x) − log q(x→y), lifted displacement Δ = y − x.
            var logAlpha = logPiY[i] - logPiX[i]
            if cholesky && d == 2 {
                let d0 = y[0][i] - x[0][i], d1 = y[1][i] - x[1][i]
                logAlpha += Self.logQ(-d0 - out[0][i] * h, -d1 - out[1][i] * h, out[2][i], out[3][i], out[4][i], sq)
                logAlpha -= Self.logQ(d0 - c[0][i] * h, d1 - c[1][i] * h, c[2][i], c[3][i], c[4][i], sq)
            } else if cholesky {
                let d0 = y[0][i] - x[0][i], d1 = y[1][i] - x[1][i], d2 = y[2][i] - x[2][i]
                logAlpha += Self.logQ((-d0 - out[0][i] * h, -d1 - out[1][i] * h, -d2 - out[2][i] * h),
                                      (out[3][i], out[4][i], out[5][i], out[6][i], out[7][i], out[8][i]), sq)
                logAlpha -= Self.logQ((d0 - c[0][i] * h, d1 - c[1][i] * h, d2 - c[2][i] * h),
                                      (c[3][i], c[4][i], c[5][i], c[6][i], c[7][i], c[8][i]), sq)
            } else {
                for k in 0..<d {
                    let delta = y[k][i] - x[k][i]
                    let sy = out[d + k][i], sx = c[d + k][i]
                    let ry = -delta - out[k][i] * h, rx = delta - c[k][i] * h
                    logAlpha += -ry * ry / (2 * sy * sy * h) - Foundation.log(sy)
                    logAlpha -= -rx * rx / (2 * sx * sx * h) - Foundation.log(sx)
                }
            }
            guard logAlpha.isFinite || logAlpha == -.infinity else {
                proposed += i + 1
                accepted += taken
                throw SamplerError.notFinite(step: step, time: time, block: block.index)
            }
            if Foundation.log(u[i]) < logAlpha {
                taken += 1
                for k in 0..<d { x[k][i] = Torus.wrap(y[k][i]) }
                for o in 0..<outputs { c[o][i] = out[o][i] }
            }
        }
        proposed += m
        accepted += taken
    }

    /// log of the Gaussian density, up to a constant, of the residual r = (r1, r2) under the
    /// covariance L Lᵀ h with L = [[l11, 0], [l21, l22]].
    private static func logQ(_ r1: Double, _ r2: Double, _ l11: Double, _ l21: Double, _ l22: Double,
                             _ sq: Double) -> Double {
        let z1 = r1 / (l11 * sq), z2 = (r2 / sq - l21 * z1) / l22
        return -0.5 * (z1 * z1 + z2 * z2) - Foundation.log(l11 * l22)
    }

    /// The same in 3D: r = (r1, r2, r3), L's lower triangle (l11, l21, l22, l31, l32, l33).
    private static func logQ(_ r: (Double, Double, Double), _ l: (Double, Double, Double, Double, Double, Double),
                             _ sq: Double) -> Double {
        let z1 = r.0 / (l.0 * sq)
        let z2 = (r.1 / sq - l.1 * z1) / l.2
        let z3 = (r.2 / sq - l.3 * z1 - l.4 * z2) / l.5
        return -0.5 * (z1 * z1 + z2 * z2 + z3 * z3) - Foundation.log(l.0 * l.2 * l.5)
    }
}
