import Foundation

/// What the validation of a scenario found out about its fields on fine grids; reported by
/// `homogen check` and used by the sampler (time-step rule, rejection bound).
public struct ScenarioFacts: Sendable, Codable, Equatable {
    /// Smallest eigenvalue of B over the grid of the cell.
    public let mediumSmallestEigenvalue: Double
    /// Largest eigenvalue of B over the grid.
    public let mediumLargestEigenvalue: Double
    /// Range of π (unnormalised, as given) over the grid.
    public let equilibriumMinimum: Double
    public let equilibriumMaximum: Double
    /// ∫_Ω π_ε dx of the unnormalised π_ε (so π_ε / this integrates to 1).
    public let equilibriumMass: Double
    /// Largest value of the unnormalised ρ0 over the grid, or on the refined line through its peak
    /// where that is above the initial sampler's margin over the grid's (a narrow bump).
    public let initialMaximum: Double
    /// ∫_Ω ρ0 dx of the unnormalised ρ0.
    public let initialMass: Double
    /// Grid points per variable used for the checks.
    public let gridPointsPerVariable: [String: Int]
    /// The factor on the quadrature points per ε-period that π's fast features need
    /// (`ScenarioValidation.quadratureRefinement`): 1 for all but sharply peaked π.
    public let quadratureRefinement: Int
    /// The larger factor that ρ0's own sharp features need for ρ0's integrals alone
    /// (`ScenarioValidation.initialRefinement`), nil where π's suffices (so that a narrow
    /// initial bump does not multiply the cost of every integral of π).
    public let initialQuadratureRefinement: Int?

    /// The factor of ρ0's integrals: `initialQuadratureRefinement`, or π's.
    public var initialRefinement: Int { initialQuadratureRefinement ?? quadratureRefinement }
}

/// Checks of a scenario's settings and fields, each throwing a `ScenarioError` that names
/// the key. Grid checks evaluate a field on the product grid {j/G} of the variables it uses
/// (G = 4096 for one variable, 1024 for two, 96 for three, 32 for four: `LoweredFields.productGrid`).
enum ScenarioValidation {
    static let maximumInverseEpsilon = 1_000_000

    /// The largest 1/ε in each dimension. The checks integrate π_ε resolving ε (`cellIntegrals`:
    /// 64/ε Gauss points per axis in 1D and 2D, 16/ε in 3D), and the ε-solvers take 8 cells per
    /// period: 2D 1/ε = 512 is 32768² points (about 30 s) and 4096 solver cells per axis, the
    /// grid's limit; 3D 1/ε = 32 is 512³ points. Beyond, `check` ran for minutes (1/1024 in 2D:
    /// 112 s) or without end (10⁻⁶ in 2D) and gigabytes before saying anything.
    static func maximumInverseEpsilon(_ d: TorusDimension) -> Int {
        switch d {
        case .one: return maximumInverseEpsilon
        case .two: return 512
        case .three: return 32
        }
    }
    static let maximumParticles = Scenario.maximumParticles
    static let maximumCells1D = 1 << 20
    static let maximumCells2D = 4096
    /// 128³ ≈ 2·10⁶ histogram cells (16 MB per output time and copy).
    static let maximumCells3D = 128

    /// The most output cells per side a scenario may ask for.
    static func maximumCells(_ dimension: TorusDimension) -> Int {
        switch dimension {
        case .one: return maximumCells1D
        case .two: return maximumCells2D
        case .three: return maximumCells3D
        }
    }

    static func checkName(_ name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ allowed.contains($0) }), !name.hasPrefix(".") else {
            throw ScenarioError(
                key: "name",
                message: "'\(name)' is not a usable name: use letters, digits, '-', '_' and '.', not starting with '.'")
        }
    }

    /// The torus dimension `n`, or an error naming the key.
    static func dimension(_ n: Int) throws -> TorusDimension {
        guard let d = TorusDimension(count: n) else {
            let supported = TorusDimension.allCases.map(\.description)
            throw ScenarioError(key: "dimension", message: "must be \(supported.dropLast().joined(separator: ", ")) or \(supported.last!), not \(n)")
        }
        return d
    }

    /// A medium built in code has the entries of its kind in d dimensions: d on the diagonal,
    /// d(d+1)/2 in a full upper triangle (d ≥ 2).
    static func checkMediumShape(_ medium: Medium, dimension d: TorusDimension) throws {
        switch medium {
        case .scalar: return
        case .diagonal(let b):
            guard b.count == d.count else {
                throw ScenarioError(key: "[medium] B", message: "a diagonal medium in \(d)D has \(d) entries, not \(b.count)")
            }
        case .full(let upper):
            let n = SymmetricIndex(d.count).count
            guard d != .one, upper.count == n else {
                throw ScenarioError(key: "[medium] B", message: d == .one ? "in 1D the medium is a scalar"
                                    : "a full medium in \(d)D has \(n) entries in its upper triangle, not \(upper.count)")
            }
        }
    }

    static func checkSettings(time: TimeSettings, particles: ParticleSettings, cells: Int, dimension: TorusDimension) throws {
        guard time.final.isFinite, time.final > 0 else {
            throw ScenarioError(key: "[time] final", message: "must be a positive number, not \(time.final)")
        }
        guard time.dt.isFinite, time.dt > 0 else {
            throw ScenarioError(key: "[time] dt", message: "must be a positive number, not \(time.dt)")
        }
        guard time.dt <= time.final else {
            throw ScenarioError(key: "[time] dt", message: "\(time.dt) is longer than [time] final = \(time.final)")
        }
        guard time.final / time.dt <= 1e12 else {
            throw ScenarioError(key: "[time] dt", message: "final/dt = \(time.final / time.dt) steps is more than 10^12")
        }
        guard !time.outputs.isEmpty else {
            throw ScenarioError(key: "[time] outputs", message: "give at least one output time")
        }
        for (k, t) in time.outputs.enumerated() {
            guard t.isFinite, t >= 0, t <= time.final else {
                throw ScenarioError(key: "[time] outputs", message: "output time \(t) (entry \(k + 1)) is outside [0, final] = [0, \(time.final)]")
            }
            if k > 0, t <= time.outputs[k - 1] {
                throw ScenarioError(key: "[time] outputs", message: "output times must increase: \(time.outputs[k - 1]) is followed by \(t)")
            }
        }
        guard particles.count >= 1, particles.count <= maximumParticles else {
            throw ScenarioError(key: "[particles] count", message: "must be from 1 to \(maximumParticles), not \(particles.count)")
        }
        let maxCells = maximumCells(dimension)
        guard cells >= 1, cells <= maxCells else {
            throw ScenarioError(key: "[grid] cells", message: "must be from 1 to \(maxCells) in \(dimension)D, not \(cells)")
        }
    }

    /// Grid checks of B (symmetric positive definite), π (positive, finite), ρ0 (non-negative,
    /// positive mass), and periodicity of every field in every variable.
    static func checkFields(_ f: LoweredFields, medium: Medium, equilibrium: Equilibrium,
                            initial: InitialDensity) throws -> ScenarioFacts {
        var grid = CheckGrid(fields: f)
        let mediumKey = "[medium] B"
        let (lo, hi) = try checkMedium(f, key: mediumKey, grid: &grid)
        let piKey: String
        switch equilibrium {
        case .density: piKey = "[equilibrium] pi"
        case .potential: piKey = "[equilibrium] U"
        }
        let (pmin, pmax, peak) = try checkEquilibrium(f, key: piKey, grid: &grid)
        // π's sharp features set the quadrature of π_ε and of ρ0 (which may be f π).
        var refined = f
        refined.refinement = try quadratureRefinement(f, key: piKey, peak: peak)
        let rhoKey: String
        switch initial {
        case .density: rhoKey = "[initial] rho"
        case .relativeToEquilibrium: rhoKey = "[initial] f"
        }
        let (rmax, rhoPeak) = try checkInitial(refined, key: rhoKey, grid: &grid)
        // ρ0's own sharp features (a narrow initial bump) refine ρ0's quadrature only, and the
        // bump's top, seen on the refined line, bounds the initial sampler's rejection.
        let (rhoRefinement, lineMaximum) = try initialRefinement(refined, key: rhoKey, peak: rhoPeak)
        refined.initialRefinement = rhoRefinement
        let rhoMass = refined.cellIntegrals(of: f.rho0, cells: 1)[0]
        guard rhoMass > 0, rhoMass.isFinite else {
            throw ScenarioError(key: rhoKey, message: "gives an initial density of zero mass")
        }
        let piMass = refined.cellIntegrals(of: f.pi, cells: 1)[0]
        try checkPeriodicity(f, fields: f.medium.map { (mediumKey, $0) } + [(piKey, f.pi), (rhoKey, f.rho0)])
        return ScenarioFacts(
            mediumSmallestEigenvalue: lo, mediumLargestEigenvalue: hi,
            equilibriumMinimum: pmin, equilibriumMaximum: pmax, equilibriumMass: piMass,
            initialMaximum: lineMaximum > InitialDensitySampler.margin * rmax ? lineMaximum : rmax, initialMass: rhoMass, gridPointsPerVariable: grid.perVariable,
            quadratureRefinement: refined.refinement,
            initialQuadratureRefinement: refined.initialRefinement > refined.refinement ? refined.initialRefinement : nil)
    }

    /// The smallest r = start·2^j whose rule is within `quadratureTolerance` of adaptive quadrature
    /// (`error(r)`, relative), or the cap where none is below it; and that error.
    private static func doubling(from start: Int, cap: Int, error: (Int) -> Double) -> (r: Int, error: Double) {
        var r = start
        while true {
            let e = error(r)
            if e <= quadratureTolerance || r >= cap { return (r, e) }
            r *= 2
        }
    }

    /// Relative agreement of the rules with adaptive quadrature that `quadratureRefinement` asks.
    static let quadratureTolerance = 1e-9
    /// Beyond this relative disagreement at the largest refinement, π is refused.
    static let quadratureRefusal = 1e-3

    /// The power of 2, r, by which the quadrature of π_ε must be refined for π's fast features:
    /// along each fast variable y_k, on three lines (two slow points with the other variables at a
    /// generic point, and the line through π's largest value on the check grid, so that a peak in
    /// all of y is crossed: seen from a generic y2, a peak at y = 0 was invisible and its 2D
    /// integral 6 % low), the mean of π over one period by the
    /// rules of `cellIntegrals` (64r midpoints per period in 1D and 2D, 16r in 3D; and composite
    /// Gauss–Legendre on 8r or 4r pieces, cut at π's jumps) against GSL's adaptive quadrature
    /// between the jumps (`PiecewiseMean`). The smallest r with both within
    /// `quadratureTolerance` is taken, up to the largest whose points stay affordable (2²⁴ points
    /// over the torus in 1D, 2¹² per axis in 2D, 2⁸ per axis in 3D, which 3D's rule already
    /// takes: no refinement there). A π whose rules are still off by more than
    /// `quadratureRefusal` there is refused; one off by less (a kink of min, max or abs, whose
    /// error falls like r⁻²) is taken at that r. (A π = 1 + 9 exp(−2000 sin² πy) at ε = 1/10 gave ∫π_ε 2.6 % low, so π̄ and A_hom
    /// were 2.7 % off and an "exact" stationary mean 24 %.) Smooth π need r = 1: the periodic
    /// midpoint rule converges spectrally.
    static func quadratureRefinement(_ f: LoweredFields, key: String, peak: [Double]) throws -> Int {
        let d = f.dimension.count, n = f.inverseEpsilon
        let (perPeriod, points) = d == 3 ? (4, 4) : (8, 8)
        // Points per axis over the torus at r = 1 (`cellIntegrals`, cells = 1), and the cap.
        let perAxis = d == 3 ? max(perPeriod * n, 64) * points : perPeriod * n * points
        let budget = d == 1 ? 1 << 24 : d == 2 ? 1 << 12 : 1 << 8
        let cap = max(1, budget / perAxis)
        let pieces = PiecewiseMean(graph: f.graph)
        var needed = 1, worst = (error: 0.0, axis: 0, rule: 0.0, exact: 0.0)
        for k in 0..<d {
            for line in [[Double](repeating: 0.1234, count: d) + [Double](repeating: 0.3713, count: d),
                         [Double](repeating: 0.6789, count: d) + [Double](repeating: 0.3713, count: d), peak] {
                var point = line
                // The steps along this line (a layer that moves with x is cut where it is here).
                let jumps = f.fastJumps(of: f.pi, axis: k, at: point)
                func value(_ t: Double) -> Double {
                    point[d + k] = t
                    return f.graph.evaluate([f.pi], at: point)[0]
                }
                let exact: Double
                do { exact = try pieces.mean(of: [f.pi], along: f.fastVariables[k], at: point, value) } catch { continue }
                guard exact.isFinite, exact > 0 else { continue }
                let (r, error) = doubling(from: needed, cap: cap) { r in
                    // As `cellIntegrals`: midpoints over the torus where π has no steps, Gauss on
                    // pieces cut at them (and on cells).
                    let gauss = AxisRule(cells: 1, sub: perPeriod * r, points: points, breakpoints: jumps)
                    let rules = jumps.isEmpty ? [AxisRule(midpoints: perPeriod * points * r), gauss] : [gauss]
                    return rules.map { rule in
                        abs(zip(rule.nodes, rule.weights).reduce(0) { $0 + $1.1 * value($1.0) } - exact) / exact
                    }.max()!
                }
                if error > worst.error { worst = (error, k, exact * (1 + error), exact) }
                needed = max(needed, r)
            }
        }
        if worst.error > quadratureRefusal {
            throw ScenarioError(key: key, message: String(
                format: "varies too sharply along y%d for the quadrature of pi_eps at this eps: its mean over a period is %.10g "
                    + "by adaptive quadrature, off by %.2g (relative) with %d points per period, the most that %dD at 1/eps = %d "
                    + "allows; smooth pi's fast peaks, or take a smaller 1/eps", worst.axis + 1, worst.exact, worst.error,
                perPeriod * points * needed, d, n))
        }
        return needed
    }

    /// The product grid a field is checked on (over the variables it depends on), the points per
    /// variable used so far, and the place of a grid point in words.
    private struct CheckGrid {
        let fields: LoweredFields
        var perVariable: [String: Int] = [:]

        mutating func grid(_ nodes: [NodeID]) -> (vars: [Int], columns: [[Double]]) {
            let names = fields.variableNames
            let vars = fields.variables(of: nodes)
            let (g, columns) = LoweredFields.productGrid(variables: vars.count)
            for v in vars { perVariable[names[v]] = max(perVariable[names[v]] ?? 0, g) }
            return (vars, columns)
        }

        func place(_ vars: [Int], _ columns: [[Double]], _ i: Int) -> String {
            let names = fields.variableNames
            return vars.isEmpty ? "everywhere" : "at " + zip(vars, columns).map { "\(names[$0]) = \($1[i])" }.joined(separator: ", ")
        }
    }

    /// B symmetric positive definite and finite on its grid; its smallest and largest eigenvalues.
    private static func checkMedium(_ f: LoweredFields, key: String, grid: inout CheckGrid) throws -> (Double, Double) {
        let (bv, bc) = grid.grid(f.medium)
        let b = f.evaluate(f.medium, inputs: bv, columns: bc)
        var lo = Double.infinity, hi = -Double.infinity, worst = 0
        let d = f.dimension.count
        for i in 0..<b[0].count {
            let (l1, l2): (Double, Double)
            switch f.mediumKind {
            case .scalar: (l1, l2) = (b[0][i], b[0][i])
            case .diagonal:
                let v = b.map { $0[i] }
                (l1, l2) = v.allSatisfy(\.isFinite) ? (v.min()!, v.max()!) : (.nan, .nan)
            case .full where d == 2:
                let m = 0.5 * (b[0][i] + b[2][i]), d = 0.5 * (b[0][i] - b[2][i])
                let r = (d * d + b[1][i] * b[1][i]).squareRoot()
                (l1, l2) = (m - r, m + r)
            case .full:
                let e = SymmetricMatrix(upper: b.map { $0[i] }, dimension: d).eigenvalues
                (l1, l2) = (e.first!, e.last!)
            }
            guard l1.isFinite, l2.isFinite else {
                throw ScenarioError(key: key, message: "is not finite \(grid.place(bv, bc, i))")
            }
            if min(l1, l2) < lo { lo = min(l1, l2); worst = i }
            hi = max(hi, l1, l2)
        }
        // The worst point of the grid, not the first bad one: its eigenvalue says how far off B is.
        guard lo > 0 else {
            throw ScenarioError(
                key: key,
                message: "is not positive definite: its smallest eigenvalue on the check grid is \(lo), \(grid.place(bv, bc, worst))")
        }
        // B⁻¹ enters the effective metric and the solvers: a subnormal B (1e-320) passed here,
        // then `effective` printed B_bar^-1 = inf and `solve` failed without naming B.
        guard lo.isNormal, (1 / lo).isFinite else {
            throw ScenarioError(
                key: key,
                message: "is too small: its smallest eigenvalue on the check grid is \(lo), \(grid.place(bv, bc, worst)), and 1/B "
                    + "overflows; rescale time (B and the times together)")
        }
        return (lo, hi)
    }

    /// The largest max π / min π accepted (100 decades: exp(230) against exp(−0)).
    static let maximumEquilibriumRange = 1e100

    /// π positive and finite on its grid, its values within `maximumEquilibriumRange` of each
    /// other; its minimum and maximum, and where on the grid it is largest (all 2d variables, the
    /// ones π does not use at a generic point).
    private static func checkEquilibrium(_ f: LoweredFields, key: String,
                                         grid: inout CheckGrid) throws -> (Double, Double, peak: [Double]) {
        let (pv, pc) = grid.grid([f.pi])
        let p = f.evaluate([f.pi], inputs: pv, columns: pc)[0]
        var pmin = Double.infinity, pmax = -Double.infinity, worst = 0, top = 0
        for i in 0..<p.count {
            guard p[i].isFinite else {
                throw ScenarioError(key: key, message: "must give a positive, finite π, but π = \(p[i]) \(grid.place(pv, pc, i))")
            }
            if p[i] < pmin { pmin = p[i]; worst = i }
            if p[i] > pmax { pmax = p[i]; top = i }
        }
        var peak = LoweredFields.genericPoint(f.dimension)
        for (v, column) in zip(pv, pc) { peak[v] = column[top] }
        guard pmin > 0 else {
            throw ScenarioError(
                key: key,
                message: "must give a positive, finite π, but its minimum on the check grid is π = \(pmin) \(grid.place(pv, pc, worst))")
        }
        // Densities, fluxes and weights are products and quotients of π's values: beyond this
        // range they overflow or lose every digit in double precision.
        guard pmax / pmin <= maximumEquilibriumRange else {
            throw ScenarioError(
                key: key,
                message: String(format: "π spans %.3g decades on the check grid (from %.3g to %.3g), more than the %.0f "
                                + "double precision can carry through the solvers; rescale the energy (π ∝ exp(−U/σ) with "
                                + "a smaller range of U/σ)", log10(pmax) - log10(pmin), pmin, pmax, log10(maximumEquilibriumRange)))
        }
        return (pmin, pmax, peak)
    }

    /// ρ0 non-negative and finite on its grid, with positive mass; its maximum and mass.
    private static func checkInitial(_ f: LoweredFields, key: String, grid: inout CheckGrid) throws -> (Double, peak: [Double]) {
        let (rv, rc) = grid.grid([f.rho0])
        let r = f.evaluate([f.rho0], inputs: rv, columns: rc)[0]
        var rmax = 0.0, rmin = Double.infinity, worst = 0, top = 0
        for i in 0..<r.count {
            guard r[i].isFinite else {
                throw ScenarioError(key: key, message: "gives a non-finite initial density \(r[i]) \(grid.place(rv, rc, i))")
            }
            if r[i] < rmin { rmin = r[i]; worst = i }
            if r[i] > rmax { rmax = r[i]; top = i }
        }
        guard rmin >= 0 else {
            throw ScenarioError(
                key: key,
                message: "gives a negative initial density: its minimum on the check grid is \(rmin) \(grid.place(rv, rc, worst))")
        }
        guard rmax > 0 else {
            throw ScenarioError(key: key, message: "gives an initial density of zero mass")
        }
        var peak = LoweredFields.genericPoint(f.dimension)
        for (v, column) in zip(rv, rc) { peak[v] = column[top] }
        return (rmax, peak)
    }

    /// The refinement r (a power of 2, at least `f.refinement`) that the quadrature of ρ0's mass
    /// needs: along each axis, on the line through ρ0's largest value on the check grid, the rule of `cellIntegrals` (`LoweredFields.axisRule`, one
    /// cell) against GSL's adaptive quadrature of x_k ↦ ρ0(x, x/ε) over [0, 1], on the pieces between
    /// its jumps and split at the peak (so that a bump narrower than the rule's spacing is seen).
    /// The caps and tolerances are π's (`quadratureRefinement`); a ρ0 still off by more than
    /// `quadratureRefusal` at the cap is refused. (A bump 1 + 10⁴ exp(−10⁸ sin² π(x − c)) had mass
    /// 1.564 where `check` printed 1.0, and `solve` started from a uniform density.)
    /// Also returns the largest value of ρ0 at the refined rule's nodes and at the split points on
    /// that line (a narrow bump's top, which the check grid can miss).
    static func initialRefinement(_ f: LoweredFields, key: String, peak: [Double]) throws -> (refinement: Int, lineMaximum: Double) {
        let d = f.dimension.count, n = Double(f.inverseEpsilon)
        let budget = d == 1 ? 1 << 24 : d == 2 ? 1 << 12 : 1 << 8
        let quad = AdaptiveQuadrature()
        var needed = f.refinement, worst = (error: 0.0, axis: 0, at: 0.0, exact: 0.0, points: 0)
        var lineMaximum = -Double.infinity
        for k in 0..<d {
            let perAxis = f.axisRule(of: f.rho0, axis: k, cells: 1, refinement: 1).nodes.count
            let cap = max(f.refinement, budget / perAxis)
            let jumps = f.compositeJumps(of: f.rho0, axis: k)
            // Only the peak's line: adaptive quadrature sees a narrow bump only where it is split
            // there, so on another line it could miss one that the rule sees.
            for line in [peak] {
                // The composite along x_k: y_j = x_j/ε on the line, x_k = t, y_k = t/ε.
                var point = line
                for j in 0..<d { point[d + j] = point[j] * n }
                func value(_ t: Double) -> Double {
                    point[k] = t; point[d + k] = t * n
                    return f.graph.evaluate([f.rho0], at: point)[0]
                }
                // Split at the peak in x_k and at its images in every ε-period, and at the points
                // where y_k = x_k/ε meets the peak's y_k (a fast feature recurs in every period).
                let images = (0..<f.inverseEpsilon).flatMap { j -> [Double] in
                    let shifted = line[k] + Double(j) / n, fast = (line[d + k] - line[d + k].rounded(.down) + Double(j)) / n
                    return [shifted - shifted.rounded(.down), fast]
                }
                let ends = Array(Set([0.0, 1.0] + images + jumps)).filter { $0 >= 0 && $0 <= 1 }.sorted()
                var exact = 0.0
                do {
                    for i in 0..<(ends.count - 1) where ends[i + 1] > ends[i] {
                        exact += try quad.integrate(ends[i], ends[i + 1], value).value
                    }
                } catch { continue }
                guard exact.isFinite, exact > 0 else { continue }
                let (r, error) = doubling(from: needed, cap: cap) { r in
                    let rule = f.axisRule(of: f.rho0, axis: k, cells: 1, refinement: r)
                    return abs(zip(rule.nodes, rule.weights).reduce(0) { $0 + $1.1 * value($1.0) } - exact) / exact
                }
                let nodes = f.axisRule(of: f.rho0, axis: k, cells: 1, refinement: r).nodes
                if error > worst.error { worst = (error, k, line[k], exact, nodes.count) }
                for t in nodes + ends { lineMaximum = max(lineMaximum, value(t)) }
                needed = max(needed, r)
            }
        }
        if worst.error > quadratureRefusal {
            throw ScenarioError(key: key, message: String(
                format: "varies too sharply along x%d (near x%d = %.6g) for the quadrature of the initial mass: its integral along "
                    + "that line is %.10g by adaptive quadrature, off by %.2g (relative) with %d points, the most that %dD allows; "
                    + "widen its narrowest bump", worst.axis + 1, worst.axis + 1, worst.at, worst.exact,
                worst.error, worst.points, d))
        }
        return (needed, lineMaximum)
    }

    /// Periodicity: F(..., v = 0, ...) = F(..., v = 1, ...) on a 16-point grid of the others, for
    /// every field (its key, its node) in every variable it depends on; for a fast variable, which
    /// runs over [0, 1/ε), also F(t) = F(t + j) at two generic t, for j = 1, 2, 3, 16 and 1/ε − 1
    /// (on a 6-point grid of the others where they are three or more; to 1e-6 relative at
    /// j = 1/ε − 1 > 16, where y itself rounds by 1e-10): min(y, 1 − y) agrees at y = 0 and 1 but
    /// is not periodic, and π_ε built from it had ∫π_ε = −0.0625 in 3D; floor(y/2) agrees at every
    /// t and t + 1 below 1.
    private static func checkPeriodicity(_ f: LoweredFields, fields: [(String, NodeID)]) throws {
        let names = f.variableNames
        let fast = Set(f.fastVariables), n = Double(f.inverseEpsilon)
        for (key, node) in fields {
            let vars = f.variables(of: [node])
            for (k, v) in vars.enumerated() {
                let others = vars.count - 1
                func grid(_ g: Int) -> [[Double]] {
                    let total = Int(pow(Double(g), Double(others)))
                    var columns = [[Double]](repeating: [Double](repeating: 0, count: total), count: vars.count)
                    for i in 0..<total {
                        var rem = i
                        for j in stride(from: vars.count - 1, through: 0, by: -1) where j != k {
                            columns[j][i] = Double(rem % g) / Double(g) + 0.37 / Double(g)
                            rem /= g
                        }
                    }
                    return columns
                }
                var checks: [(t: Double, shift: Double, columns: [[Double]])] = [(0, 1, grid(16))]
                if fast.contains(v) {
                    let coarse = grid(others >= 3 ? 6 : 16)
                    for t in [0.2371, 0.6137] {
                        for shift in Set([1, 2, 3, 16, n - 1]).sorted() where shift >= 1 && shift <= n - 1 {
                            checks.append((t, shift, coarse))
                        }
                    }
                }
                for (t, shift, columns) in checks {
                    var columns0 = columns, columns1 = columns
                    columns0[k] = [Double](repeating: t, count: columns[0].count)
                    columns1[k] = [Double](repeating: t + shift, count: columns[0].count)
                    let a = f.evaluate([node], inputs: vars, columns: columns0)[0]
                    let c = f.evaluate([node], inputs: vars, columns: columns1)[0]
                    let tolerance = shift > 16 ? 1e-6 : 1e-9
                    for i in a.indices where abs(a[i] - c[i]) > tolerance * max(1, abs(a[i])) {
                        let hint = fast.contains(v)
                            ? " (a fast variable runs over [0, 1/epsilon), so every field must be 1-periodic in it everywhere: "
                                + "sin(2*pi*y), not sin(y); min(mod(y, 1), 1 - mod(y, 1)), not min(y, 1 - y))"
                            : " (every field must be 1-periodic in each variable: sin(2*pi*x), not sin(x))"
                        throw ScenarioError(
                            key: key,
                            message: "is not 1-periodic in \(names[v]): \(a[i]) at \(names[v]) = \(t) but \(c[i]) at \(names[v]) = \(t + shift)"
                                + hint)
                    }
                }
            }
        }
    }
}
