import Foundation

/// Whether a stationary run was long enough for its time averages to estimate π_ε, judged from
/// the run's own measured integrated autocorrelation time τ = max τ_int over the observables
/// (from the spread of the particles' own time averages after the burn-in, in time units:
/// `StationaryResult.timeAverageAutocorrelation`).
///
/// The batch-means standard errors are over independent particles, so they are right however
/// short the run; what they cannot see is a bias of the time averages themselves, which only a
/// start away from π_ε produces. So both checks apply only when ρ0 is not π_ε:
///
/// - **burn-in ≥ 5 τ.** A deviation from π_ε decays like e^{-t/τ_exp}, and for an observable
///   dominated by the slowest mode, ρ(t) = e^{-t/τ_exp} gives τ_int = 2τ_exp. After a burn-in
///   b = 5τ the deviation is reduced by e^{-b/τ_exp} = e^{-10} ≈ 4.5e-5 of its size at the start,
///   below the relative standard error 1/√ESS of any run with fewer than ~5e8 effective samples.
/// - **run after the burn-in L ≥ 50 τ.** The check above rests on τ, and a run cannot measure a
///   correlation longer than itself: the variance of a time average over L is σ²τ/L ·
///   (1 − O(τ/L)), so τ (and the ESS = N L/τ) read from it is low by about τ/(2L), 1% at
///   L = 50τ; and what is left of the transient after the burn-in, decaying with τ_exp ≈ τ/2,
///   adds at most 1% of its size at the start of the window to the time average.
///
/// A chain started at π_ε needs neither: it is stationary from the first step. Its τ_int and ESS
/// are still rough below 50 τ_int (the first reason above), which `tauIntRough` says.
public struct RunLengthCheck: Sendable, Codable, Equatable {
    /// Minimum burn-in in units of τ_int when ρ0 ≠ π_ε.
    public static let burnInFactor = 5.0
    /// Minimum run after the burn-in in units of τ_int when ρ0 ≠ π_ε.
    public static let runFactor = 50.0

    /// ρ0 is π_ε (`Scenario.initialIsEquilibrium`).
    public let startedAtPiEps: Bool
    /// Total variation between the output-grid masses of ρ0 and of π_ε (how far the start was).
    public let initialTotalVariation: Double
    /// The largest measured τ_int over the observables, in time units.
    public let tauInt: Double
    /// The burn-in and the run after it, in units of `tauInt`.
    public let burnInOverTauInt: Double
    public let runOverTauInt: Double
    /// ρ0 ≠ π_ε and the run after the burn-in is shorter than `runFactor` τ_int.
    public let shortRun: Bool
    /// ρ0 ≠ π_ε and the burn-in is shorter than `burnInFactor` τ_int.
    public let shortBurnIn: Bool
    /// The run after the burn-in is shorter than `runFactor` τ_int, whatever the start: τ_int and
    /// the ESS are rough (informational when ρ0 = π_ε).
    public let tauIntRough: Bool

    public init(startedAtPiEps: Bool, initialTotalVariation: Double, tauInt: Double, burnIn: Double, run: Double) {
        self.startedAtPiEps = startedAtPiEps
        self.initialTotalVariation = initialTotalVariation
        self.tauInt = tauInt
        burnInOverTauInt = burnIn / tauInt
        runOverTauInt = run / tauInt
        shortRun = !startedAtPiEps && runOverTauInt < Self.runFactor
        shortBurnIn = !startedAtPiEps && burnInOverTauInt < Self.burnInFactor
        tauIntRough = runOverTauInt < Self.runFactor
    }

    /// The warnings to print, in the library's terms (the burn-in, the run length).
    public var warnings: [String] {
        var out: [String] = []
        let start = String(format: "the particles did not start at pi_eps (total variation %.2g from it on the output grid)",
                           initialTotalVariation)
        if shortBurnIn {
            out.append(start + String(format: " and the burn-in is %.3g tau_int (tau_int = %.3g), less than %.0f: the estimates may "
                                      + "still carry the initial bias; lengthen the burn-in", burnInOverTauInt, tauInt, Self.burnInFactor))
        }
        if shortRun {
            out.append(start + String(format: " and the run after the burn-in is %.3g tau_int (tau_int = %.3g), less than %.0f: tau_int "
                                      + "itself, and so the burn-in check, is not reliable; lengthen the run", runOverTauInt, tauInt, Self.runFactor))
        }
        return out
    }
}
