import Foundation

/// Chooses the sampler's time step by its measured weak error, against the Monte Carlo noise of
/// the run it is for (the rule of thumb ε² λ_min(B)/10 is only the first guess h₀).
///
/// **The measurement.** A pilot (`CoupledPilot`) runs the whole schedule with coupled steps h and
/// h/2; the bias of the run's cell probabilities at h is estimated by Richardson extrapolation and
/// judged by the shift λ it would cause in the run's chi-square statistics, at every output time
/// and every scale (`DiscretisationBias`). A step passes when λ ≤ κ √(2(k − 1)) everywhere. The
/// Richardson factor is that of the ratio per halving r measured over the pilot's own halving by
/// the local weak error probe (`Extrapolation.richardsonCorrection`), not the order's: before the
/// asymptotic regime the bias falls more slowly than h^q, and p(h) − p(h/2) is a smaller part of it.
///
/// **Why extrapolate.** At the step that passes, the coupled paths still straddle cell edges often
/// enough that the pilot's own noise is as large as the threshold: a pilot there cannot tell a
/// passing step from a failing one, however right the step. At coarser steps the bias stands far
/// above the noise. So the control starts coarse, at h_top = 2^u h₀ (u ≤ 6, h_top at most an eighth
/// of the shortest output interval), where pilots are cheap, and halves the step while no step
/// passes. The bound at a finer step h' < h is (λ̂ + 2SE)/F(h → h'), taken per output time and
/// scale from every step tried, F the product of the probe's measured ratios per halving between
/// them (`Extrapolation`: lower confidence bounds, the finest carried on below; where the probe
/// resolves nothing, the ratio fitted on the pilots that resolve the bias, r_eff ≥ 1.5, its fit's
/// slope less one standard error). The step used is the largest power-of-two fraction of h_top,
/// not above the requested step, whose bound passes everywhere. A step whose own pilot already
/// passes (λ̂ + 2SE below the threshold) needs no extrapolation. Pilot particles: as many as the
/// run (up to `maximumPilotParticles`), so that the pilot's noise, scaled by N/M, does not hide
/// the bias.
///
/// **Where it cannot decide.** The pilot's noise falls slowly with the step (the coupled paths
/// separate at the scale of a cell, and in stiff media, where one path crosses a steep barrier and
/// the other does not, they separate outright). After two pilots in a row that neither pass, nor
/// resolve the bias anywhere, nor show it too large anywhere (λ̂ − 2SE above the threshold), the
/// control stops: the larger of the two (at most h₀) is used,
/// reported as not certified (method "unresolved", `passed` false) — not shown too coarse, not
/// shown fine either.
///
/// **What the pilots may cost.** Together at most `pilotRuns` runs of the pilot's particles at
/// h₀ (down to h₀/2 from the top), or `pilotFloor` particle-steps if that is more. Where that is
/// spent without a decision — the pilots resolve a bias but neither certify a step nor show the
/// bias falling, typically because their noise stays above what they must certify — the control
/// stops and says so (`Failure.pilotsInconclusive`); a decision being refined is kept.
public struct TimeStepControl {
    /// Steps tried below h₀, at most.
    public static let maximumHalvings = 12
    /// Steps tried above h₀, at most (u).
    public static let maximumCoarsenings = 6
    /// Pilot particles: the run's own N, within these bounds.
    public static let minimumPilotParticles = 20_000
    public static let maximumPilotParticles = 400_000
    /// The smallest measured convergence ratio trusted for extrapolation.
    public static let smallestRatio = 1.5
    /// The largest standard error of the fitted slope (in halvings of λ, log₂ units) at which a
    /// slope consistent with the scheme's order counts as showing that order.
    public static let orderShownWithin = 0.5
    /// Pilots (the finest that resolve the bias) in the fit of the convergence ratio.
    public static let fitPoints = 3

    /// One step tried by the pilot, summarised at its worst output time and scale.
    public struct Trial: Codable, Sendable, Equatable {
        public let dt: Double
        /// λ̂ (the estimated shift of a chi-square statistic), its standard error and the threshold
        /// κ √(2(k − 1)), where (λ̂ + 2 SE)/threshold is largest; λ̂ carries the Richardson factor
        /// of the ratio measured over the pilot's halving (`Extrapolation.richardsonCorrection`).
        /// Unbounded (+∞, null in JSON, with SE 0) where the pilot blew up, or where no decrease
        /// of the bias is measured over its halving.
        @InfiniteAsNull public private(set) var noncentrality: Double
        public let standardError: Double
        public let threshold: Double
        /// Where that is: the output time, output cells merged per axis, groups tested.
        public let worstTime: Double
        public let coarsening: Int
        public let groups: Int
        /// λ̂ + 2 SE ≤ threshold at every output time and scale.
        public let passes: Bool
        /// False when the pilot blew up at this step (then it only says the step is too coarse).
        public let finite: Bool
        /// The bias stands clear of the pilot's noise (λ̂ ≥ 4 SE) at some output time and scale.
        public let resolved: Bool
        /// Largest |b̂| over cells, scales and output times (probability units).
        @InfiniteAsNull public private(set) var largestCellBias: Double

        init(dt: Double, noncentrality: Double, standardError: Double, threshold: Double, worstTime: Double, coarsening: Int,
             groups: Int, passes: Bool, finite: Bool, resolved: Bool, largestCellBias: Double) {
            self.dt = dt; self.noncentrality = noncentrality; self.standardError = standardError; self.threshold = threshold
            self.worstTime = worstTime; self.coarsening = coarsening; self.groups = groups; self.passes = passes
            self.finite = finite; self.resolved = resolved; self.largestCellBias = largestCellBias
        }
    }

    /// How a step was decided (written as its raw value in `summary.json`).
    public enum Method: String, Codable, Sendable {
        /// The pilot at the step itself passed.
        case pilot
        /// A coarser pilot's bound, carried to the step by the measured ratios.
        case extrapolated
        /// Neither certified nor shown too coarse: the bias sank into the pilots' noise.
        case unresolved
        /// No step certified; the requested one is used anyway (`--allow-coarse-dt`).
        case none
    }

    /// A decision of the pilots so far: the step, how it was reached, the ratio of its last
    /// halving (extrapolated only) and its bound on λ over the threshold.
    struct Decision {
        let dt: Double
        let method: Method
        let ratio: Double?
        let bound: Double
    }

    /// What the control decided.
    public struct Report: Codable, Sendable {
        /// The step the run uses.
        public let dt: Double
        /// The scheme whose bias was measured, and its weak order.
        public let scheme: SchemeKind
        public let order: Int
        /// True when `dt` passed; false when a coarse step was allowed explicitly.
        public let passed: Bool
        /// How the step was decided.
        public let method: Method
        /// The convergence ratio r_eff used to extrapolate (nil for "pilot").
        public let ratio: Double?
        /// The bound on λ at `dt` over its threshold, worst over output times and scales (≤ 1 passes);
        /// +∞ (null in JSON) when no pilot bounds it.
        @InfiniteAsNull public private(set) var boundOverThreshold: Double
        /// Every step tried, coarsest first.
        public let trials: [Trial]
        /// The local weak error probed at each step, coarsest first (`LocalWeakError`): the
        /// measured ratios per halving that carry a pilot's bound to finer steps.
        public let localErrors: [LocalWeakError.Level]
        public let pilotParticles: Int
        /// The run's particle count the bias was judged against.
        public let runParticles: Int
        /// The pilots' and the probe's seconds when they were measured.
        public let seconds: Double
        /// True when this run took the decision from its journal (measured by an earlier run):
        /// `seconds` is then that run's, not this one's. (Not part of the JSON record.)
        public var reused = false

        private enum CodingKeys: String, CodingKey {
            case dt, scheme, order, passed, method, ratio, boundOverThreshold, trials, localErrors, pilotParticles, runParticles, seconds
        }

        init(dt: Double, scheme: SchemeKind, passed: Bool, method: Method, ratio: Double?, boundOverThreshold: Double, trials: [Trial],
             localErrors: [LocalWeakError.Level], pilotParticles: Int, runParticles: Int, seconds: Double) {
            self.dt = dt; self.scheme = scheme; order = scheme.weakOrder; self.passed = passed; self.method = method; self.ratio = ratio
            self.boundOverThreshold = boundOverThreshold; self.trials = trials; self.localErrors = localErrors; self.pilotParticles = pilotParticles
            self.runParticles = runParticles; self.seconds = seconds
        }

        /// What a DIFFER verdict adds when `dt` was certified by extrapolation below the finest
        /// pilot: no pilot measured the bias there, only the local weak error's ratios carried it
        /// (and a review once found those carried too far: docs/sampler.md), so the difference may
        /// be the sampler's, and a rerun at a quarter of the step tells. Nil for a step its own
        /// pilot passed, or one not certified (whose flags say so already).
        public var extrapolationCaveat: String? {
            guard passed, method == .extrapolated, let finest = trials.map(\.dt).min(), finest > dt * (1 + 1e-12) else { return nil }
            return String(format: "dt = %g was certified by extrapolation from the finest pilot at %g; a time-step bias the "
                          + "extrapolation underrates also shows as DIFFER (docs/sampler.md): rerun with --dt %g to rule the sampler out",
                          dt, finest, dt / 4)
        }

        /// Folders written before the scheme and the probe were recorded measured Euler–Maruyama
        /// and have no local errors.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(dt: try c.decode(Double.self, forKey: .dt),
                      scheme: try c.decodeIfPresent(SchemeKind.self, forKey: .scheme) ?? .em, passed: try c.decode(Bool.self, forKey: .passed),
                      method: try c.decode(Method.self, forKey: .method), ratio: try c.decodeIfPresent(Double.self, forKey: .ratio),
                      boundOverThreshold: try c.decode(InfiniteAsNull.self, forKey: .boundOverThreshold).wrappedValue,
                      trials: try c.decode([Trial].self, forKey: .trials),
                      localErrors: try c.decodeIfPresent([LocalWeakError.Level].self, forKey: .localErrors) ?? [], pilotParticles: try c.decode(Int.self, forKey: .pilotParticles),
                      runParticles: try c.decode(Int.self, forKey: .runParticles), seconds: try c.decode(Double.self, forKey: .seconds))
        }
    }

    /// Why no step could be chosen.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// The requested step fails; `passing` is the largest step that passes (`certified`) or that
        /// the pilot cannot show too coarse, if found.
        case requestedStepTooCoarse(dt: Double, boundOverThreshold: Double, passing: Double?, certified: Bool)
        /// No step down to `smallest` passes.
        case noPassingStep(smallest: Double)
        /// Stopped (SIGINT or SIGTERM) during the pilots; the pilots done so far are in `journal`.
        case interrupted(journal: String?, pilots: Int)
        /// The step that passes is more than `maximumShrink` times below the scenario's and the run
        /// costly (`costlyRun`): it would take `particleSteps` particle-steps, which is refused
        /// rather than started unannounced.
        case passingStepTooCostly(dt: Double, scenarioDt: Double, particleSteps: Double)
        /// The pilots spent their budget (`pilotBudget`, `particleSteps` of it), down to `finest`,
        /// without certifying a step or showing one too coarse; the finest pilot measured λ̂ ± SE
        /// against the threshold.
        case pilotsInconclusive(finest: Double, particleSteps: Double, noncentrality: Double, standardError: Double, threshold: Double)

        /// Whether the control was stopped rather than refused.
        public var isInterrupted: Bool { if case .interrupted = self { return true } else { return false } }

        public var description: String {
            switch self {
            case .requestedStepTooCoarse(let dt, let b, let passing, let certified):
                // An infinite bound: no pilot bounds the bias there (the local weak error does not
                // fall over the step's halving), which says the step is too coarse, not by how much.
                let size = b.isFinite
                    ? String(format: "its measured bias would shift a chi-square statistic by up to %.3g times the allowed %g "
                             + "null standard deviations", b, DiscretisationBias.tolerance)
                    : "the pilots cannot bound its bias (the local weak error does not fall when the step is halved there: "
                      + "the step is above the scheme's asymptotic regime)"
                return String(format: "the time step %g is too coarse for this many particles: ", dt) + size
                    + (passing.map { certified ? "; dt = \($0) passes"
                                        : String(format: "; dt = %g is the largest step the pilot cannot show too coarse", $0) }
                       ?? "; no smaller step passes either")
            case .interrupted(let journal, let pilots):
                guard let journal, pilots > 0 else { return "interrupted during the time-step pilots (none had finished)" }
                return "interrupted during the time-step pilots: the \(pilots) pilot(s) done are kept in \(journal); "
                    + "the same command reuses them"
            case .passingStepTooCostly(let dt, let scenarioDt, let work):
                return String(format: "the time step that keeps the sampler's bias small against this run's noise, dt = %g, is "
                              + "%.0f times below the scenario's %g, and the run would take %.2g particle-steps; the bias counts "
                              + "against the noise of N particles, so fewer particles need a coarser step, or sample at a "
                              + "step of your choice and let the verdict say it is too coarse", dt, scenarioDt / dt, scenarioDt, work)
            case .pilotsInconclusive(let finest, let work, let lambda, let se, let threshold):
                let measured = !lambda.isFinite ? "at the finest, the pilot's paths blew up"
                    : String(format: "at the finest, the bias shifts a chi-square statistic by %.3g ± %.2g against the allowed %.3g",
                             lambda, se, threshold)
                        + (2 * se > threshold ? String(format: ": the pilots' own noise, %.2g, is larger than what they must certify", se)
                                              : ", and the pilots do not show it falling with the step")
                return String(format: "the time-step pilots, down to dt = %g (%.2g particle-steps, the most their budget allows), "
                              + "neither certify a step nor show one too coarse; ", finest, work)
                    + measured + "; the bias counts against the noise of N particles, so fewer particles allow a larger shift, "
                    + "or sample at a step of your choice and let the verdict judge it"
            case .noPassingStep(let smallest):
                return String(format: "no time step down to %g keeps the sampler's bias small against the Monte Carlo noise of "
                              + "this run; use fewer particles, or allow a coarse step explicitly", smallest)
            }
        }
    }

    public let scenario: Scenario
    public let scheme: SchemeKind
    public let threads: Int

    /// The control of `scheme`'s step for a run of `scenario` (its particle count is the N the bias
    /// is judged against).
    public init(scenario: Scenario, scheme: SchemeKind = .standard,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.scenario = scenario
        self.scheme = scheme
        self.threads = threads
    }

    /// λ ∝ b² ∝ h^(2q): the ratio per halving of a scheme of weak order q, 4^q (4 for
    /// Euler–Maruyama, 16 for the weak order-2 scheme), and the cap on any measured ratio.
    public var theoreticalRatio: Double { pow(4, Double(scheme.weakOrder)) }

    /// h₀ when no step is requested: the scenario's [time] dt, or the rule of thumb ε² λ_min(B)/10
    /// if that is smaller.
    public var firstGuess: Double { min(scenario.time.dt, ParticleSampler.timeStepLimit(scenario)) }

    /// Pilot particles M: the run's N, at least `minimumPilotParticles` (the pilot's noise in λ̂
    /// scales like N/M, so a small run's bias is judged cheaply and sharply), at most
    /// `maximumPilotParticles`.
    public var pilotParticles: Int {
        min(max(scenario.particles.count, Self.minimumPilotParticles), Self.maximumPilotParticles)
    }

    /// One pilot's estimates: [output time][scale] (output times t > 0 only), nil if it blew up.
    private struct Measured {
        let dt: Double
        let estimates: [[DiscretisationBias.Estimate]]?
        let trial: Trial
        /// The fine path's positions at every output time, one after another (coordinate by
        /// coordinate): where the local weak error is probed.
        let positions: [[Double]]?
    }

    /// Chooses the step. With `requested`, that step is checked: it is used if it passes, or if
    /// `allowCoarse` (then `passed` is false); otherwise the error names the step that passes.
    /// Without it, the largest passing step up to `firstGuess` is chosen. `tried` hears of each step
    /// as soon as its pilot is judged.
    ///
    /// With a `journal`, pilots and the probe already measured for this run are reused, each new one
    /// is recorded as soon as it is done, and so is the decision; a stop request
    /// (`ParticleEngine.stopRequested`) ends the pilots within a step and throws
    /// `Failure.interrupted` naming the journal.
    public func choose(requested: Double? = nil, allowCoarse: Bool = false, journal: TimeStepJournal? = nil,
                       tried: ((Trial) -> Void)? = nil) throws -> Report {
        let report: Report
        // A kept decision above the step it was for (requested, or the first guess) is no
        // decision of this control (an edited journal ran at 20 times the scenario's step, called
        // certified): measured again.
        if var kept = journal?.decision, kept.dt <= (requested ?? firstGuess) * (1 + 1e-12) {
            kept.reused = true
            report = kept
        } else {
            do {
                report = try chooseMeasuring(requested: requested, allowCoarse: allowCoarse, journal: journal, tried: tried)
                try journal?.record(decision: report)
            } catch SamplerError.interrupted {
                throw Failure.interrupted(journal: journal?.path, pilots: journal?.pilotsKept ?? 0)
            }
        }
        // A chosen (not requested) step far below the scenario's: refuse, naming the cost.
        let scenarioDt = scenario.time.dt
        let work = Double(scenario.particles.count) * scenario.time.final / report.dt
        if requested == nil, report.dt * Double(Self.maximumShrink) < scenarioDt, work > Self.costlyRun {
            throw Failure.passingStepTooCostly(dt: report.dt, scenarioDt: scenarioDt, particleSteps: work)
        }
        return report
    }

    /// The most the control shrinks the scenario's step on its own (a factor 128: 128 times the
    /// scenario's sampling work); below it the step is refused with its cost. (At 256 the limit let
    /// through edge-cheap-2d's extrapolated 2·10⁻⁶/256, 1.3·10¹¹ particle-steps.)
    public static let maximumShrink = 128
    /// A run below `maximumShrink` is refused only when it is also costly: more than this many
    /// particle-steps (about a minute of 1D sampling on 2 cores, several in 2D).
    public static let costlyRun = 1e10

    /// The most the pilots may sample together: `pilotRuns` runs of the pilot's M particles at the
    /// first guess h₀ (a pilot at h, coupled steps h and h/2, costs 3 h₀/h of them: from 64 h₀ down,
    /// the pilots reach h₀/2 and stop before h₀/4), or `pilotFloor` particle-steps if that is more
    /// (a coarse h₀ in a cheap run must not stop pilots that cost seconds). Where the pilots' own
    /// noise stays above what they must certify (edge-cheap-2d at 5·10⁴ particles: ±85 against an
    /// allowed shift of 5.65, from 1.6·10⁻⁵ down to 5·10⁻⁷), finer pilots only cost more, twice as
    /// much per halving; at the budget the control stops and says so (`Failure.pilotsInconclusive`).
    public static let pilotRuns = 16.0
    public static let pilotFloor = 1e9

    /// The pilots' budget in particle-steps.
    public func pilotBudget(firstGuess h0: Double) -> Double {
        max(Self.pilotRuns * Double(pilotParticles) * scenario.time.final / h0, Self.pilotFloor)
    }

    /// A pilot at step h in particle-steps: 3 M T/h (one coarse and two fine steps per h).
    func pilotCost(_ h: Double) -> Double { 3 * Double(pilotParticles) * scenario.time.final / h }

    private func chooseMeasuring(requested: Double?, allowCoarse: Bool, journal: TimeStepJournal?,
                                 tried: ((Trial) -> Void)?) throws -> Report {
        let start = DispatchTime.now().uptimeNanoseconds
        let h0 = requested ?? firstGuess
        let u = coarsenings(above: h0)
        var measured: [Measured] = []
        var decision: Decision?
        var fallback: Decision?
        let top = h0 * pow(2, Double(u))
        var extrapolation: Extrapolation?
        var k = 0
        var spent = 0.0
        var budgetSpent = false
        while decision == nil, k <= u + Self.maximumHalvings {
            let h = h0 * pow(2, Double(u - k))
            // The pilots' budget: a pilot that would take it past `pilotBudget` is not run.
            if spent + pilotCost(h) > pilotBudget(firstGuess: h0) * (1 + 1e-12) { budgetSpent = true; break }
            spent += pilotCost(h)
            var m: Measured
            if let kept = journal?.pilot(h) {
                m = Measured(dt: h, estimates: kept.estimates, trial: kept.trial, positions: nil)
            } else {
                m = try measure(h)
                try journal?.record(.init(dt: h, estimates: m.estimates, trial: m.trial))
            }
            measured.append(m)
            k += 1
            if extrapolation == nil, m.estimates != nil {
                if let levels = journal?.contents.localErrors {
                    extrapolation = Extrapolation(top: top, levels: levels, scheme: scheme)
                } else {
                    // A pilot read from the journal has no positions: measure it again (it is the
                    // coarsest, the cheapest) for the probe's starting points.
                    if m.positions == nil { m = try measure(h) }
                    if let positions = m.positions {
                        let probe = LocalWeakError(scenario: scenario, scheme: scheme, threads: threads, starts: positions)
                        extrapolation = try Extrapolation(top: top, probe: probe, maximumIndex: u + Self.maximumHalvings + 12)
                        try journal?.record(localErrors: extrapolation!.levels)
                    }
                }
            }
            extrapolation?.global = convergenceRatio(measured)
            tried?(judgedTrial(m, extrapolation))
            decision = decide(measured, notAbove: h0, extrapolation)
            // An extrapolation over more than three halvings rests on pilots that may not yet be in
            // the asymptotic regime (it errs small, and the run pays for it). A pilot at h/2 costs
            // 6 M T/h particle-steps, at most 3/8 of the run's N T/dt when h ≥ 16 dt (M ≤ N), and
            // a step one halving larger would save half the run: refine the measurement, keeping
            // this answer — unless the answer is already the requested step, which no pilot can
            // raise. (Refining only beyond four halvings left coarse-step-2d at 2·10⁻⁵ and
            // stiff-energy-1d at 1.25·10⁻⁶; refined, they certify 4·10⁻⁵ and 5·10⁻⁶, both measured
            // adequate with 16 and 8 times the run's particles, docs/sampler.md. Review O's case
            // pays a pilot more, 40 s, for the same step.) Counted from the finest pilot that
            // bounds anything: one whose Richardson factor is unbounded (no decrease measured over
            // its halving) does not count.
            let bounding = measured.filter { m in
                judged(m, extrapolation)?.joined().contains { $0.noncentrality.isFinite } ?? false
            }.map(\.dt).min() ?? h
            if let d = decision, d.method == .extrapolated, d.dt < h0 * (1 - 1e-12), bounding > 8 * d.dt * (1 + 1e-9),
               k <= u + Self.maximumHalvings {
                fallback = d
                decision = nil
                continue
            }
            // Two pilots in a row that neither pass, nor resolve the bias anywhere, nor show it too
            // large anywhere: finer ones will not decide either (their noise falls more slowly than
            // the bias), so stop rather than spend.
            let unresolved = measured.suffix(2).filter { m in
                guard let e = m.estimates, let j = judged(m, extrapolation), !judgedTrial(m, extrapolation).passes else { return false }
                return !e.joined().contains(where: \.resolved)
                    && !j.joined().contains { $0.noncentrality - 2 * $0.standardError > $0.threshold }
            }
            if decision == nil, unresolved.count == 2 {
                if let fallback { decision = fallback; break }
                // Neither certified nor shown too coarse: the larger step ≤ h₀ where the bias sank
                // into the pilot's noise, used with that said (`passed` false, method "unresolved").
                let step = min(unresolved[0].dt, h0)
                decision = Decision(dt: step, method: .unresolved, ratio: nil, bound: bound(at: step, measured, nil))
            }
        }
        // Pilots stopped (budget, or the last step) while refining: the last decision stands. A
        // refined decision is never smaller than the one it refines unless its pilot contradicts a
        // coarser pilot's extrapolation (`bound`: the finer pilot resolves more bias than the
        // coarser one promised), and then the larger step rested on a ratio the pilots refute; so
        // it replaces it. (Up to session 19 the larger of the two was kept.)
        if decision == nil, let f = fallback { decision = f }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        func report(_ dt: Double, passed: Bool, method: Method, ratio: Double?, bound: Double) -> Report {
            Report(dt: dt, scheme: scheme, passed: passed, method: method, ratio: ratio, boundOverThreshold: bound,
                   trials: measured.map { judgedTrial($0, extrapolation) }, localErrors: extrapolation?.levels ?? [],
                   pilotParticles: pilotParticles, runParticles: scenario.particles.count, seconds: seconds)
        }
        guard let decision else {
            if let requested, allowCoarse {
                return report(requested, passed: false, method: .none, ratio: nil, bound: .infinity)
            }
            if budgetSpent, let finest = measured.last {
                throw Failure.pilotsInconclusive(finest: finest.dt, particleSteps: spent, noncentrality: finest.trial.noncentrality,
                                                 standardError: finest.trial.standardError, threshold: finest.trial.threshold)
            }
            if requested != nil {
                throw Failure.requestedStepTooCoarse(dt: h0, boundOverThreshold: .infinity, passing: nil, certified: false)
            }
            throw Failure.noPassingStep(smallest: measured.last?.dt ?? h0)
        }
        let certified = decision.method != .unresolved
        if let requested, decision.dt < requested * (1 - 1e-12) {
            let bound = self.bound(at: requested, measured, extrapolation)
            if allowCoarse { return report(requested, passed: false, method: decision.method, ratio: decision.ratio, bound: bound) }
            if certified, let journal {
                try? journal.sibling(requested: decision.dt).record(
                    decision: report(decision.dt, passed: true, method: decision.method, ratio: decision.ratio, bound: decision.bound))
            }
            throw Failure.requestedStepTooCoarse(dt: requested, boundOverThreshold: bound, passing: decision.dt, certified: certified)
        }
        return report(decision.dt, passed: certified, method: decision.method, ratio: decision.ratio, bound: decision.bound)
    }

    /// The decision the pilots so far allow, or nil if another (finer) pilot is needed: the largest
    /// candidate step ≤ h₀ — a step tried, h₀ itself, or (with a measured ratio) a power-of-two
    /// fraction of the finest step tried — whose bound passes everywhere.
    private func decide(_ measured: [Measured], notAbove h0: Double, _ x: Extrapolation?)
        -> Decision? {
        var candidates = measured.map(\.dt).filter { $0 <= h0 * (1 + 1e-12) } + [h0]
        if let x, x.decreases, let finest = measured.last?.dt {
            for j in 1...Self.maximumHalvings { candidates.append(finest / pow(2, Double(j))) }
        }
        for h in candidates.sorted(by: >) where h <= h0 * (1 + 1e-12) {
            let b = bound(at: h, measured, x)
            if b <= 1 {
                let own = measured.first { abs($0.dt - h) <= 1e-12 * h }
                let direct = own.map { judgedTrial($0, x).passes } ?? false
                return Decision(dt: h, method: direct ? .pilot : .extrapolated, ratio: direct ? nil : x?.ratio(above: h), bound: b)
            }
        }
        return nil
    }

    /// The convergence ratio per halving measured on the pilots themselves, the fallback when the
    /// local probe (`LocalWeakError`) resolves nothing: over the output times and scales that the
    /// last three pilots (or two) all resolve (λ̂ ≥ 4 SE), the pooled Λ = Σ λ̂ (its standard error
    /// bounded by Σ SE) is fitted, log₂ Λ against the number of halvings, by weighted least squares
    /// (`WeightedLinearFit`, weights from the delta method): slope s with its standard error, and
    /// r = 2^(s − SE(s)), a one-sided 84% lower bound — pilots still before the asymptotic regime
    /// pull s below its limit 2q, so r errs low. Capped at 4^q; nil if nothing is resolved
    /// throughout, or if r is below `smallestRatio`.
    private func convergenceRatio(_ measured: [Measured]) -> Double? {
        let chiSquare = measured.map { m in
            m.estimates.map { $0.joined().map { (value: $0.noncentrality, error: $0.standardError, resolved: $0.resolved) } }
        }
        guard let fit = Self.decrease(chiSquare) else { return nil }
        let r = pow(2, fit.slope - fit.error)
        guard r.isFinite, r >= Self.smallestRatio else { return nil }
        return min(r, theoreticalRatio)
    }

    /// The fitted log₂ decrease per halving of a statistic over the last `fitPoints` pilots (or
    /// two), pooled over the components every one of them resolves; nil when none is.
    private static func decrease(_ pilots: [[(value: Double, error: Double, resolved: Bool)]?]) -> (slope: Double, error: Double)? {
        for count in stride(from: min(fitPoints, pilots.count), through: 2, by: -1) {
            let last = Array(pilots.suffix(count))
            guard let shape = last.last ?? nil, last.allSatisfy({ $0?.count == shape.count }) else { return nil }
            let components = shape.indices.filter { c in last.allSatisfy { $0![c].resolved } }
            guard !components.isEmpty else { continue }
            var x: [Double] = [], y: [Double] = [], w: [Double] = []
            for (k, pilot) in last.enumerated() {
                let pooled = components.reduce(0.0) { $0 + pilot![$1].value }
                let se = components.reduce(0.0) { $0 + pilot![$1].error }
                let relative = se / pooled / log(2)
                x.append(Double(k)); y.append(Foundation.log2(pooled)); w.append(1 / max(relative * relative, 1e-12))
            }
            guard let fit = try? WeightedLinearFit(x: x, y: y, weights: w) else { return nil }
            return (-fit.slope, fit.slopeStandardError)
        }
        return nil
    }

    /// max over output times and scales of the tightest bound on λ/threshold at step h: from each
    /// step h' ≥ h tried, (λ̂ + 2SE)/F(h' → h), F the product of the measured ratios per halving
    /// between them (`Extrapolation`; F = 1 when nothing is measured: the bias does not grow as the
    /// step shrinks) — but only from steps whose extrapolation no finer pilot
    /// contradicts: before the asymptotic regime the bias need not fall by r per halving (on
    /// `stiff-energy-1d` it grows from 3.2e-4 to 1.6e-4), and a coarse pilot's small bias,
    /// extrapolated past a finer pilot that resolves a larger one (λ̂ − 2SE above the extrapolated
    /// bound), would promise too much.
    private func bound(at h: Double, _ measured: [Measured], _ x: Extrapolation?) -> Double {
        var worst = 0.0
        guard let shape = measured.first(where: { $0.estimates != nil })?.estimates else { return .infinity }
        for (t, scales) in shape.enumerated() {
            for s in scales.indices {
                var best = Double.infinity
                let resolved = measured.compactMap { m in judged(m, x).map { (dt: m.dt, e: $0[t][s]) } }.filter { $0.e.resolved }
                for m in measured where m.dt >= h * (1 - 1e-12) {
                    guard let e = judged(m, x)?[t][s] else { continue }
                    let upper = e.noncentrality + 2 * e.standardError
                    // (A pilot at h itself is a measurement there, not an extrapolation.)
                    let direct = abs(m.dt - h) <= 1e-12 * h
                    let contradicted = !direct && resolved.contains { f in
                        f.dt < m.dt * (1 - 1e-12)
                            && f.e.noncentrality - 2 * f.e.standardError > upper / (x?.factor(from: m.dt, to: f.dt) ?? 1)
                    }
                    if contradicted { continue }
                    best = min(best, upper / (x?.factor(from: m.dt, to: h) ?? 1) / e.threshold)
                }
                worst = max(worst, best)
            }
        }
        return worst
    }

    /// u: the pilots start at h_top = 2^u h₀, u ≤ `maximumCoarsenings`, h_top at most an eighth of
    /// the shortest output interval.
    func coarsenings(above h0: Double) -> Int {
        let shortest = zip(scenario.time.outputs, [0] + scenario.time.outputs).map { $0 - $1 }.filter { $0 > 0 }.min()
        var u = 0
        if let shortest { while u < Self.maximumCoarsenings, h0 * pow(2, Double(u + 1)) <= shortest / 8 { u += 1 } }
        return u
    }

    /// Runs the coupled pilot at step `dt` and judges its bias.
    private func measure(_ dt: Double) throws -> Measured {
        let s = scenario
        let pilot = try s.replacing(
            particles: ParticleSettings(count: pilotParticles, seed: BlockSeeds.splitMix64(s.particles.seed ^ 0x7069_6C6F_74),
                                        convention: s.particles.convention),
            time: TimeSettings(final: s.time.final, outputs: s.time.outputs, dt: dt))
        let records: [CoupledPilot.Record]
        do {
            records = try CoupledPilot(scenario: pilot, scheme: scheme, threads: threads).run()
        } catch SamplerError.notFinite {
            let trial = Trial(dt: dt, noncentrality: .infinity, standardError: 0, threshold: 1, worstTime: 0, coarsening: 1,
                              groups: 0, passes: false, finite: false, resolved: true, largestCellBias: .infinity)
            return Measured(dt: dt, estimates: nil, trial: trial, positions: nil)
        }
        let bias = DiscretisationBias(cells: s.cells, dimension: s.dimension, runParticles: s.particles.count,
                                      order: scheme.weakOrder)
        let estimates = s.time.outputs.indices.filter { s.time.outputs[$0] > 0 }.map { bias.estimates(records[$0]) }
        let positions = estimates.isEmpty ? nil : (0..<s.dimension.count).map { c in records.flatMap { $0.fine[c] } }
        return Measured(dt: dt, estimates: estimates, trial: trial(dt: dt, estimates), positions: positions)
    }

    /// A pilot's estimates with the Richardson factor of the ratio measured over its own halving
    /// (`Extrapolation.richardsonCorrection`): what the control judges. Nil if the pilot blew up.
    private func judged(_ m: Measured, _ x: Extrapolation?) -> [[DiscretisationBias.Estimate]]? {
        guard let e = m.estimates else { return nil }
        guard let c = x?.richardsonCorrection(at: m.dt, order: scheme.weakOrder), c != 1 else { return e }
        return e.map { $0.map { $0.corrected(by: c) } }
    }

    /// The pilot's trial as judged (corrected), for the report and the progress lines.
    private func judgedTrial(_ m: Measured, _ x: Extrapolation?) -> Trial {
        guard let e = judged(m, x) else { return m.trial }
        return trial(dt: m.dt, e)
    }

    /// A pilot's summary at its worst output time and scale; estimates[i] belongs to the i-th
    /// output time t > 0.
    private func trial(dt: Double, _ estimates: [[DiscretisationBias.Estimate]]) -> Trial {
        let times = scenario.time.outputs.filter { $0 > 0 }
        var worst: (estimate: DiscretisationBias.Estimate, time: Double)?
        var largest = 0.0
        for (e, t) in zip(estimates, times) {
            for x in e {
                largest = max(largest, x.largestBias)
                if worst == nil || !(x.ratio <= worst!.estimate.ratio) { worst = (x, t) }
            }
        }
        guard let (e, t) = worst else {
            // Only t = 0 is output: the initial draw is exact, there is no time-stepping bias.
            return Trial(dt: dt, noncentrality: 0, standardError: 0, threshold: DiscretisationBias.tolerance * 2.0.squareRoot(),
                         worstTime: 0, coarsening: 1, groups: 0, passes: true, finite: true, resolved: false, largestCellBias: 0)
        }
        // An unbounded estimate (no decrease of the bias shown over this halving) reports its
        // standard error as 0: λ̂ is null in JSON, and the pilot bounds nothing.
        return Trial(dt: dt, noncentrality: e.noncentrality, standardError: e.standardError.isFinite ? e.standardError : 0,
                     threshold: e.threshold, worstTime: t, coarsening: e.coarsening, groups: e.groups, passes: e.ratio <= 1,
                     finite: true, resolved: estimates.joined().contains { $0.resolved }, largestCellBias: largest)
    }
}
