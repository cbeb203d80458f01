import Foundation

/// How a comparison measures Wasserstein distances in its scenario's dimension: the transport
/// strategy value `Comparison` and `StationaryResult` hold (`TransportMethod.strategy`), so that
/// no stage switches on the dimension. Every distance goes through `Transport.distance`.
protocol ComparisonTransport: Sendable {
    /// The method, named in the run folder's summary.
    var method: TransportMethod { get }
    /// W2 — or, with `cost`, W̄ or W_GH — between two PDE solutions at output k; nil where the
    /// method has none for that cost.
    func pdeDistance(_ a: FokkerPlanckResult, _ b: FokkerPlanckResult, _ k: Int, cost: Transport.Cost) throws -> Transport.Result?
    /// The particles at output k against a PDE solution's output k: W2 and its parametric-bootstrap p-value.
    func bootstrap(_ particles: SampleResult.Snapshot, against r: FokkerPlanckResult, _ k: Int,
                   test: SequentialMonteCarlo, seed: UInt64) throws -> BootstrapResult
    /// Stage 4, the ground costs that are not a constant quadratic form.
    func metricCosts(_ effective: EffectiveCoefficients, stage: ((String) -> Void)?) throws -> MetricCosts
    /// W̄ and W_GH between the ε-solution (on the homogenised grid, `epsH`; `eps` on its own) and
    /// the homogenised one at output k, given their W2 `w2` (with its resolution flag).
    func metricDistances(epsH: FokkerPlanckResult, eps: FokkerPlanckResult, hom: FokkerPlanckResult, _ k: Int,
                         effective: EffectiveCoefficients, costs: MetricCosts, w2: Transport.Result) throws -> MetricDistances
    /// max over consecutive output times of W2(ρ_t, ρ_s)²/|t − s| along `r` (3.24), where the
    /// method computes it exactly; nil elsewhere.
    func timeContinuity(_ r: FokkerPlanckResult) throws -> Double?
    /// W2 between a stationary estimate's fine-grid cell masses and the exact ones, where exact; nil elsewhere.
    func stationaryDistance(estimate: [Double], exact: [Double]) throws -> Double?
}

/// The ground costs of W̄ and W_GH that are not a constant quadratic form (2D): the Finsler
/// norm of the Gromov–Hausdorff limit (5.17) and the geodesic cost of an x-dependent B̄.
struct MetricCosts {
    var gh: FinslerTorusCost?
    var bar: GeodesicTorusCost?
    static let none = MetricCosts()
}

/// W̄ and W_GH between the ε- and homogenised solutions at one output time, and (2D) the distances
/// on the metric grid that stand beside them.
struct MetricDistances: Sendable {
    var wBar: Double?
    /// True when `wBar` came from the back-and-forth method below its resolution
    /// (`GridWasserstein.Result.belowResolution`): W2's upper bound in the metric.
    var wBarIsUpperBound = false
    /// The back-and-forth method's marginal error for `wBar`, where it computed it.
    var wBarMarginalError: Double?
    var wGH: Double?
    var grid: Comparison.MetricGridDistances?

    /// W̄ with a constant diagonal B̄ on the solver grid: the back-and-forth value `bar`, or, where
    /// W2 between the same densities is below the method's resolution (`w2.belowResolution`),
    /// The upper bound in the metric — W2's bound times √(largest entry of B̄), as the method scales
    /// it — without iterating: the same densities are as unresolved in the metric.
    mutating func setBar(_ bar: Transport.Result?, w2: Transport.Result, largest: Double) {
        if w2.belowResolution {
            wBar = largest.squareRoot() * w2.distance
            wBarIsUpperBound = true
        } else if let bar {
            wBar = bar.distance
            wBarIsUpperBound = bar.belowResolution
            wBarMarginalError = bar.marginalError
        }
    }
}

extension TransportMethod {
    /// The strategy that carries out this method for `scenario`.
    func strategy(_ scenario: Scenario, threads: Int) -> any ComparisonTransport {
        switch self {
        case .circle: return CircleComparisonTransport(scenario: scenario, threads: threads)
        case .torusGrid: return TorusGridComparisonTransport(scenario: scenario, threads: threads)
        }
    }
}

/// Solver-grid cell masses (ρ h^d) of `r` at output k.
private func solverMasses(_ r: FokkerPlanckResult, _ k: Int, _ dimension: TorusDimension) -> [Double] {
    let v = dimension.volume(side: 1 / Double(r.solverCells))
    return r.snapshots[k].solverDensity.map { $0 * v }
}

/// 1D: exact W2 on the circle (`CircleWasserstein`) from every particle's position and the
/// solvers' fine-grid densities; W̄ and W_GH through the change of variables that makes their
/// metric flat (`CircleMetricChange`).
struct CircleComparisonTransport: ComparisonTransport {
    let scenario: Scenario
    let threads: Int
    var method: TransportMethod { .circle }

    func pdeDistance(_ a: FokkerPlanckResult, _ b: FokkerPlanckResult, _ k: Int, cost: Transport.Cost) throws -> Transport.Result? {
        try Transport.distance(.circleCells(solverMasses(a, k, .one)), .circleCells(solverMasses(b, k, .one)), cost: cost)
    }

    func bootstrap(_ particles: SampleResult.Snapshot, against r: FokkerPlanckResult, _ k: Int,
                   test: SequentialMonteCarlo, seed: UInt64) throws -> BootstrapResult {
        try ParametricBootstrap.circle(particles: particles.positions!, cellMasses: solverMasses(r, k, .one), test: test,
                                       seed: seed, threads: threads)
    }

    func metricCosts(_ effective: EffectiveCoefficients, stage: ((String) -> Void)?) throws -> MetricCosts { .none }

    func metricDistances(epsH: FokkerPlanckResult, eps: FokkerPlanckResult, hom: FokkerPlanckResult, _ k: Int,
                         effective e: EffectiveCoefficients, costs: MetricCosts, w2: Transport.Result) throws -> MetricDistances {
        var result = MetricDistances()
        if e.isConstant {
            result.wBar = e.bBar[0][0].squareRoot() * w2.distance
        } else {
            // B̄(x): the exact circle W2 after the change of variables s(x) = ∫_0^x √B̄ / ∫√B̄.
            let change = CircleMetricChange(cells: epsH.solverCells) { 1 / e.bBarInverse(at: [$0], entry: 0) }
            result.wBar = try pdeDistance(epsH, hom, k, cost: .circleMetric(change))!.distance
        }
        if let c = e.cGH {
            if c.allSatisfy({ $0 == c[0] }) {
                result.wGH = c[0].squareRoot() * w2.distance
            } else {
                let change = CircleMetricChange(cells: epsH.solverCells) { e.interpolateGH(at: $0) }
                result.wGH = try pdeDistance(epsH, hom, k, cost: .circleMetric(change))!.distance
            }
        }
        return result
    }

    func timeContinuity(_ r: FokkerPlanckResult) throws -> Double? {
        guard r.snapshots.count >= 2 else { return nil }
        var worst = 0.0
        for k in 1..<r.snapshots.count {
            let dt = r.snapshots[k].time - r.snapshots[k - 1].time
            guard dt > 0 else { continue }
            let w = try Transport.distance(.circleCells(solverMasses(r, k - 1, .one)), .circleCells(solverMasses(r, k, .one))).distance
            worst = max(worst, w * w / dt)
        }
        return worst
    }

    func stationaryDistance(estimate: [Double], exact: [Double]) throws -> Double? {
        try Transport.distance(.circleCells(estimate.map { max($0, 0) }), .circleCells(exact)).distance
    }
}

/// 2D and 3D: W2 by the back-and-forth method on a grid (`GridWasserstein`): PDE against PDE on
/// the solver grid, the particles' counts against each PDE's output-grid masses (bootstrap null by
/// the same pipeline); in 2D, costs that are not a constant quadratic form by exact transport
/// between the cell-centre measures of a coarser grid (`Comparison.metricCells`). In 3D, W̄ for a
/// constant diagonal B̄ on the solver grid; on the metric grid W_GH (a medium of y only, by
/// `StableNorm3D`) and W̄ (an x-dependent B̄ by the geodesic cost, a constant one by its
/// quadratic form).
struct TorusGridComparisonTransport: ComparisonTransport {
    let scenario: Scenario
    let threads: Int
    var method: TransportMethod { .torusGrid }

    /// On the solver grid, refined to 32 cells per ε-period by splitting cells as long as the grid
    /// stays within 256 × 256 (64³ in 3D; the method's error on an ε-oscillating density is about
    /// 1.3% at 16 cells per period and 0.3% at 32, `CompareTests`); nil for a non-diagonal
    /// constant metric (2D), which the grid method does not take: `metricDistances` puts that W̄
    /// on the metric grid, beside W2 between the same cell-centre measures.
    func pdeDistance(_ a: FokkerPlanckResult, _ b: FokkerPlanckResult, _ k: Int, cost: Transport.Cost) throws -> Transport.Result? {
        var cost = cost
        if case .metric(let m) = cost {
            guard !Self.hasCrossTerm(m) else { return nil }
            cost = .metric(.diagonal(m.a11, m.a22))   // the grid method's diagonal metric
        }
        let n = a.solverCells
        var refine = max(1, Int((32 * Double(scenario.inverseEpsilon) / Double(n)).rounded(.up)))
        let largest = scenario.dimension == .three ? 64 : 256
        while refine > 1 && n * refine > largest { refine -= 1 }
        let d = scenario.dimension.count
        func grid(_ r: FokkerPlanckResult) -> Transport.Measure {
            .grid(GridWasserstein.refined(r.snapshots[k].solverDensity, shape: [Int](repeating: n, count: d), factor: refine),
                  shape: [Int](repeating: n * refine, count: d))
        }
        return try Transport.distance(grid(a), grid(b), cost: cost)
    }

    func bootstrap(_ particles: SampleResult.Snapshot, against r: FokkerPlanckResult, _ k: Int,
                   test: SequentialMonteCarlo, seed: UInt64) throws -> BootstrapResult {
        try ParametricBootstrap.torus(particleCounts: particles.counts, cellMasses: r.snapshots[k].density, cells: scenario.cells,
                                      dimension: scenario.dimension, particles: scenario.particles.count, test: test, seed: seed,
                                      threads: threads)
    }

    /// The Gromov–Hausdorff norm (5.17) for W_GH where the medium depends on y only (nil, "-",
    /// when too anisotropic for the nine-image cost), and the geodesic cost of an x-dependent B̄ for W̄.
    func metricCosts(_ effective: EffectiveCoefficients, stage: ((String) -> Void)?) throws -> MetricCosts {
        guard scenario.dimension == .two else {
            var costs = MetricCosts()
            if !StableNorm.mediumDependsOnX(scenario) {
                stage?("Gromov-Hausdorff norm")
                costs.gh = try? FinslerTorusCost(try StableNorm3D.compute(scenario, threads: threads))
            }
            guard !effective.isConstant else { return costs }
            stage?("geodesic distances of B_bar(x) for W_bar")
            costs.bar = try GeodesicTorusCost(cells3D: Comparison.metricCells(outputCells: scenario.cells, dimension: .three),
                                              threads: threads) { x in effective.bBarInverse(at: x) }
            return costs
        }
        var costs = MetricCosts()
        if !StableNorm.mediumDependsOnX(scenario) {
            stage?("Gromov-Hausdorff norm")
            costs.gh = try? FinslerTorusCost(try StableNorm.compute(scenario))
        }
        if !effective.isConstant {
            stage?("geodesic distances of B_bar(x) for W_bar")
            costs.bar = try GeodesicTorusCost(cells: Comparison.metricCells(outputCells: scenario.cells), threads: threads) { x in
                let a = effective.bBarInverse(at: x)
                return Matrix2(a11: a[0], a12: a[1], a22: a[3])
            }
        }
        return costs
    }

    func metricDistances(epsH: FokkerPlanckResult, eps: FokkerPlanckResult, hom: FokkerPlanckResult, _ k: Int,
                         effective e: EffectiveCoefficients, costs: MetricCosts, w2: Transport.Result) throws -> MetricDistances {
        var result = MetricDistances()
        if scenario.dimension == .three {
            // A constant diagonal B̄ (off-diagonal entries below 1e-12 of the diagonal, as the cell
            // problem leaves them for a medium with the axes as symmetry planes): the grid method
            // with that metric; otherwise not computed.
            let d = 3, b = e.bBar[0]
            if e.isConstant && !e.hasCrossTerms {
                let diagonal = (0..<d).map { b[$0 * d + $0] }
                try result.setBar(w2.belowResolution ? nil : pdeDistance(epsH, hom, k, cost: .diagonalMetric(diagonal)),
                                  w2: w2, largest: diagonal.max()!)
            }
            guard costs.bar != nil || costs.gh != nil else { return result }
            // An x-dependent B̄ or the Gromov–Hausdorff norm: W2, W̄ and W_GH between the cell-centre
            // measures of the metric grid (W̄ with a constant B̄ by its quadratic form, where its
            // condition number allows the 27-image minimum).
            let g = scenario.cells, gm = Comparison.metricCells(outputCells: g, dimension: .three)
            let grid = PeriodicGrid(dimension: .three, n: g)
            func measure(_ m: [Double]) -> Transport.Measure {
                .points(TorusMeasure(cellMasses: gm == g ? m : grid.aggregate(m, to: gm), cells: gm, dimension: 3))
            }
            let x = measure(eps.snapshots[k].density), y = measure(hom.snapshots[k].density)
            var barOnGrid: Double?
            if let bar = costs.bar {
                barOnGrid = try Transport.distance(x, y, cost: .points(bar)).distance
            } else if e.isConstant, case let ev = SymmetricMatrix(rowMajor: b, dimension: 3).eigenvalues.sorted(),
                      ev[0] > 0, ev[2] <= 3 * ev[0] {
                barOnGrid = try Transport.distance(x, y, cost: .points(TorusCost(metric3D: b))).distance
            }
            result.grid = Comparison.MetricGridDistances(
                cells: gm, w2: try Transport.distance(x, y).distance, wBar: barOnGrid,
                wGH: try costs.gh.map { try Transport.distance(x, y, cost: .points($0)).distance })
            return result
        }
        let crossTerm = e.isConstant && Self.hasCrossTerm(Matrix2(rowMajor: e.bBar[0]))
        if e.isConstant && !crossTerm {
            let m = Matrix2(rowMajor: e.bBar[0])
            try result.setBar(w2.belowResolution ? nil : pdeDistance(epsH, hom, k, cost: .metric(m)), w2: w2, largest: max(m.a11, m.a22))
        }
        guard costs.bar != nil || costs.gh != nil || crossTerm else { return result }
        // Ground costs that the grid method does not take (the Finsler norm, the geodesic cost of
        // B̄(x), a constant B̄ with a cross term): exact transport between the cell-centre measures
        // of a coarser grid (`metricCells`), with W2 and W̄ on the same grid. These stay apart from
        // the back-and-forth columns: cell-centre measures overstate W2 between nearby densities,
        // so only ratios within this grid mean something.
        let g = scenario.cells, gm = Comparison.metricCells(outputCells: g), grid = PeriodicGrid(dimension: .two, n: g)
        func measure(_ d: [Double]) -> Transport.Measure {
            .points(TorusMeasure(cellMasses: gm == g ? d : grid.aggregate(d, to: gm), cells: gm))
        }
        let a = measure(eps.snapshots[k].density), b = measure(hom.snapshots[k].density)
        var barOnGrid: Double?
        if let bar = costs.bar {
            barOnGrid = try Transport.distance(a, b, cost: .points(bar)).distance
        } else if e.isConstant {
            barOnGrid = try Transport.distance(a, b, cost: .metric(Matrix2(rowMajor: e.bBar[0]))).distance
        }
        result.grid = Comparison.MetricGridDistances(
            cells: gm, w2: try Transport.distance(a, b).distance, wBar: barOnGrid,
            wGH: try costs.gh.map { try Transport.distance(a, b, cost: .points($0)).distance })
        return result
    }

    func timeContinuity(_ r: FokkerPlanckResult) throws -> Double? { nil }

    /// True when the 2D metric's off-diagonal entry is above 1e-12 of the diagonal's scale (below
    /// it, the cell problem's round-off for media with the axes as symmetry planes).
    static func hasCrossTerm(_ m: Matrix2) -> Bool { abs(m.a12) > 1e-12 * (m.a11 * m.a22).squareRoot() }

    /// None: the estimate's standard errors, not a distance, judge it on the torus.
    func stationaryDistance(estimate: [Double], exact: [Double]) throws -> Double? { nil }
}
