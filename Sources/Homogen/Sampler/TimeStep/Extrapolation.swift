import Foundation

/// How `TimeStepControl` carries a pilot's bound on the chi-square shift λ at a step h' to a finer
/// step h = h'/2^J: divided by F(h' → h), the product of the ratios per halving between them.
///
/// The steps are h_top/2^k. The ratio of halving k (h_top/2^k → h_top/2^(k+1)) comes from the
/// local weak error (`LocalWeakError`), probed once at every step from h_top down until two steps
/// in a row no longer resolve it:
///
/// - where L is resolved at both ends: the measured ratio (its lower bound, within [1, 4^q]);
///   where no halving is, the finest resolved level's halving, bounded with the finer level's
///   upper bound;
/// - finer than the finest measured halving: that halving's ratio (the ratio grows towards 4^q as
///   the step shrinks, so extending the last one errs small);
/// - coarser than every measured halving, or across a gap: 1 (no decrease is promised).
///
/// The ratio fitted on the pilots themselves (`global`, the same at every halving) is used only
/// when the probe resolves nothing at all (the local error is below its noise everywhere).
///
/// The same ratios also correct each pilot's Richardson estimate of the bias
/// (`richardsonCorrection`): before the asymptotic regime the bias falls more slowly than the
/// scheme's order promises, and p(h) − p(h/2) is a smaller part of it.
final class Extrapolation {
    /// The coarsest step probed (the pilots' top step, or above it: see the probing init).
    let top: Double
    /// L at h_top/2^k for k = 0…, as probed (the report's `local_errors`).
    private(set) var levels: [LocalWeakError.Level] = []
    /// The measured ratio of each halving k (nil where not both ends are resolved).
    private var measured: [Double?] = []
    /// The fallback ratio fitted on the pilots, used when the probe resolves nothing.
    var global: Double?

    /// Steps probed above h_top, at most, where nothing below resolves the local error.
    static let maximumProbesAbove = 3

    /// Probes L from h_top down to h_top/2^maximumIndex, stopping after two unresolved steps in a
    /// row that follow a resolved one. Where the three coarsest resolve nothing, L is probed above
    /// h_top (2 h_top, 4 h_top, 8 h_top: one step each, from the same positions) until it is
    /// resolved, and the extrapolation starts there: its halving down to the first unresolved step
    /// bounds the ratio from below (`ratios`). Without it the order's ratio 4^q was assumed, and a
    /// top step whose probe saw nothing was certified by its own pilot where a slightly coarser top,
    /// whose probe resolved a level, left every finer step uncertified (an independent review).
    init(top: Double, probe: LocalWeakError, maximumIndex: Int) throws {
        var levels: [LocalWeakError.Level] = []
        var unresolvedRun = 0, seenResolved = false
        for k in 0...maximumIndex {
            var level = try probe.level(top / pow(2, Double(k)))
            // Sunk into its noise just below a resolved level while the last measured ratio is
            // still far from the order's: probed again with 4, then 16 times the samples.
            // Otherwise the pre-asymptotic ratios of the coarse halvings were carried to every
            // finer one, and they set the Richardson factor of every pilot too: on a review's 2D
            // case (constant anisotropic B, ε = 1/4) L fell 6 and 7 times over the first two
            // halvings, then 37 (at 1.4 SE), so 1.42 per halving was carried, each pilot's λ̂ and SE
            // were multiplied by 22, and 1.6·10⁻⁶ was certified where 2·10⁻⁴ is adequate.
            if seenResolved, unresolvedRun == 0, !level.resolved, Self.farFromTheOrder(levels, scheme: probe.scheme) {
                for n in LocalWeakError.refinedSamples where n > probe.samples && !level.resolved {
                    level = try probe.level(level.dt, samples: n)
                }
            }
            levels.append(level)
            if level.resolved { seenResolved = true; unresolvedRun = 0 } else { unresolvedRun += 1 }
            if seenResolved, unresolvedRun >= 2 { break }
            // Nothing resolved at the three coarsest steps: the local error is below the probe's noise.
            if !seenResolved, k >= 2 { break }
        }
        if !seenResolved {
            var above: [LocalWeakError.Level] = []
            // (A step longer than the run is no step of it: the scenario refuses it.)
            for j in 1...Self.maximumProbesAbove where top * pow(2, Double(j)) <= probe.scenario.time.final {
                above.insert(try probe.level(top * pow(2, Double(j))), at: 0)
                if above[0].resolved {
                    levels.insert(contentsOf: above, at: 0)
                    break
                }
            }
        }
        self.top = levels[0].dt
        self.levels = levels
        measured = Self.ratios(levels, scheme: probe.scheme)
    }

    /// Whether the ratio of the last halving probed is unmeasured or far below the order's 4^q
    /// (below a quarter of it, and below 2): a finer level, resolved, could raise the ratio carried
    /// below it. (At half of 4^q the default scenario, whose last ratio is 7.8, paid 3 s of probes
    /// for the same step.)
    private static func farFromTheOrder(_ levels: [LocalWeakError.Level], scheme: SchemeKind) -> Bool {
        guard levels.count >= 2,
              let r = LocalWeakError.ratio(levels[levels.count - 2], levels[levels.count - 1], order: scheme.weakOrder) else { return true }
        return r < max(2, pow(4, Double(scheme.weakOrder)) / 4)
    }

    /// The extrapolation from levels probed before (a `TimeStepJournal`), coarsest first; they
    /// start at the pilots' `top` or above it (none: `top`).
    init(top: Double, levels: [LocalWeakError.Level], scheme: SchemeKind) {
        self.top = levels.first?.dt ?? top
        self.levels = levels
        measured = Self.ratios(levels, scheme: scheme)
    }

    /// The measured ratio of each halving. Where no halving has both ends resolved, the finest
    /// resolved level followed by an unresolved one still bounds its halving's ratio from below
    /// (`LocalWeakError.ratioBelowNoise`): leaving it at 1 made such a pilot's bias unbounded, while a
    /// probe that resolved nothing at all takes the order's ratio — so a slightly coarser top step,
    /// whose probe resolved nothing, was certified where this one was not (an independent review:
    /// 7.5·10⁻⁴ certified by its own pilot, 8·10⁻⁴ down to 10⁻⁴ NOT certified).
    private static func ratios(_ levels: [LocalWeakError.Level], scheme: SchemeKind) -> [Double?] {
        var r = levels.indices.dropLast().map { k in LocalWeakError.ratio(levels[k], levels[k + 1], order: scheme.weakOrder) }
        if r.allSatisfy({ $0 == nil }),
           let k = r.indices.last(where: { levels[$0].resolved && !levels[$0 + 1].resolved }) {
            r[k] = LocalWeakError.ratioBelowNoise(levels[k], levels[k + 1], order: scheme.weakOrder)
        }
        return r
    }

    /// Whether a finer step is promised a smaller bias at all (some ratio above 1).
    var decreases: Bool { measured.contains { ($0 ?? 1) > 1 } || (global ?? 1) > 1 }

    /// Whether the probe resolved the local error at any step.
    private var probeResolved: Bool { levels.contains { $0.resolved } }

    /// The ratio of halving k: the probe's (as above) wherever it resolved the local error at some
    /// step; the pilots' fitted ratio only where it resolved nothing. (Taking the larger of the two
    /// certified a step four times too coarse in an independent review: pre-asymptotic pilots,
    /// whose Richardson estimates are off by different factors, fitted 7.3 per halving where the
    /// probe measured 1.8, 3.1 and 5.5 — lower bounds of the 2.2, 3.7 and 8.7 that sampling found.)
    func ratio(halving k: Int) -> Double {
        probeResolved ? local(halving: k) : (global ?? 1)
    }

    /// The ratio per halving r of λ over the pilot's own halving h → h/2 that turns its difference
    /// D = p(h) − p(h/2) into the bias at h: b(h) = D/(1 − r^(−1/2)) (`richardsonCorrection`). The
    /// probe's ratio of that halving as above; where the probe resolved nothing (the local error
    /// sits below its noise at every step probed), the pilots' fitted ratio, or else the scheme's
    /// asymptotic 4^q.
    func richardsonRatio(at h: Double, order: Int) -> Double {
        let k = index(of: h)
        if probeResolved { return k >= 0 ? local(halving: k) : 1 }
        return global ?? pow(4, Double(order))
    }

    /// The factor c ≥ 1 by which a pilot's λ̂ at h, formed with the Richardson factor of the
    /// scheme's order (b = 2^q/(2^q − 1) D, `DiscretisationBias`), understates the bias when the
    /// measured ratio r of its halving is below the order's 4^q:
    ///
    ///     c = ((1 − 2^(−q)) / (1 − r^(−1/2)))²,
    ///
    /// since b(h/2) = b(h)/√r gives D = b(h) (1 − r^(−1/2)). +∞ when r = 1 (no decrease shown: D
    /// bounds nothing). On the review case above the bias at 8·10⁻⁵ was four times the pilot's
    /// estimate, and the probe's ratio 1.77 (its lower bound) gives c = 9.2.
    func richardsonCorrection(at h: Double, order: Int) -> Double {
        let r = richardsonRatio(at: h, order: order)
        guard r > 1 else { return .infinity }
        let assumed = 1 - pow(2, -Double(order)), measured = 1 - 1 / r.squareRoot()
        return max(1, (assumed / measured) * (assumed / measured))
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
