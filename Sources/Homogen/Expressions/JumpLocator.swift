import Foundation

/// Where piecewise expressions jump or kink along one variable: the points of [0, 1] at which a
/// `floor` or `mod` node that the given roots depend on may change its integer part, or an `abs`,
/// `min` or `max` node may change its branch (the sign of its argument, of a − b), the other
/// variables held at a point. Adaptive quadrature (GSL QAG) samples an integrand at its
/// Gauss–Kronrod nodes only, so a layer narrower than their spacing goes unseen — a laminate with
/// a 1 % layer of conductivity 10 gave B̄ = 1 "exact to round-off", not 1.09. Integrating between
/// these points makes each piece smooth; a kink left inside a Gauss piece costs O(h²) (about
/// 10⁻⁴ relative for π = 1 + |sin 2πy| at 64 points per period), cut there it costs nothing.
///
/// Written by hand (no maintained Swift or C library does interval arithmetic on this graph):
/// interval bounds of every node over a sub-interval of the variable (`bounds`), and bisection
/// of [0, 1] wherever the bound of a `floor` argument (or of a/b in mod(a, b)) contains an
/// integer. An interval whose integer parts are constant is certified free of jumps; the others
/// are bisected to `resolution`, and each leaf that remains is a breakpoint. Interval
/// arithmetic overestimates, so a leaf can be a point where nothing jumps (harmless: one more
/// piece). It misses no jump except a layer thinner than `resolution` inside one leaf, and where
/// the bisection `budget` runs out — then the scan is finished by point values on a uniform grid
/// (`certified` false). "Jump" below means either kind of point.
struct JumpLocator {
    let graph: ExpressionGraph
    /// Intervals this narrow end the interval bisection (a leaf whose ends differ is then polished
    /// to adjacent doubles). A layer thinner than this inside one leaf, with the same integer
    /// parts at both ends, is not seen: 2⁻³⁰ ≈ 9.3e-10, which bounds the relative error such a
    /// layer leaves at 10⁻⁹ times its contrast. (At 2⁻⁴⁰, the 7.5e-9 stretch where sin rounds
    /// to 1, so that floor(2 + sin) touches 3, took 16 000 leaves and a second per mean.)
    var resolution = 0x1p-30
    /// Interval evaluations allowed per call (a few per jump and level in practice).
    var budget = 1 << 16

    struct Jumps {
        /// Sorted points of (0, 1) where an integer part or a branch may change.
        var points: [Double]
        /// False when the budget ran out and part of [0, 1] was scanned by point values only (a
        /// layer narrower than that scan's spacing may then be missed).
        var certified: Bool
    }

    /// The jump points of `roots` along variable `v` over [0, 1], the other variables at `point`
    /// (`point[v]` is ignored). Empty, and certified, when no root depends on a `floor`, `mod`,
    /// `abs`, `min` or `max` that depends on v.
    func jumps(of roots: [NodeID], along v: Int, at point: [Double]) -> Jumps {
        let steps = steppingNodes(of: roots, along: v)
        guard !steps.isEmpty else { return Jumps(points: [], certified: true) }
        let top = roots.max()!
        var p = point
        while p.count <= v { p.append(0) }
        // The integer parts of the steps' arguments, and the branches of the kinks, at t, by
        // point values.
        func parts(_ t: Double) -> [Double] {
            p[v] = t
            let ids = steps.flatMap { [$0.numerator, $0.denominator ?? $0.numerator] }
            let values = graph.evaluate(ids, at: p)
            return steps.indices.map { k in
                let a = values[2 * k], b = values[2 * k + 1]
                switch (steps[k].kind, steps[k].denominator) {
                case (.integerPart, nil): return a.rounded(.down)
                case (.integerPart, _): return (a / b).rounded(.down)
                case (.sign, nil): return a >= 0 ? 1 : 0
                case (.sign, _): return a - b >= 0 ? 1 : 0
                }
            }
        }
        // A leaf whose ends have different integer parts holds one jump: bisected by point
        // values to adjacent doubles, so that a piece ends where the field jumps, not up to
        // `resolution` away (which, times a contrast of 10⁴, was a relative error of 10⁻⁸).
        func polished(_ a: Double, _ b: Double) -> Double {
            var lo = a, hi = b
            let left = parts(lo)
            guard parts(hi) != left else { return 0.5 * (a + b) }
            while true {
                let m = 0.5 * (lo + hi)
                guard m > lo && m < hi else { return hi }
                if parts(m) == left { lo = m } else { hi = m }
            }
        }
        var points: [Double] = []
        var evaluations = 0
        var uncertified: [(Double, Double)] = []
        var stack: [(Double, Double)] = [(0, 1)]
        while let (a, b) = stack.popLast() {
            if evaluations >= budget { uncertified.append((a, b)); continue }
            evaluations += 1
            var box = p.map { Interval($0) }
            box[v] = Interval(a, b)
            let bound = stepArguments(steps, upTo: top, over: box)
            if zip(steps, bound).allSatisfy({ $0.kind == .integerPart ? Self.integerPartIsConstant($1) : Self.signIsConstant($1) }) { continue }
            if b - a <= 2 * resolution {
                points.append(polished(a, b))
                continue
            }
            let m = 0.5 * (a + b)
            stack.append((m, b))
            stack.append((a, m))
        }
        // Over budget: a uniform scan of the integer parts by point values, and every scan cell
        // whose ends differ polished.
        for (a, b) in uncertified {
            let n = 4096
            var left = a, leftParts = parts(a)
            for i in 1...n {
                let right = a + (b - a) * Double(i) / Double(n), rightParts = parts(right)
                if rightParts != leftParts {
                    points.append(polished(left, right))
                }
                left = right
                leftParts = rightParts
            }
        }
        points.sort()
        return Jumps(points: points.filter { $0 > resolution && $0 < 1 - resolution }, certified: uncertified.isEmpty)
    }

    /// A node whose value steps where numerator/denominator crosses an integer: floor(a) (with
    /// no denominator) or mod(a, b) = a − b floor(a/b); or whose derivative steps where
    /// numerator − denominator changes sign: abs(a) (no denominator), min(a, b) and max(a, b).
    struct Step {
        enum Kind { case integerPart, sign }
        let kind: Kind
        let numerator: NodeID
        /// Nil for floor and abs.
        let denominator: NodeID?
    }

    /// The `floor`, `mod`, `abs`, `min` and `max` nodes below `roots` whose value depends on v.
    private func steppingNodes(of roots: [NodeID], along v: Int) -> [Step] {
        var seen = Set<NodeID>(), stack = roots, steps: [Step] = []
        while let id = stack.popLast() {
            guard seen.insert(id).inserted, case .op(let op, let a, let b) = graph.nodes[id] else { continue }
            if op == .floor, graph.dependsOn(a, variable: v) { steps.append(Step(kind: .integerPart, numerator: a, denominator: nil)) }
            if op == .mod, graph.dependsOn(id, variable: v) { steps.append(Step(kind: .integerPart, numerator: a, denominator: b)) }
            if op == .abs, graph.dependsOn(a, variable: v) { steps.append(Step(kind: .sign, numerator: a, denominator: nil)) }
            if op == .min || op == .max, graph.dependsOn(id, variable: v) { steps.append(Step(kind: .sign, numerator: a, denominator: b)) }
            stack.append(a)
            if b != a { stack.append(b) }
        }
        return steps
    }

    /// The integer part of a step's argument is constant over the box (an argument whose upper
    /// end is exactly an integer may step there).
    private static func integerPartIsConstant(_ argument: Interval) -> Bool {
        guard argument.isFinite else { return false }
        if argument.lo == argument.hi { return true }   // one value: nothing steps
        return argument.lo.rounded(.down) == argument.hi.rounded(.down) && argument.hi.rounded(.down) != argument.hi
    }

    /// The branch of a kink is constant over the box: its argument keeps one sign (it may touch 0
    /// at an end, where the field is continuous).
    private static func signIsConstant(_ argument: Interval) -> Bool {
        argument.isFinite && (argument.lo >= 0 || argument.hi <= 0)
    }

    /// Bounds of each step's argument (numerator/denominator for a step, numerator − denominator
    /// for a kink) over `box`.
    private func stepArguments(_ steps: [Step], upTo top: NodeID, over box: [Interval]) -> [Interval] {
        let value = bounds(upTo: top, over: box)
        return steps.map { step in
            guard let b = step.denominator else { return value[step.numerator] }
            return Interval.apply(step.kind == .integerPart ? .div : .sub, value[step.numerator], value[b])
        }
    }

    /// Interval bounds of nodes 0...top over `box` (one interval per variable).
    func bounds(upTo top: NodeID, over box: [Interval]) -> [Interval] {
        var value = [Interval](repeating: .whole, count: top + 1)
        for i in 0...top {
            switch graph.nodes[i] {
            case .constant(let bits): value[i] = Interval(Double(bitPattern: bits))
            case .variable(let w): value[i] = w < box.count ? box[w] : .whole
            case .op(let op, let a, let b): value[i] = Interval.apply(op, value[a], value[b])
            }
        }
        return value
    }
}

/// A closed interval [lo, hi] of reals for `JumpLocator`'s bounds. Endpoints are widened by a
/// few ulps after every operation so that the floating-point rounding of an endpoint cannot cut
/// off a value (outward rounding in place of directed rounding modes); `whole` is (−∞, ∞).
struct Interval: Equatable {
    var lo: Double
    var hi: Double

    init(_ x: Double) { lo = x; hi = x }
    init(_ lo: Double, _ hi: Double) {
        if lo.isNaN || hi.isNaN { self.lo = -.infinity; self.hi = .infinity } else { self.lo = lo; self.hi = hi }
    }

    static let whole = Interval(-.infinity, .infinity)
    var isFinite: Bool { lo.isFinite && hi.isFinite }

    /// Outward by 4 ulps and a tiny absolute margin (round-off of the operation that made it).
    var widened: Interval {
        Interval(lo - 4 * lo.ulp - 1e-300, hi + 4 * hi.ulp + 1e-300)
    }

    /// The common part, or `self` where rounding left them apart.
    func intersect(_ o: Interval) -> Interval {
        let l = Swift.max(lo, o.lo), h = Swift.min(hi, o.hi)
        return l <= h ? Interval(l, h) : self
    }

    var floor: Interval { Interval(lo.rounded(.down), hi.rounded(.down)) }

    static func + (a: Interval, b: Interval) -> Interval { Interval(a.lo + b.lo, a.hi + b.hi).widened }
    static func - (a: Interval, b: Interval) -> Interval { Interval(a.lo - b.hi, a.hi - b.lo).widened }
    static func * (a: Interval, b: Interval) -> Interval {
        let p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
        if p.contains(where: \.isNaN) { return .whole }   // 0 · ∞
        return Interval(p.min()!, p.max()!).widened
    }
    static func / (a: Interval, b: Interval) -> Interval {
        if b.lo <= 0 && b.hi >= 0 { return .whole }
        return a * Interval(1 / b.hi, 1 / b.lo).widened
    }

    /// A function increasing on the interval's domain.
    func increasing(_ f: (Double) -> Double) -> Interval { Interval(f(lo), f(hi)).widened }

    /// sin over [lo, hi]: the end values, and ±1 where a crest (π/2 + 2kπ) or trough lies inside.
    static func sine(_ a: Interval, phase: Double = 0) -> Interval {
        guard a.isFinite, a.hi - a.lo < 2 * Double.pi else { return Interval(-1, 1) }
        let x = Interval(a.lo + phase, a.hi + phase)
        var lo = Swift.min(Foundation.sin(x.lo), Foundation.sin(x.hi)), hi = Swift.max(Foundation.sin(x.lo), Foundation.sin(x.hi))
        func contains(_ offset: Double) -> Bool {
            // Some x in [lo, hi] with x ≡ offset (mod 2π).
            let k = ((x.lo - offset) / (2 * Double.pi)).rounded(.up)
            return offset + 2 * Double.pi * k <= x.hi + 1e-12
        }
        if contains(Double.pi / 2) { hi = 1 }
        if contains(-Double.pi / 2) { lo = -1 }
        return Interval(Swift.max(-1, lo - 1e-15), Swift.min(1, hi + 1e-15))
    }

    static func apply(_ op: GraphOp, _ a: Interval, _ b: Interval) -> Interval {
        // Operands that are single values: the value the point evaluation computes, exactly as it
        // rounds (widening it made floor(8y)/2 = 1 look like a step everywhere, so that the
        // idiom mod(floor(8y), 2) exhausted the bisection).
        if a.lo == a.hi, op.isUnary || b.lo == b.hi { return Interval(op.apply(a.lo, b.lo)) }
        switch op {
        case .neg: return Interval(-a.hi, -a.lo)
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .sin: return sine(a)
        case .cos: return sine(a, phase: Double.pi / 2)
        case .tan:
            guard a.isFinite, a.hi - a.lo < Double.pi else { return .whole }
            // A pole π/2 + kπ inside: unbounded.
            let k = ((a.lo - Double.pi / 2) / Double.pi).rounded(.up)
            if Double.pi / 2 + Double.pi * k <= a.hi { return .whole }
            return a.increasing(Foundation.tan)
        case .exp: return a.increasing(Foundation.exp)
        case .log: return a.lo < 0 ? .whole : a.increasing(Foundation.log)
        case .sqrt: return a.lo < 0 ? .whole : a.increasing { $0.squareRoot() }
        case .tanh: return a.increasing(Foundation.tanh)
        case .abs:
            if a.lo >= 0 { return a }
            if a.hi <= 0 { return Interval(-a.hi, -a.lo) }
            return Interval(0, Swift.max(-a.lo, a.hi))
        case .floor: return a.floor
        case .min: return Interval(Swift.min(a.lo, b.lo), Swift.min(a.hi, b.hi))
        case .max: return Interval(Swift.max(a.lo, b.lo), Swift.max(a.hi, b.hi))
        case .pow: return power(a, b)
        case .mod:
            // a − b floor(a/b); with a positive constant modulus also within [0, b].
            let v = a - b * (a / b).floor
            return b.lo == b.hi && b.lo > 0 ? v.intersect(Interval(0, b.lo)) : v
        }
    }

    /// a^b: for a > 0, exp(b log a) is monotone in each argument, so the corners bound it; a
    /// constant integer exponent also takes a ≤ 0. Anything else is unbounded.
    static func power(_ a: Interval, _ b: Interval) -> Interval {
        if a.lo > 0 {
            let p = [Foundation.pow(a.lo, b.lo), Foundation.pow(a.lo, b.hi), Foundation.pow(a.hi, b.lo), Foundation.pow(a.hi, b.hi)]
            if p.contains(where: \.isNaN) { return .whole }
            return Interval(p.min()!, p.max()!).widened
        }
        guard b.lo == b.hi, b.lo == b.lo.rounded(), Swift.abs(b.lo) < 1e6 else { return .whole }
        let n = b.lo
        if n > 0 {
            let even = n.truncatingRemainder(dividingBy: 2) == 0
            if !even { return Interval(Foundation.pow(a.lo, n), Foundation.pow(a.hi, n)).widened }
            let m = Swift.max(Swift.abs(a.lo), Swift.abs(a.hi))
            let least = a.lo <= 0 && a.hi >= 0 ? 0 : Swift.min(Swift.abs(a.lo), Swift.abs(a.hi))
            return Interval(Foundation.pow(least, n), Foundation.pow(m, n)).widened
        }
        if n == 0 { return Interval(1) }
        // A negative integer power: 1 / a^|n|.
        return Interval(1) / power(a, Interval(-n))
    }
}
