import Foundation

/// The homogenisation error of the stationary measure at a given ε, seen at the slow scale: the
/// exact masses of π_ε on one cell per ε-period, p_c = ∫_cell π_ε / ∫π_ε, against those of the
/// homogenised π̄(x) = ∫π(x, y) dy (2.33), q_c = ∫_cell π̄. Both are deterministic numbers (no
/// particles): p by composite Gauss–Legendre on sub-intervals ≤ ε/8 (8 points; 4 points on ≤ ε/4
/// in 3D, `LoweredFields.cellIntegrals`), q by Gauss–Legendre in x and the midpoint rule in y,
/// both refined where g needs it (`LoweredFields.fastAverageCellMasses`). For fields with a few Fourier modes (the scenarios'),
/// both are accurate to ~1e-8 relative or better (the Gauss–Legendre remainder; the tests check
/// them against adaptive GSL quadrature), far below the differences reported.
///
/// At finite ε the two differ. In 1D, on the cell [a, a + ε] (a a multiple of ε, x = a + εs):
/// p − q = ε² ∫₀¹ (s − ½) ∂ₓπ(a, s) ds + O(ε³), so with π normalised
/// TV = (ε/2) ∫₀¹ |∫₀¹ (s − ½) ∂ₓπ(x, s) ds| dx + O(ε²): O(ε) in general, O(ε²) when that
/// first moment vanishes (a fast profile even about the middle of the period, like cos 2πy, even
/// when π factorises); in 2D the same along each axis. The particles sample π_ε, so this
/// difference is what homogenisation neglects, never a sampling error.
public struct HomogenisationError: Sendable, Codable, Equatable {
    /// 1/ε.
    public let inverseEpsilon: Int
    /// Total variation ½ Σ |p_c − q_c|.
    public let totalVariation: Double
    /// max_c |p_c − q_c| / q_c.
    public let maxRelativeCellDifference: Double
    /// The chi-square distance Σ (p_c − q_c)² / q_c.
    public let chiSquareDistance: Double
    /// max_c |p_c − q_c| over the particles' standard error of cell c: how many standard errors
    /// the difference stands out of the run's noise (nil without a run).
    public let largestDifferenceInStandardErrors: Double?

    /// The difference between the cell masses `piEps` (coarse-grained π_ε) and `piBar` (π̄) on
    /// the same cells; `standardErrors` are the particles' per-cell standard errors, if any.
    public init(inverseEpsilon: Int, piEps p: [Double], piBar q: [Double], standardErrors: [Double]? = nil) {
        precondition(p.count == q.count && !p.isEmpty)
        self.inverseEpsilon = inverseEpsilon
        totalVariation = 0.5 * zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) }
        maxRelativeCellDifference = zip(p, q).map { abs($0 - $1) / $1 }.max()!
        chiSquareDistance = zip(p, q).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) / $1.1 }
        largestDifferenceInStandardErrors = standardErrors.map { se in
            (0..<p.count).compactMap { se[$0] > 0 ? abs(p[$0] - q[$0]) / se[$0] : nil }.max() ?? 0
        }
    }

    /// The homogenisation error of scenario `s` at its own ε (no particles).
    public static func at(_ s: Scenario) -> HomogenisationError {
        let n = s.inverseEpsilon
        return HomogenisationError(inverseEpsilon: n, piEps: s.equilibriumCellMasses(cells: n),
                                   piBar: s.lowered().fastAverageCellMasses(cells: n, slowPoints: slowPoints(s.dimension, n)))
    }

    /// Its dependence on ε: the error at ε, ε/2, ε/4 (the same fields, 1/ε doubled), as far as the
    /// quadrature stays cheap: (64/ε)^d points for π_ε's cell masses, at most 2^22 (1/ε ≤ 32 in 2D).
    public static func epsilonDependence(_ s: Scenario) throws -> [HomogenisationError] {
        var out: [HomogenisationError] = []
        var n = s.inverseEpsilon
        while out.count < 3, s.dimension.cells(perAxis: 64 * n) <= 4_194_304 || out.isEmpty {
            out.append(n == s.inverseEpsilon ? at(s) : at(try s.replacing(inverseEpsilon: n)))
            n *= 2
        }
        return out
    }

    /// Gauss–Legendre points per cell and axis in x for π̄'s masses: 8 up to 8 cells per axis, then
    /// 4 (cheaper in 2D). The p-point remainder h^{2p+1}(p!)⁴/((2p+1)((2p)!)³) f^{(2p)} makes the
    /// relative error for a slow mode e^{2πikx} on cells of width h ≤ 1/16 at most
    /// 5.6e-10 (2πkh)⁸ < 1e-10 for k ≤ 2.
    static func slowPoints(_ dimension: TorusDimension, _ cells: Int) -> Int {
        switch dimension {
        case .one: return 8
        case .two: return cells <= 8 ? 8 : 4
        case .three: return cells <= 4 ? 4 : 2
        }
    }
}
