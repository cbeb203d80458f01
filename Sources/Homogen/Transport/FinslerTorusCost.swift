import Foundation

/// The ground cost of W_GH in 2D: the squared distance of the flat Finsler torus with norm N,
/// c(x, y) = min_{k ∈ Z²} N(y − x + k)², N(v) = |v| √φ(angle of v) from the Gromov–Hausdorff
/// integrand φ of (5.17) (`StableNorm`), interpolated in the angle by a periodic cubic spline
/// (period π, since N is even). The minimum over images is taken over k ∈ {−1, 0, 1}² around the
/// minimum-image difference d ∈ [−½, ½]²: images further out are at least 1.5 away while N(d) ≤
/// max N · √2/2, so this is exact when max N / min N ≤ 1.5·√2 ≈ 2.12 over directions; `init`
/// refuses stronger anisotropy rather than return a wrong cost.
public struct FinslerTorusCost: PointCost {
    private let spline: PeriodicSpline

    public init(_ norm: StableNorm) throws {
        let roots = norm.phi.map { $0.squareRoot() }
        guard let lo = roots.min(), let hi = roots.max(), lo > 0, hi / lo <= 1.5 * 2.0.squareRoot() else {
            throw Transport.Unsupported(reason: "W_GH: the Gromov-Hausdorff norm is too anisotropic (max N / min N > 2.12) for the nine-image torus cost")
        }
        spline = PeriodicSpline(x: norm.angles + [norm.angles[0] + .pi], y: roots + [roots[0]])
    }

    /// N(v).
    public func norm(_ v1: Double, _ v2: Double) -> Double {
        let r = (v1 * v1 + v2 * v2).squareRoot()
        return r == 0 ? 0 : r * spline(atan2(v2, v1))
    }

    /// The cost matrix between the points of two torus measures (row-major, x by y).
    public func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        var c = [Double](repeating: 0, count: x.count * y.count)
        for i in 0..<x.count {
            for j in 0..<y.count {
                var d1 = y.points[2 * j] - x.points[2 * i], d2 = y.points[2 * j + 1] - x.points[2 * i + 1]
                d1 -= d1.rounded(); d2 -= d2.rounded()
                var best = Double.infinity
                for k1 in -1...1 { for k2 in -1...1 { best = min(best, norm(d1 + Double(k1), d2 + Double(k2))) } }
                c[i * y.count + j] = best * best
            }
        }
        return c
    }
}
