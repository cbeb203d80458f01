/// The numerical schemes that step a block of particles of the ε-SDE (2.5)–(2.6).
public enum SchemeKind: String, Sendable, Codable, CaseIterable {
    /// Euler–Maruyama for the forward-Itô form: weak order 1, invariant measure π_ε + O(dt).
    case em
    /// The Metropolised integrator: the Euler–Maruyama step of the backward-Itô form as a proposal,
    /// accepted with the Metropolis–Hastings probability for π_ε with the position-dependent
    /// preconditioner B_ε⁻¹ (MALA; `MALAScheme`). π_ε is exactly invariant for any step
    /// (backward-Itô convention only). Also accepted under its older name "mala".
    case metropolis
    /// The explicit weak order-2.0 scheme of Kloeden & Platen (15.1.3) (`WeakOrderTwoScheme`):
    /// derivative-free, bias O(dt²) for any medium and convention.
    case weak2

    /// The scheme `sample`, `compare` and `demo` run unless told otherwise: the weak order-2 scheme,
    /// whose certified step is the largest (docs/sampler.md, "Choosing the scheme").
    public static let standard = SchemeKind.weak2

    /// The names a user may give: the raw values, and "mala" for `metropolis`.
    public init?(name: String) {
        switch name.lowercased() {
        case "mala": self = .metropolis
        default:
            guard let k = SchemeKind(rawValue: name.lowercased()) else { return nil }
            self = k
        }
    }

    /// Decodes the raw value or the alias "mala" (run folders written before the rename).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let k = SchemeKind(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown scheme '\(text)' (weak2, em or metropolis)"))
        }
        self = k
    }

    /// The scheme's weak order q: the bias of an expectation at a fixed time is O(dt^q).
    public var weakOrder: Int {
        switch self {
        case .em, .metropolis: return 1
        case .weak2: return 2
        }
    }

    /// Whether the scheme rejects steps (and so records acceptance counts).
    public var isMetropolised: Bool { self == .metropolis }

    /// Whether the coefficient tape must also produce log π (for an acceptance ratio).
    var needsLogDensity: Bool { self == .metropolis }

    /// Makes one worker's instance of the scheme.
    func make(coefficients: SDECoefficients, plan: BlockPlan, inverseEpsilon: Int) -> ParticleScheme {
        switch self {
        case .em: return EulerMaruyamaScheme(coefficients: coefficients, inverseEpsilon: inverseEpsilon)
        case .metropolis: return MALAScheme(coefficients: coefficients, capacity: plan.blockSize, inverseEpsilon: inverseEpsilon)
        case .weak2: return WeakOrderTwoScheme(coefficients: coefficients, capacity: plan.blockSize, inverseEpsilon: inverseEpsilon)
        }
    }
}

/// One worker's instance of a scheme: its step, and the scratch it needs. The block driver calls
/// `begin` once per block (after the initial draw or a checkpoint restore), then `advance` for
/// every step of positive length. A scheme whose steps carry values from one step to the next
/// that `begin` would not recompute to the bit (MALA's cached coefficients, evaluated at the
/// lifted proposal before its wrap) gives them as `blockState`, which a checkpoint saves and
/// `restore` puts back, so a block resumed from a checkpoint continues exactly.
protocol ParticleScheme: AnyObject {
    func begin(_ block: ParticleBlock)
    /// Advances every particle of the block by one step of length h > 0, drawing the step's random
    /// variables from the block's stream (its normals, then `drawExtras`); throws
    /// `SamplerError.notFinite` naming `step` (1-based) and `time` (after the step).
    func advance(_ block: ParticleBlock, h: Double, step: Int, time: Double) throws
    /// The same step with given random variables (coupled paths: `CoupledStepper`).
    func advance(_ block: ParticleBlock, h: Double, randoms: StepRandoms, step: Int, time: Double) throws
    /// Rows of per-particle variables a step draws after its normals (0: none).
    var extraRows: Int { get }
    /// Draws a step's extra variables, row r of particle i at `extras + r * stride + i`, in the
    /// order `advance` draws them.
    func drawExtras(_ extras: UnsafeMutablePointer<Double>, stride: Int, count: Int, rng: RandomStream)
    /// Metropolis statistics of this worker so far, over all its blocks (nil for a scheme
    /// without rejection).
    var acceptance: (accepted: Int, proposed: Int)? { get }
    /// The block's carried values (nil: the scheme carries none).
    var blockState: [Double]? { get }
    /// Puts `blockState` back after `begin`; false when it does not fit this scheme and block.
    func restore(blockState: [Double]) -> Bool
}

extension ParticleScheme {
    var blockState: [Double]? { nil }
    func restore(blockState: [Double]) -> Bool { false }
}

/// The random variables of one step of a block: normals of coordinate k at `normals + k * stride`,
/// and the scheme's extra rows (`ParticleScheme.extraRows`) at `extras + r * stride`.
struct StepRandoms {
    let normals: UnsafePointer<Double>
    let extras: UnsafePointer<Double>
    let stride: Int
}
