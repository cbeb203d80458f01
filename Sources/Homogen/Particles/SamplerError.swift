/// Why the sampler cannot run a scenario.
public enum SamplerError: Error, CustomStringConvertible, Equatable {
    case notDifferentiable(String)
    /// The drift or the noise is not finite at a position (an infinite derivative of B or π).
    case coefficientsNotFinite(position: [Double])
    case stratonovichNeedsDiagonalMedium
    case timeStepTooCoarse(dt: Double, limit: Double, epsilon: String, smallestEigenvalue: Double)
    case notFinite(step: Int, time: Double, block: Int)
    case initialDensityAboveBound(bound: Double, value: Double)
    case tooMuchMemory(String)
    /// A Metropolis scheme was asked for with another convention than backward Itô.
    case metropolisNeedsBackwardIto
    /// `stationary` was given a scenario with another convention than backward Itô.
    case stationaryNeedsBackwardIto(Convention)
    /// Stopped by a signal after writing a checkpoint to the folder (if any).
    case interrupted(String?)

    public var description: String {
        switch self {
        case .notDifferentiable(let what):
            return "\(what) is not differentiable, but the sampler's drift needs the derivatives of B and π "
                + "(use a smooth expression for the sampler; abs, floor, mod, min and max are fine in [initial])"
        case .coefficientsNotFinite(let x):
            return "[medium] B or [equilibrium] pi: the sampler's drift or noise is not finite at x = ("
                + x.map { "\($0)" }.joined(separator: ", ") + "): B or pi has an infinite derivative there (a cusp such as "
                + "sqrt(1 + sin(2*pi*y)) where it vanishes), or the drift overflows (B^-1 beyond the floating-point range); "
                + "the sampler needs B and pi differentiable everywhere"
        case .stratonovichNeedsDiagonalMedium:
            return "[particles] convention: 'stratonovich' is defined from B alone only for scalar and diagonal media; "
                + "use 'backward-ito' or 'ito' with a full medium"
        case .timeStepTooCoarse(let dt, let limit, let eps, let lam):
            return "the time step dt = \(dt) does not resolve the cell: the rule is dt <= epsilon^2 * lambda_min(B) / 10 = "
                + "(\(eps))^2 * \(lam) / 10 = \(limit); lower dt, or allow a coarse step explicitly to run anyway"
        case .notFinite(let step, let time, let block):
            return "the particle state became NaN, infinite or larger than 2^52 periods at time step \(step) (t = \(time)) in block \(block); "
                + "nothing was written (a smaller dt usually cures this; if not, B may fail to be positive definite, or pi to be "
                + "positive, between the points where `homogen check` samples them)"
        case .initialDensityAboveBound(let bound, let value):
            return "[initial] the density reached \(value), above the rejection-sampling bound \(bound) "
                + "(1.25 times the largest value `homogen check` found, on its grid and on the line through the peak it saw): "
                + "it has a bump too narrow for the checks to see; widen it"
        case .tooMuchMemory(let what):
            return what
        case .metropolisNeedsBackwardIto:
            return "[particles] convention: a Metropolis scheme samples pi_eps, the invariant measure of the backward-Ito "
                + "dynamics only; use convention = 'backward-ito' or the Euler-Maruyama scheme"
        case .stationaryNeedsBackwardIto(let c):
            return "[particles] convention = '\(c.rawValue)': stationary estimates pi_eps, the invariant measure of the "
                + "backward-Ito dynamics, against its exact cell masses; the \(c.rawValue) dynamics has another one (in 1D "
                + "\(c == .ito ? "B" : "sqrt(B)") pi, normalised); use convention = 'backward-ito', or `homogen sample` to run "
                + "the \(c.rawValue) dynamics"
        case .interrupted(let folder):
            return "interrupted" + (folder.map { "; checkpoint written to \($0)" } ?? "")
        }
    }
}
