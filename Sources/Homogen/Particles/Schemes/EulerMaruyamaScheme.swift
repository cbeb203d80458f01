import CKernels

/// Euler–Maruyama for the ε-SDE (2.5)–(2.6) in forward-Itô form:
///
///     X ← wrap(X + b(X) h + σ(X) √h ξ),   ξ ~ N(0, I),
///
/// b and σ (σσᵀ = 2B_ε⁻¹) from the coefficient tape (`SDECoefficients`), wrap(v) = v − ⌊v⌋ per
/// coordinate. The step runs in one C call (`hk_em_step`): chunk by chunk of the block, load the
/// positions, evaluate the tape, update — so the registers stay in the L1/L2 cache.
final class EulerMaruyamaScheme: ParticleScheme {
    /// Particles per tape evaluation: keeps the registers in cache; does not change results.
    static let chunkSize = 256

    private let workspace: TapeWorkspace

    init(coefficients: SDECoefficients, inverseEpsilon: Int) {
        workspace = TapeWorkspace(tape: coefficients.tape, capacity: Self.chunkSize)
        workspace.program.dimension = Int32(coefficients.dimension.count)
        workspace.program.cholesky = coefficients.noise == .cholesky ? 1 : 0
        workspace.program.scale = Double(inverseEpsilon)
    }

    func begin(_ block: ParticleBlock) {}

    func advance(_ block: ParticleBlock, h: Double, step: Int, time: Double) throws {
        block.drawNormals()
        try advance(block, h: h, randoms: StepRandoms(normals: block.normals, extras: block.normals, stride: block.capacity),
                    step: step, time: time)
    }

    func advance(_ block: ParticleBlock, h: Double, randoms: StepRandoms, step: Int, time: Double) throws {
        let bad = withUnsafePointer(to: workspace.program) { p in
            hk_em_step(p, block.positionTable, randoms.normals, Int64(randoms.stride), h, h.squareRoot(), Int64(block.count))
        }
        if bad > 0 { throw SamplerError.notFinite(step: step, time: time, block: block.index) }
    }

    var extraRows: Int { 0 }
    func drawExtras(_ extras: UnsafeMutablePointer<Double>, stride: Int, count: Int, rng: RandomStream) {}

    var acceptance: (accepted: Int, proposed: Int)? { nil }
}
