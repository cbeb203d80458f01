/// One worker's coupled step of the time-step pilot (`CoupledPilot`): a step h of the coarse path
/// and two steps h/2 of the fine path from the same random variables, drawn from the coarse
/// block's stream. Per coordinate k, the fine normals ξ₁ₖ, ξ₂ₖ (drawn one after the other), and
/// the coarse normal (ξ₁ₖ + ξ₂ₖ)/√2, so that ΔW_h = ΔW_{h/2} + ΔW'_{h/2} exactly. The scheme's other
/// variables (`ParticleScheme.drawExtras`: weak2's two-point variables, metropolis's acceptance
/// uniforms) are drawn per fine step, and the coarse step reuses the first fine step's — they are
/// independent of the Brownian path, so each path keeps its own law.
final class CoupledStepper {
    private let d: Int
    private let stride: Int
    private let coarseScheme: ParticleScheme
    private let fineScheme: ParticleScheme
    /// ξ₁, ξ₂ and the coarse normals, coordinate k's at + k * stride in each.
    private let xi1: UnsafeMutablePointer<Double>
    private let xi2: UnsafeMutablePointer<Double>
    private let sum: UnsafeMutablePointer<Double>
    /// Per-step scalars of the scheme (two-point variables or uniforms) for the two fine steps.
    private let extra1: UnsafeMutablePointer<Double>
    private let extra2: UnsafeMutablePointer<Double>

    init(run: ParticleRun) {
        d = run.dimension.count
        stride = run.plan.blockSize
        coarseScheme = run.scheme.make(coefficients: run.coefficients, plan: run.plan, inverseEpsilon: run.inverseEpsilon)
        fineScheme = run.scheme.make(coefficients: run.coefficients, plan: run.plan, inverseEpsilon: run.inverseEpsilon)
        let extras = max(coarseScheme.extraRows, 1) * stride
        xi1 = .allocate(capacity: d * stride); xi1.initialize(repeating: 0, count: d * stride)
        xi2 = .allocate(capacity: d * stride); xi2.initialize(repeating: 0, count: d * stride)
        sum = .allocate(capacity: d * stride); sum.initialize(repeating: 0, count: d * stride)
        extra1 = .allocate(capacity: extras); extra1.initialize(repeating: 0.5, count: extras)
        extra2 = .allocate(capacity: extras); extra2.initialize(repeating: 0.5, count: extras)
    }

    deinit {
        for p in [xi1, xi2, sum, extra1, extra2] { p.deallocate() }
    }

    /// Called once per block after both paths hold their initial positions.
    func begin(coarse: ParticleBlock, fine: ParticleBlock) {
        coarseScheme.begin(coarse)
        fineScheme.begin(fine)
    }

    func advance(coarse: ParticleBlock, fine: ParticleBlock, h: Double, step: Int, time: Double) throws {
        let m = coarse.count, rng = coarse.rng!
        let half = 0.5.squareRoot()
        for k in 0..<d {
            rng.fillGaussian(xi1 + k * stride, count: m)
            rng.fillGaussian(xi2 + k * stride, count: m)
            for i in 0..<m { sum[k * stride + i] = (xi1[k * stride + i] + xi2[k * stride + i]) * half }
        }
        // The fine steps' extra variables; the coarse step reuses the first's.
        fineScheme.drawExtras(extra1, stride: stride, count: m, rng: rng)
        fineScheme.drawExtras(extra2, stride: stride, count: m, rng: rng)
        try coarseScheme.advance(coarse, h: h, randoms: StepRandoms(normals: sum, extras: extra1, stride: stride),
                                 step: step, time: time)
        try fineScheme.advance(fine, h: h / 2, randoms: StepRandoms(normals: xi1, extras: extra1, stride: stride),
                               step: step, time: time)
        try fineScheme.advance(fine, h: h / 2, randoms: StepRandoms(normals: xi2, extras: extra2, stride: stride),
                               step: step, time: time)
    }

    /// Metropolis acceptance counts of the (coarse, fine) paths so far, nil without rejection.
    var acceptance: (coarse: (accepted: Int, proposed: Int), fine: (accepted: Int, proposed: Int))? {
        guard let c = coarseScheme.acceptance, let f = fineScheme.acceptance else { return nil }
        return (c, f)
    }
}
