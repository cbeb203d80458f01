import Foundation

/// The verdict of `compare` in words, from its data (`Comparison.Row`: consistent, the
/// Holm-adjusted p-values, the test that decided): the line a run folder's summary and the command
/// line give for each output time.
public enum VerdictText {
    public static func row(_ r: Comparison.Row, significance alpha: Double) -> String {
        let limit = String(format: "homogenised limit at W2 %@ %.3g", r.w2EpsilonHomogenisedIsUpperBound == true ? "<=" : "=",
                           r.w2EpsilonHomogenised)
        let w2 = r.holmPValueParticlesEpsilon, chi2 = r.holmChi2PValueParticlesEpsilon
        guard let test = r.decidedBy, !r.consistent else {
            return String(format: "particles consistent with the eps-PDE (Holm-adjusted p: W2 %.3g, chi-square %.3g); ", w2, chi2) + limit
        }
        return String(format: "particles DIFFER from the eps-PDE: %@ rejects (Holm-adjusted p = %.3g <= %g); ",
                      test.rawValue, min(w2, chi2), alpha) + limit
    }
}
