import Foundation

/// A Riemannian metric ⟨g(x) dz, dz⟩ on the unit torus discretised as a periodic graph: nodes
/// j/n per axis, edges to every offset d ∈ Z² with |d|∞ ≤ K and gcd(d) = 1, each costing the
/// Riemannian length ∫₀¹ √⟨g(x + t d/n) d/n, d/n⟩ dt of its straight segment (cut where it crosses
/// the grid lines, 2 Gauss–Legendre points per piece: exact for metrics piecewise constant on the
/// grid cells). Long stencils make it an anisotropic eikonal discretisation with a polygonal error
/// of order 1/(8K²) between stencil directions and none along them (written here: no library on
/// this machine computes anisotropic geodesic distances). Used for the stable norm (`StableNorm`)
/// and for the geodesic ground cost of W̄ with an x-dependent B̄.
public struct PeriodicMetricGraph: Sendable {
    public let nodes: Int
    public let offsets: [(Int, Int)]
    /// cost[(i1·n + i2)·offsets.count + k]: the edge from node (i1, i2) along offsets[k].
    public let cost: [Double]

    /// `metric(x1, x2)` returns g at points of the torus; it must be positive definite everywhere.
    public init(nodes n: Int, reach: Int, metric: ([Double], [Double]) -> [Matrix2]) throws {
        self.nodes = n
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        var offsets: [(Int, Int)] = []
        for d1 in -reach...reach { for d2 in -reach...reach where gcd(d1, d2) == 1 { offsets.append((d1, d2)) } }
        // Edge costs per torus node and offset: the segment is cut where it crosses the grid lines
        // (so media piecewise constant on the grid cells are integrated exactly), 2 Gauss–Legendre
        // points per piece. The pieces are the same for every node; one offset at a time.
        let gl = GaussLegendre(points: 2)
        let count = n * n, m = offsets.count
        var cost = [Double](repeating: 0, count: count * m)
        for (k, d) in offsets.enumerated() {
            var cuts: Set<Double> = [0, 1]
            for j in 1..<max(abs(d.0), 1) { cuts.insert(Double(j) / Double(abs(d.0))) }
            for j in 1..<max(abs(d.1), 1) { cuts.insert(Double(j) / Double(abs(d.1))) }
            let t = cuts.sorted()
            var nodesT: [Double] = [], weights: [Double] = []
            for (a, b) in zip(t.dropLast(), t.dropFirst()) {
                for (x, w) in zip(gl.nodes, gl.weights) { nodesT.append(a + (b - a) * x); weights.append((b - a) * w) }
            }
            let q = nodesT.count
            var y1 = [Double](repeating: 0, count: count * q), y2 = y1
            for i in 0..<count {
                let x1 = Double(i / n) / Double(n), x2 = Double(i % n) / Double(n)
                for j in 0..<q {
                    y1[i * q + j] = Torus.wrap(x1 + nodesT[j] * Double(d.0) / Double(n))
                    y2[i * q + j] = Torus.wrap(x2 + nodesT[j] * Double(d.1) / Double(n))
                }
            }
            let bValues = metric(y1, y2)
            let u1 = Double(d.0) / Double(n), u2 = Double(d.1) / Double(n)
            for i in 0..<count {
                var sum = 0.0
                for j in 0..<q {
                    let b = bValues[i * q + j]
                    let form = b.quadraticForm(u1, u2)
                    guard b.isPositiveDefinite, form.isFinite, form > 0 else {
                        throw StableNorm.Failure.degenerateMedium(
                            "[medium] B is not positive definite at y = (\(y1[i * q + j]), \(y2[i * q + j])): B = \(b); "
                            + "the Gromov-Hausdorff (eikonal) metric needs B symmetric positive definite everywhere")
                    }
                    sum += weights[j] * form.squareRoot()
                }
                cost[i * m + k] = sum
            }
        }
        self.offsets = offsets
        self.cost = cost
    }

    /// Geodesic distances on the torus from node `source` (flat index i1·n + i2) to every node (Dijkstra).
    public func distances(from source: Int) -> [Double] {
        let n = nodes, m = offsets.count
        var dist = [Double](repeating: .infinity, count: n * n)
        var heap = MinHeap()
        dist[source] = 0
        heap.push(0, source)
        cost.withUnsafeBufferPointer { c in
            dist.withUnsafeMutableBufferPointer { dd in
                while let (dv, node) = heap.pop() {
                    if dv > dd[node] { continue }
                    let i1 = node / n, i2 = node % n
                    for k in 0..<m {
                        var j1 = (i1 + offsets[k].0) % n, j2 = (i2 + offsets[k].1) % n
                        if j1 < 0 { j1 += n }
                        if j2 < 0 { j2 += n }
                        let target = j1 * n + j2
                        let nd = dv + c[node * m + k]
                        if nd < dd[target] { dd[target] = nd; heap.push(nd, target) }
                    }
                }
            }
        }
        return dist
    }
}
