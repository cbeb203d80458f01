/// Means over one fast variable, ∫_0^1 h(t) dt, of integrands built from the scenario's fields
/// (the closed forms of `EffectiveCoefficients`: 1D, laminates, separable media), by GSL QAG on
/// the pieces between the jumps of the fields' `floor` and `mod` nodes and the kinks of their `abs`,
/// `min` and `max` nodes (`JumpLocator`). On one
/// piece the integrand is smooth, so QAG's error estimate holds; over a jump it need not — a
/// layer narrower than the Gauss–Kronrod nodes' spacing went unseen.
final class PiecewiseMean {
    private let quad = AdaptiveQuadrature()
    private let locator: JumpLocator
    /// True once some integrand had jumps (the method text says how they were handled).
    private(set) var hadJumps = false
    /// False once the locator's budget ran out somewhere (`JumpLocator.Jumps.certified`).
    private(set) var certified = true

    private let graph: ExpressionGraph
    /// The jumps found so far, by roots, variable and the values of the other variables the roots
    /// depend on: a medium of y alone has the same jumps at every slow point and in every mean.
    private var found: [[Double]: JumpLocator.Jumps] = [:]

    init(graph: ExpressionGraph) {
        self.graph = graph
        locator = JumpLocator(graph: graph)
    }

    /// ∫_0^1 h, where h(t) is built from `roots` with variable `v` at t and the others at `point`.
    /// An error thrown by h is rethrown (the first one).
    func mean(of roots: [NodeID], along v: Int, at point: [Double], _ h: (Double) throws -> Double) throws -> Double {
        let others = Set(roots.flatMap { graph.variables(of: $0) }).subtracting([v]).sorted()
        let key = roots.map(Double.init) + [-1, Double(v), -1] + others.map { $0 < point.count ? point[$0] : 0 }
        let jumps = found[key] ?? locator.jumps(of: roots, along: v, at: point)
        found[key] = jumps
        if !jumps.points.isEmpty { hadJumps = true }
        if !jumps.certified { certified = false }
        let ends = [0.0] + jumps.points + [1.0]
        var failure: Error?
        var total = 0.0
        do {
            for i in 0..<(ends.count - 1) where ends[i + 1] > ends[i] {
                total += try quad.integrate(ends[i], ends[i + 1]) { t in
                    do { return try h(t) } catch { if failure == nil { failure = error }; return 0 }
                }.value
            }
        } catch {
            throw failure ?? error
        }
        if let failure { throw failure }
        return total
    }

    /// What the method text adds: how the pieces were found.
    var methodNote: String {
        guard hadJumps else { return "" }
        return "; integrated between the jumps of floor/mod and the kinks of abs/min/max, located by interval bisection to 1e-9 and point bisection to adjacent doubles"
            + (certified ? "" : " (partly by a 4096-point scan: the bisection budget ran out; a layer thinner than the scan may be missed)")
    }
}
