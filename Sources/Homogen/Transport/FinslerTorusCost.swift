import Foundation

/// The ground cost of W_GH: the squared distance of the flat Finsler torus with norm N,
/// c(x, y) = min_{k ∈ Z^d} N(y − x + k)², from the Gromov–Hausdorff integrand φ = N² of (5.17).
///
/// - 2D (`StableNorm`): N is the gauge of the stable norm's unit polygon. The minimum over images
///   is taken over k ∈ {−1, 0, 1}²
///   around the minimum-image difference d ∈ [−½, ½]²: images further out are at least 1.5 away
///   while N(d) ≤ max N · √2/2, so this is exact when max N / min N ≤ 1.5·√2 ≈ 2.12 over directions.
/// - 3D (`StableNorm3D`): N from its table, k ∈ {−1, 0, 1}³ around d ∈ [−½, ½]³, exact when
///   max N / min N ≤ 1.5/(√3/2) = √3.
///
/// `init` refuses stronger anisotropy rather than return a wrong cost.
public struct FinslerTorusCost: PointCost {
    private let norm2: StableNorm?
    private let norm3: StableNorm3D?

    public init(_ norm: StableNorm) throws {
        let range = norm.unitRange
        guard range.min > 0, range.max / range.min <= 1.5 * 2.0.squareRoot() else {
            throw Transport.Unsupported(reason: "W_GH: the Gromov-Hausdorff norm is too anisotropic (max N / min N > 2.12) for the nine-image torus cost")
        }
        norm2 = norm
        norm3 = nil
    }

    /// 3D; the anisotropy is checked at the directions of the table's face grid (16 per face side).
    public init(_ norm: StableNorm3D) throws {
        var lo = Double.infinity, hi = 0.0
        for a in 0..<3 { for i in 0...16 { for j in 0...16 {
            var v = [0.0, 0.0, 0.0]
            v[a] = 1
            v[(a + 1) % 3] = -1 + Double(i) / 8
            v[(a + 2) % 3] = -1 + Double(j) / 8
            let r = norm.norm(v) / (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot()
            lo = min(lo, r); hi = max(hi, r)
        } } }
        guard lo > 0, hi / lo <= 3.0.squareRoot() else {
            throw Transport.Unsupported(reason: "W_GH: the Gromov-Hausdorff norm is too anisotropic (max N / min N > 1.73) for the 27-image torus cost")
        }
        norm2 = nil
        norm3 = norm
    }

    /// N(v).
    public func norm(_ v1: Double, _ v2: Double) -> Double { norm2!.norm(v1, v2) }

    /// The cost matrix between the points of two torus measures (row-major, x by y).
    public func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        var c = [Double](repeating: 0, count: x.count * y.count)
        if let norm3 {
            precondition(x.dimension == 3 && y.dimension == 3, "FinslerTorusCost: a 3D norm takes 3D points")
            for i in 0..<x.count {
                for j in 0..<y.count {
                    var d0 = y.points[3 * j] - x.points[3 * i], d1 = y.points[3 * j + 1] - x.points[3 * i + 1]
                    var d2 = y.points[3 * j + 2] - x.points[3 * i + 2]
                    d0 -= d0.rounded(); d1 -= d1.rounded(); d2 -= d2.rounded()
                    var best = Double.infinity
                    for k1 in -1...1 { for k2 in -1...1 { for k3 in -1...1 {
                        best = min(best, norm3.norm(d0 + Double(k1), d1 + Double(k2), d2 + Double(k3)))
                    } } }
                    c[i * y.count + j] = dyadicCost(best * best)
                }
            }
            return c
        }
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
