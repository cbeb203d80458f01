/// The numerical schemes that step a block of particles of the ε-SDE (2.5)–(2.6).
public enum SchemeKind: String, Sendable, Codable, CaseIterable {
    /// Euler–Maruyama for the forward-Itô form: weak order 1, invariant measure π_ε + O(dt).
    case em
    /// Metropolis-adjusted Langevin with the position-dependent preconditioner B_ε⁻¹: π_ε is
    /// exactly invariant for any step (backward-Itô convention only).
    case mala

    /// Whether the coefficient tape must also produce log π (for an acceptance ratio).
    var needsLogDensity: Bool { self == .mala }

    /// Makes one worker's instance of the scheme.
    func make(coefficients: SDECoefficients, plan: BlockPlan, inverseEpsilon: Int) -> ParticleScheme {
        switch self {
        case .em: return EulerMaruyamaScheme(coefficients: coefficients, inverseEpsilon: inverseEpsilon)
        case .mala: return MALAScheme(coefficients: coefficients, capacity: plan.blockSize, inverseEpsilon: inverseEpsilon)
        }
    }
}

/// One worker's instance of a scheme: its step, and the scratch it needs. The block driver calls
/// `begin` once per block (after the initial draw or a checkpoint restore), then `advance` for
/// every step of positive length. A scheme keeps no state between blocks beyond what `begin`
/// recomputes from the positions, so a block resumed from a checkpoint continues exactly.
protocol ParticleScheme: AnyObject {
    func begin(_ block: ParticleBlock)
    /// Advances every particle of the block by one step of length h > 0; throws
    /// `SamplerError.notFinite` naming `step` (1-based) and `time` (after the step).
    func advance(_ block: ParticleBlock, h: Double, step: Int, time: Double) throws
    /// Metropolis statistics so far (nil for a scheme without rejection).
    var acceptance: (accepted: Int, proposed: Int)? { get }
}
