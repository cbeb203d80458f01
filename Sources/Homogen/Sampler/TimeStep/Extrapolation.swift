import Foundation

/// How `TimeStepControl` carries a pilot's bound on the chi-square shift λ at a step h' to a finer
/// step h = h'/2^J: divided by F(h' → h), the product of the ratios per halving between them.
///
/// The steps are h_top/2^k. The ratio of halving k (h_top/2^k → h_top/2^(k+1)) comes from the
/// local weak error (`LocalWeakError`), probed once at every step from h_top down until two steps
/// in a row no longer resolve it:
///
/// - where L is resolved at both ends: the measured ratio (its lower bound, within [1, 4^q]);
/// - finer than the finest measured halving: that halving's ratio (the ratio grows towards 4^q as
///   the step shrinks, so extending the last one errs small);
/// - coarser than every measured halving, or across a gap: 1 (no decrease is promised).
///
/// Where the pilots themselves resolve the bias over their last halvings, the ratio fitted on them
/// (`global`, the same at every halving) is a second measurement; each halving takes the larger
/// of the two lower bounds. When the probe resolves nothing at all (the local error is below its
/// noise everywhere), the fitted ratio is all there is.
final class Extrapolation {
    let top: Double
    /// L at h_top/2^k for k = 0…, as probed (the report's `local_errors`).
    private(set) var levels: [LocalWeakError.Level] = []
    /// The measured ratio of each halving k (nil where not both ends are resolved).
    private var measured: [Double?] = []
    /// The fallback ratio fitted on the pilots, used when the probe resolves nothing.
    var global: Double?

    /// Probes L from h_top down to h_top/2^maximumIndex, stopping after two unresolved steps in a
    /// row that follow a resolved one.
    init(top: Double, probe: LocalWeakError, maximumIndex: Int) throws {
        self.top = top
        var unresolvedRun = 0, seenResolved = false
        for k in 0...maximumIndex {
            let level = try probe.level(top / pow(2, Double(k)))
            levels.append(level)
            if level.resolved { seenResolved = true; unresolvedRun = 0 } else { unresolvedRun += 1 }
            if seenResolved, unresolvedRun >= 2 { break }
            // Nothing resolved at the three coarsest steps: the local error is below the probe's noise.
            if !seenResolved, k >= 2 { break }
        }
        measured = Self.ratios(levels, scheme: probe.scheme)
    }

    /// The extrapolation from levels probed before (a `TimeStepJournal`).
    init(top: Double, levels: [LocalWeakError.Level], scheme: SchemeKind) {
        self.top = top
        self.levels = levels
        measured = Self.ratios(levels, scheme: scheme)
    }

    private static func ratios(_ levels: [LocalWeakError.Level], scheme: SchemeKind) -> [Double?] {
        levels.indices.dropLast().map { k in LocalWeakError.ratio(levels[k], levels[k + 1], order: scheme.weakOrder) }
    }

    /// Whether a finer step is promised a smaller bias at all (some ratio above 1).
    var decreases: Bool { measured.contains { ($0 ?? 1) > 1 } || (global ?? 1) > 1 }

    /// The ratio of halving k: the larger of the probe's (as above) and the pilots' own fitted
    /// ratio, when there is one — both are lower confidence bounds of measured ratios.
    func ratio(halving k: Int) -> Double {
        max(local(halving: k), global ?? 1)
    }

    private func local(halving k: Int) -> Double {
        if k < measured.count, let r = measured[k] { return r }
        if let finest = measured.lastIndex(where: { $0 != nil }), k > finest { return measured[finest]! }
        return 1
    }

    /// The ratio of the halving that ends at h (reported with an extrapolated decision).
    func ratio(above h: Double) -> Double? {
        let k = index(of: h) - 1
        return k >= 0 ? ratio(halving: k) : nil
    }

    /// F(h' → h) for h ≤ h' on the grid of steps.
    func factor(from coarse: Double, to fine: Double) -> Double {
        let k0 = index(of: coarse), k1 = index(of: fine)
        guard k1 > k0 else { return 1 }
        return (k0..<k1).reduce(1.0) { $0 * ratio(halving: $1) }
    }

    /// k with h = h_top/2^k (steps off the grid round to the nearest).
    private func index(of h: Double) -> Int { Int((Foundation.log2(top / h)).rounded()) }
}
