import CKernels

/// The explicit weak order-2.0 scheme of Kloeden & Platen (*Numerical Solution of SDEs*, (15.1.3))
/// for the ε-SDE (2.5)–(2.6) in forward-Itô form dX = a dt + Σ_j b^j dW_j (a the Itô drift of
/// `SDECoefficients`, b^j column j of σ, σσᵀ = 2B_ε⁻¹): derivative-free — the derivatives of the
/// simplified weak order-2.0 Taylor scheme (14.2.2) are replaced by differences of the tape at the
/// supporting points Y = X + a h + Σ b^j ΔW_j, R±_j = X + a h ± b^j √h and U±_q = X ± b^q √h
/// (the full step is written out at `hk_weak2_step` in kernels.h). Weak order 2: an expectation of
/// a smooth function of X_T is exact up to O(h²), against Euler–Maruyama's O(h).
///
/// Tape runs per step: 2 + 2d, and 2d more in d ≥ 2 (1D: 4; 2D: 10) — the full tape at X only; the
/// drift alone at Y, the noise alone at R± and U± (`SDECoefficients.driftTape`, `noiseTape`).
///
/// Random numbers per step: the block's normals ξ (ΔW_j = √h ξ_j, as Euler–Maruyama draws them),
/// then in d ≥ 2 one two-point variable ±1 per particle and pair q > j (pair by pair, in particle
/// order) for the cross terms V_{q,j}. Gaussian increments satisfy the scheme's moment conditions
/// (Kloeden & Platen (14.2.3)) and let the time-step control couple a step h with two steps h/2
/// exactly (ΔW_h = ΔW_{h/2} + ΔW'_{h/2}).
final class WeakOrderTwoScheme: ParticleScheme {
    /// Particles per tape run (as `EulerMaruyamaScheme.chunkSize`); does not change results.
    static let chunkSize = 256

    /// The full tape, the drift alone, the noise alone.
    private let workspace: TapeWorkspace
    private let driftWorkspace: TapeWorkspace
    private let noiseWorkspace: TapeWorkspace
    private let dimension: Int
    private let scratch: UnsafeMutablePointer<Double>
    /// The two-point variables of the current step: pair p's at `twoPoint + p * capacity`.
    private let twoPoint: UnsafeMutablePointer<Double>
    private let capacity: Int

    init(coefficients: SDECoefficients, capacity: Int, inverseEpsilon: Int) {
        dimension = coefficients.dimension.count
        workspace = TapeWorkspace(tape: coefficients.tape, capacity: Self.chunkSize)
        driftWorkspace = TapeWorkspace(tape: coefficients.driftTape, capacity: Self.chunkSize)
        noiseWorkspace = TapeWorkspace(tape: coefficients.noiseTape, capacity: Self.chunkSize)
        for w in [workspace, driftWorkspace, noiseWorkspace] {
            w.program.dimension = Int32(dimension)
            w.program.cholesky = coefficients.noise == .cholesky ? 1 : 0
            w.program.scale = Double(inverseEpsilon)
        }
        let d = dimension
        scratch = .allocate(capacity: (4 * d + 2 * d * d) * Self.chunkSize)
        scratch.initialize(repeating: 0, count: (4 * d + 2 * d * d) * Self.chunkSize)
        self.capacity = capacity
        let pairs = max(Self.pairs(d), 1)
        twoPoint = .allocate(capacity: pairs * capacity)
        twoPoint.initialize(repeating: 0, count: pairs * capacity)
    }

    deinit {
        scratch.deallocate()
        twoPoint.deallocate()
    }

    /// The pairs q > j of noise components, each with its two-point variable: d(d − 1)/2.
    static func pairs(_ d: Int) -> Int { d * (d - 1) / 2 }

    func begin(_ block: ParticleBlock) {}

    func advance(_ block: ParticleBlock, h: Double, step: Int, time: Double) throws {
        block.drawNormals()
        drawExtras(twoPoint, stride: capacity, count: block.count, rng: block.rng)
        try advance(block, h: h, randoms: StepRandoms(normals: block.normals, extras: twoPoint, stride: capacity),
                    step: step, time: time)
    }

    /// One two-point variable ±1 per particle and pair q > j (none in 1D).
    var extraRows: Int { Self.pairs(dimension) }

    func drawExtras(_ extras: UnsafeMutablePointer<Double>, stride: Int, count: Int, rng: RandomStream) {
        for p in 0..<extraRows {
            let v = extras + p * stride
            for i in 0..<count { v[i] = rng.uniform() < 0.5 ? -1 : 1 }
        }
    }

    func advance(_ block: ParticleBlock, h: Double, randoms r: StepRandoms, step: Int, time: Double) throws {
        let bad = withUnsafePointer(to: workspace.program) { p in
            withUnsafePointer(to: driftWorkspace.program) { pa in
                withUnsafePointer(to: noiseWorkspace.program) { pb in
                    hk_weak2_step(p, pa, pb, block.positionTable, r.normals, Int64(r.stride), r.extras, Int64(r.stride), h,
                                  Int64(block.count), scratch)
                }
            }
        }
        if bad > 0 { throw SamplerError.notFinite(step: step, time: time, block: block.index) }
    }

    var acceptance: (accepted: Int, proposed: Int)? { nil }
}
