import CKernels
import Foundation

// What a Fokker–Planck run keeps as it goes, apart from the stepping (py-pde's trackers): the
// free energy and its balance, the dissipation ψ at the output times, the mass and the minimum.
// `FokkerPlanckSolver.run` composes them; `Options.trackEnergy` leaves the first two out.

/// The free energy E(ρ) = Σ M_i f_i log f_i = ∫ρ log(ρ/π) (1.12), the discrete dissipation
/// ψ* = ½ Σ_faces T Δf Δlog f (2.22) — whose double is the exact dissipation rate −dE/dt of the
/// semi-discrete scheme — and the energy–dissipation balance (2.21)
/// E(ρ_t) − E(ρ_0) + ∫_0^t 2ψ* dτ (trapezoidal rule), after every step.
final class EnergyTracker {
    private let operatorK: FaceOperator
    private let massMatrix: [Double]
    private var logF: [Double]
    private(set) var energy = 0.0
    private(set) var psiStar = 0.0
    private let initialEnergy: Double
    private var integral = 0.0
    /// One record per step (and t = 0).
    private(set) var history: [FokkerPlanckResult.EnergyRecord] = []

    init(operatorK: FaceOperator, massMatrix: [Double], f: [Double]) {
        self.operatorK = operatorK
        self.massMatrix = massMatrix
        var logF = [Double](repeating: 0, count: f.count)
        (energy, psiStar) = Self.energies(f, massMatrix, operatorK, &logF)
        self.logF = logF
        initialEnergy = energy
        history = [.init(time: 0, energy: energy, psiStar: psiStar, balanceResidual: 0)]
    }

    /// The largest |residual| of the balance (2.21) that is still a converged diagonal: a tenth of
    /// E(ρ0). Backward Euler's residual is first order in dt (tested); a residual above this says
    /// the step does not resolve the dissipation's fastest time scale.
    static let balanceTolerance = 0.1

    /// A warning when the balance (2.21) does not close: its residual passed a tenth of E(ρ0)
    /// (plus round-off) at some step. Seen at ε = 1/1000 with dt = 10⁻⁴ ≫ ε²: a residual of
    /// 1.8·10² against E(ρ0) = 0.069, with nothing said.
    func balanceWarning(dt: Double) -> String? {
        guard let worst = history.max(by: { abs($0.balanceResidual) < abs($1.balanceResidual) }),
              abs(worst.balanceResidual) > Self.balanceTolerance * initialEnergy + 1e-12 else { return nil }
        return "the energy-dissipation balance (2.21) does not close: its residual reaches \(String(format: "%.3g", worst.balanceResidual)) "
            + "at t = \(String(format: "%.6g", worst.time)) against E(rho0) = \(String(format: "%.3g", initialEnergy)), so dt = \(dt) does not resolve the "
            + "dissipation's fastest time scale: the energy and dissipation figures are not converged in time (the densities "
            + "are backward Euler's, which stays stable and positive); halve --dt until the residual is small against E(rho0)"
    }

    /// E(ρ_t) − E(ρ_0) + ∫ (ψ + ψ*) dτ so far.
    var balanceResidual: Double { energy - initialEnergy + integral }

    /// E and ψ* of f. Cells at 0 or below — a density that underflowed, or the round-off of the
    /// solves (`MassTracker.roundOff`) — take the smallest positive value of f: their energy term
    /// is then 1 − f log f ≈ 1 (the limit 0 log 0 = 0 of (1.12)), and their faces add a bounded
    /// Δf Δlog f of round-off size to ψ*. (log 0 made E, ψ* and every later balance residual NaN
    /// for a narrow initial bump, without a word.)
    private static func energies(_ f: [Double], _ massMatrix: [Double], _ operatorK: FaceOperator,
                                 _ logF: inout [Double]) -> (Double, Double) {
        var smallest = Double.infinity
        for v in f where v > 0 { smallest = min(smallest, v) }
        let f = smallest == .infinity || f.allSatisfy({ $0 > 0 }) ? f : f.map { $0 > 0 ? $0 : smallest }
        f.withUnsafeBufferPointer { src in
            logF.withUnsafeMutableBufferPointer { hk_log(src.baseAddress!, $0.baseAddress!, Int64(f.count)) }
        }
        // Σ M (f log f − f + 1): E(ρ) = Σ ρ_i log(ρ_i/π_i) hⁿ (1.12) at unit mass, and ≥ 0 term by
        // term, so that round-off in the mass cannot make it negative.
        var e = 0.0
        for i in f.indices { e += massMatrix[i] * (f[i] * logF[i] - f[i] + 1) }
        return (e, operatorK.dirichletForm(f, logF))
    }

    /// After a step of length h ending at `time`.
    func stepped(_ f: [Double], h: Double, time: Double) {
        let (e, ps) = Self.energies(f, massMatrix, operatorK, &logF)
        integral += h * (psiStar + ps)
        energy = e
        psiStar = ps
        history.append(.init(time: time, energy: e, psiStar: ps, balanceResidual: balanceResidual))
    }
}

/// ψ(ρ, ∂tρ) (2.23) at the output times, from the rate of the step that ends there (the density
/// before it is kept), or at t = 0 from the semi-discrete rate −K f.
final class DissipationTracker {
    private let solver: FokkerPlanckSolver
    private var previousRho: [Double]?
    private var lastStep = 0.0

    init(solver: FokkerPlanckSolver) { self.solver = solver }

    /// Before a step of length h; `recordFollows`: an output time ends it.
    func willStep(_ f: [Double], h: Double, recordFollows: Bool) {
        previousRho = recordFollows ? zip(f, solver.pi).map { $0 * $1 } : nil
        lastStep = h
    }

    /// ψ at an output time reached by a step of length `h` (0 at t = 0), at `time`. A solve that
    /// stopped above a relative residual of `acceptedResidual` gives NaN and a warning.
    func psi(_ f: [Double], rho: [Double], h: Double, time: Double) -> Double {
        let grid = solver.grid, operatorK = solver.operatorK
        let rate: [Double]
        if let previousRho, h > 0 {
            rate = (0..<grid.count).map { (rho[$0] - previousRho[$0]) * grid.volume / lastStep }
        } else {
            // At t = 0: the semi-discrete rate h^d ∂tρ = −K f.
            var kf = [Double](repeating: 0, count: grid.count)
            operatorK.apply(f, &kf)
            rate = kf.map { -$0 }
        }
        let (psi, residual) = solver.dissipationFromRate(f, rate: rate)
        if psi.isFinite, residual <= Self.acceptedResidual { return psi }
        // Negative edge weights (or densities) can make the weighted operator of (2.23) indefinite,
        // and weights over many decades can stall the solve: ψ is then NaN, and the run goes on.
        unresolved.append(time)
        return .nan
    }

    /// The residual up to which a ψ is reported: the energy-norm error of u, and so ψ's relative
    /// error, is of the order of its square.
    static let acceptedResidual = 1e-6

    /// Output times whose ψ could not be computed.
    private(set) var unresolved: [Double] = []

    /// The warning for those times, if any.
    var warning: String? {
        guard !unresolved.isEmpty else { return nil }
        return "psi (2.23) could not be computed at t = " + unresolved.map { String(format: "%g", $0) }.joined(separator: ", ")
            + " (its weighted elliptic solve did not reach a relative residual of 1e-6: the density's weights span too many "
            + "decades, or the operator is not positive definite); it is NaN there"
    }
}

/// The largest |mass − 1| and the smallest density value (and when) over the output times; a
/// mass that is not finite ends the run with an error.
final class MassTracker {
    private let pi: [Double]
    private let volume: Double
    private(set) var drift = 0.0
    private(set) var minimum: Double
    private(set) var minimumTime = 0.0
    /// The largest cell value seen (the scale of `roundOff`).
    private(set) var maximum = 0.0

    init(f: [Double], pi: [Double], volume: Double) {
        self.pi = pi
        self.volume = volume
        minimum = zip(f, pi).reduce(Double.infinity) { min($0, $1.0 * $1.1) }
        maximum = zip(f, pi).reduce(0) { max($0, $1.0 * $1.1) }
    }

    func recorded(_ f: [Double], time: Double) throws {
        var m = 0.0, lo = Double.infinity
        var hi = maximum
        for i in f.indices { let r = f[i] * pi[i]; m += r; lo = min(lo, r); hi = max(hi, r) }
        maximum = hi
        let mass = m * volume
        guard mass.isFinite else {
            throw SolverError.notConverged("the solution became NaN or infinite before t = \(time)")
        }
        drift = max(drift, abs(mass - 1))
        if lo < minimum { minimum = lo; minimumTime = time }
    }

    /// The warning of a density that became negative beyond round-off, if it did.
    var warning: String? {
        minimum < -Self.roundOff * maximum
            ? "the density became negative: most negative cell value \(minimum) at t = \(minimumTime)" : nil
    }

    /// Negative cell values down to this fraction of the largest are the round-off of the linear
    /// solves (the scheme is positivity preserving: its matrices are M-matrices), not a defect: a
    /// narrow initial bump left cells at −5.6e-14, and the bootstrap of `compare` then trapped on a
    /// negative probability.
    static let roundOff = 1e-10

    /// Cell values with round-off negatives (`roundOff`) set to 0; larger negatives kept (the run
    /// warns about them, and the transport refuses them by name).
    static func roundOffClamped(_ rho: [Double]) -> [Double] {
        let floor = -roundOff * (rho.max() ?? 0)
        return rho.map { $0 < 0 && $0 >= floor ? 0 : $0 }
    }
}
