import Foundation

/// The one-step (local) weak error of a scheme, and from it the convergence ratio per halving of
/// the run's bias, measured sharply where the coupled pilots (`CoupledPilot`) cannot.
///
/// **Why.** Over a whole run the coupled paths h and h/2 separate: in a fast-oscillating medium a
/// small difference is amplified until the two particles sit in different ε-cells. The pilot's bias estimate
/// then carries the noise of decorrelated pairs, which falls only like h while the bias of a
/// second-order scheme falls like h², so the pilots resolve the bias only at steps far above the
/// adequate one, where the scheme is not yet in its asymptotic regime.
///
/// **What.** From positions X spread over the run (the pilot's paths at every output time), one
/// coupled step — a step h against two steps h/2 from the same X and Brownian increments
/// (`CoupledStepper`) — cannot separate: the paths differ by the local strong error. The pooled
/// squared local weak error of the Fourier modes (`FourierBias`), L(h) = Σ_φ (E φ(X¹_h) −
/// E φ(X²_{h/2}))², is resolved over many halvings at a cost of a few milliseconds each.
/// Asymptotically L(h) ∝ h^(2q+2) (local error O(h^(q+1)) for a scheme of weak order q), so
/// L(h)/L(h/2) → 4^(q+1); the global bias is the sum of the T/h local errors, so its square — the
/// chi-square shift λ — falls per halving by
///
///     r(h → h/2) = L(h)/L(h/2) / 4,   at most 4^q,
///
/// which is below 4^q before the asymptotic regime (pre-asymptotic steps do not get the order's
/// promise), and is measured, not assumed.
public struct LocalWeakError {
    /// One-step samples per level by default: starting positions repeated with fresh random
    /// variables.
    static let standardSamples = 1 << 18
    /// One-step samples of a level probed again because it sank into the noise just below a
    /// resolved one (`Extrapolation`): 4, then 16 times the standard, until it is resolved (L's
    /// noise falls like 1/samples once L is below it).
    static let refinedSamples = [1 << 20, 1 << 22]

    /// L(h) at one step h, with its standard error.
    public struct Level: Codable, Sendable, Equatable {
        public let dt: Double
        public let pooled: Double
        public let standardError: Double
        /// L stands clear of its noise (L ≥ 4 SE, and above zero).
        public var resolved: Bool { pooled > 0 && pooled >= 4 * standardError }
    }

    let scenario: Scenario
    let scheme: SchemeKind
    let threads: Int
    /// Starting positions, coordinate by coordinate.
    let starts: [[Double]]
    /// One-step samples per level.
    var samples = LocalWeakError.standardSamples

    /// L at step h (seeded by the level, so that each level is reproducible on its own), from
    /// `samples` one-step samples unless `count` is given.
    func level(_ h: Double, samples count: Int? = nil) throws -> Level {
        let s = scenario, dim = s.dimension, d = dim.count
        let n = count ?? samples
        let probe = try s.replacing(
            particles: ParticleSettings(count: n, seed: BlockSeeds.splitMix64(s.particles.seed ^ h.bitPattern ^ 0x6C6F_6361_6C),
                                        convention: s.particles.convention),
            time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: h))
        let run = try ParticleRun(scenario: probe, scheme: scheme, schedule: TimeSchedule(dt: h, outputs: [h]))
        let plan = run.plan
        let starts = starts.first?.count ?? 0
        precondition(starts > 0)
        // storage[path * d + k]: coordinate k after the step, path 0 coarse, 1 fine.
        let storage = (0..<(2 * d)).map { _ in UnsafeMutableBufferPointer<Double>.allocate(capacity: n) }
        defer { for b in storage { b.deallocate() } }
        try ParticleEngine.forEachBlock(plan.blockCount, threads: threads, context: {
            (ParticleBlock(dimension: dim, capacity: plan.blockSize), ParticleBlock(dimension: dim, capacity: plan.blockSize),
             CoupledStepper(run: run))
        }) { context, block in
            let (a, b, stepper) = context
            a.start(block, of: plan, seed: run.seed)
            b.start(block, of: plan, seed: run.seed)
            let m = a.count, first = a.firstParticle
            for k in 0..<d {
                for i in 0..<m { a.x[k][i] = self.starts[k][(first + i) % starts] }
                b.x[k].update(from: a.x[k], count: m)
            }
            stepper.begin(coarse: a, fine: b)
            try stepper.advance(coarse: a, fine: b, h: h, step: 1, time: h)
            for k in 0..<d {
                (storage[k].baseAddress! + first).update(from: a.x[k], count: m)
                (storage[d + k].baseAddress! + first).update(from: b.x[k], count: m)
            }
        }
        let fourier = FourierBias(dimension: dim, cells: s.cells, inverseEpsilon: s.inverseEpsilon)
        let e = fourier.estimate(CoupledPilot.Record(coarse: (0..<d).map { Array(storage[$0]) },
                                                     fine: (0..<d).map { Array(storage[d + $0]) }), threads: threads)
        return Level(dt: h, pooled: e.pooled, standardError: e.standardError)
    }

    /// The ratio per halving of λ from L at h and h/2: L(h)/L(h/2)/4 less one standard error (in
    /// log), within [1, 4^q]; nil unless both are resolved.
    static func ratio(_ coarse: Level, _ fine: Level, order: Int) -> Double? {
        guard coarse.resolved, fine.resolved else { return nil }
        let relative = ((coarse.standardError / coarse.pooled) * (coarse.standardError / coarse.pooled)
                        + (fine.standardError / fine.pooled) * (fine.standardError / fine.pooled)).squareRoot()
        let r = coarse.pooled / fine.pooled / 4 * Foundation.exp(-relative)
        return min(max(r, 1), pow(4, Double(order)))
    }

    /// The ratio per halving of λ where L is resolved at h but not at h/2: L(h) less one standard
    /// error (in log) over L(h/2)'s upper bound max(L̂, 0) + 2 SE, over 4, within [1, 4^q] — a lower
    /// bound of the ratio from a finer level that sank into its noise. Nil unless that is the case.
    static func ratioBelowNoise(_ coarse: Level, _ fine: Level, order: Int) -> Double? {
        guard coarse.resolved, !fine.resolved else { return nil }
        let upper = max(fine.pooled, 0) + 2 * fine.standardError
        let lower = coarse.pooled * Foundation.exp(-coarse.standardError / coarse.pooled)
        let r = upper > 0 ? lower / upper / 4 : .infinity
        return min(max(r, 1), pow(4, Double(order)))
    }
}
