import Foundation

/// The JSON of `homogen effective --json`: each coefficient a number (1D constant), a matrix
/// (2D constant) or an object with the slow grid and the values.
public struct EffectiveReport: Encodable {
    let e: EffectiveCoefficients
    let gh: StableNorm?
    let gh3D: StableNorm3D?
    let ghAtX: [Double]?

    /// The report of `e`, with the Gromov–Hausdorff norm `gh` (2D) or `gh3D` computed at the slow
    /// point `ghAtX` if given.
    public init(_ e: EffectiveCoefficients, gh: StableNorm? = nil, gh3D: StableNorm3D? = nil, ghAtX: [Double]? = nil) {
        self.e = e; self.gh = gh; self.gh3D = gh3D; self.ghAtX = ghAtX
    }

    struct GHNorm3D: Encodable {
        /// Unit directions and φ at each: the 13 lattice directions of the cube.
        let directions: [[Double]]
        let phi: [Double]
        let covectors: [[Int]]
        let dualNorm: [Double]
        let x: [Double]?
        let method: String
        let seconds: Double

        enum CodingKeys: String, CodingKey {
            case directions, phi, covectors, dualNorm = "dual_norm", x, method, seconds
        }
    }

    struct GHNorm: Encodable {
        let angles: [Double]
        let phi: [Double]
        let x: [Double]?
        let method: String
        let seconds: Double
    }

    enum CodingKeys: String, CodingKey {
        case piBar = "pi_bar", aHom = "A_hom", bBar = "B_bar", cGH = "C_gh", constant = "B_bar_is_constant"
        case resolution, resolutionDifference = "resolution_difference", method, slowGrid = "slow_grid"
        case bounds = "A_hom_bounds", iterations = "cell_iterations", gh = "gh_norm", caveat = "bracket_caveat"
        case resolutionCaveat = "resolution_caveat"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func value(_ v: [[Double]], constant: Bool = false) -> Value {
            let shaped: [Value] = v.map { m in
                let d = Int(Double(m.count).squareRoot())
                return d == 1 ? .number(m[0]) : .matrix((0..<d).map { Array(m[($0 * d)..<($0 * d + d)]) })
            }
            return constant || v.allSatisfy({ $0 == v[0] }) ? shaped[0] : .field(grid: e.slowGrid, values: shaped)
        }
        try c.encode(value(e.piBar.map { [$0] }), forKey: .piBar)
        try c.encode(value(e.aHom), forKey: .aHom)
        try c.encode(value(e.bBar, constant: e.isConstant), forKey: .bBar)
        if let g = e.cGH { try c.encode(value(g.map { [$0] }), forKey: .cGH) }
        try c.encode(e.isConstant, forKey: .constant)
        try c.encodeIfPresent(e.resolution, forKey: .resolution)
        try c.encodeIfPresent(e.resolutionDifference, forKey: .resolutionDifference)
        if let l = e.aHomLower, let u = e.aHomUpper {
            try c.encode(["lower": value(l), "upper": value(u)], forKey: .bounds)
        }
        try c.encodeIfPresent(e.cellIterations, forKey: .iterations)
        try c.encodeIfPresent(e.bracketCaveat, forKey: .caveat)
        try c.encodeIfPresent(e.resolutionCaveat, forKey: .resolutionCaveat)
        if let g = gh {
            let o = g.options
            try c.encode(GHNorm(angles: g.angles, phi: g.phi, x: ghAtX,
                                method: "stable norm of a periodic graph (\(o.nodes) nodes per period, stencil reach \(o.reach)), "
                                    + "computed exactly for the graph: minimum cycle ratios (Howard) give the unit ball's vertices "
                                    + "and supporting lines, refined until they agree to \(o.tolerance) (\(g.vertices.count) vertices, "
                                    + "\(g.covectors.count) covectors); phi is the polygon's gauge squared. The error is the graph's "
                                    + "discretisation of the metric (docs/solver.md)",
                                seconds: g.seconds), forKey: .gh)
        }
        if let g = gh3D {
            let o = g.options
            let units = StableNorm3D.unitLatticeDirections
            try c.encode(GHNorm3D(directions: units, phi: units.map(g.phi), covectors: g.covectors, dualNorm: g.dualNorm, x: ghAtX,
                                  method: "dual norm (effective eikonal Hamiltonian) of a periodic graph, exactly for the graph by minimum "
                                      + "cycle ratios (Howard): \(o.nodes) nodes per period, stencil reach \(o.reach), covectors |xi|_inf <= \(o.covectors), "
                                      + "biquadratic interpolation on the cube faces, support function over \(o.boundary)^2 points per face",
                                  seconds: g.seconds), forKey: .gh)
        }
        try c.encode(e.method, forKey: .method)
    }

    indirect enum Value: Encodable {
        case number(Double)
        case matrix([[Double]])
        case field(grid: [[Double]], values: [Value])

        func encode(to encoder: Encoder) throws {
            switch self {
            case .number(let v): var c = encoder.singleValueContainer(); try c.encode(v)
            case .matrix(let m): var c = encoder.singleValueContainer(); try c.encode(m)
            case .field(let grid, let values):
                var c = encoder.container(keyedBy: FieldKeys.self)
                try c.encode(grid.map { $0.count == 1 ? [$0[0]] : $0 }, forKey: .x)
                try c.encode(values, forKey: .values)
            }
        }
        enum FieldKeys: String, CodingKey { case x, values }
    }
}
