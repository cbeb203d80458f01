import Foundation

/// A Riemannian metric ⟨g(x) dz, dz⟩ on the unit torus of dimension d = 2 or 3 discretised as a
/// periodic graph: nodes j/n per axis, edges to every offset o ∈ Z^d with |o|∞ ≤ K and gcd(o) = 1,
/// each costing the Riemannian length ∫₀¹ √⟨g(x + t o/n) o/n, o/n⟩ dt of its straight segment
/// (cut where it crosses the grid lines, 2 Gauss–Legendre points per piece: exact for metrics
/// piecewise constant on the grid cells). Long stencils make it an anisotropic eikonal
/// discretisation with a polygonal error of order 1/(8K²) between stencil directions and none
/// along them (written here: no library on this machine computes anisotropic geodesic
/// distances). Used for the stable norm (`StableNorm`, 2D) and for the geodesic ground cost of W̄
/// with an x-dependent B̄ (`GeodesicTorusCost`, 2D and 3D).
public struct PeriodicMetricGraph: Sendable {
    public let nodes: Int
    public let dimension: Int
    /// The edge offsets, in lexicographic order.
    public let offsetVectors: [[Int]]
    /// cost[node · offsets + k]: the edge from `node` (row-major flat index) along offset k.
    public let cost: [Double]

    /// 2D: the offsets as pairs.
    public var offsets: [(Int, Int)] { offsetVectors.map { ($0[0], $0[1]) } }

    /// 2D: `metric(x1, x2)` returns g at points of the torus; it must be positive definite everywhere.
    /// With `threads` > 1 it is called from that many threads at once (see the general init).
    public init(nodes n: Int, reach: Int, threads: Int = 1, metric: ([Double], [Double]) -> [Matrix2]) throws {
        try self.init(nodes: n, reach: reach, dimension: 2, threads: threads) { points, u in
            let b = metric(points[0], points[1])
            return try b.indices.map { i in
                let form = b[i].quadraticForm(u[0], u[1])
                guard b[i].isPositiveDefinite, form.isFinite, form > 0 else {
                    throw StableNorm.Failure.degenerateMedium(
                        "[medium] B is not positive definite at y = (\(points[0][i]), \(points[1][i])): B = \(b[i]); "
                        + "the Gromov-Hausdorff (eikonal) metric needs B symmetric positive definite everywhere")
                }
                return form.squareRoot()
            }
        }
    }

    /// Any d: `speed(points, u)` returns √⟨g(x) u, u⟩ at the points (columns x1 … xd) for the
    /// step u, throwing where g is not positive definite. The offsets' costs are independent and
    /// are computed on `threads` threads (each offset by one thread, so the costs do not depend on
    /// the count); with more than one, `speed` must be safe to call concurrently (a pure function
    /// of its arguments, as B̄⁻¹'s interpolation is; a scenario's expression tapes are not).
    public init(nodes n: Int, reach: Int, dimension d: Int, threads: Int = 1,
                speed: (_ points: [[Double]], _ u: [Double]) throws -> [Double]) throws {
        precondition((2...3).contains(d))
        self.nodes = n
        self.dimension = d
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        var offsets: [[Int]] = [[]]
        for _ in 0..<d { offsets = offsets.flatMap { o in (-reach...reach).map { o + [$0] } } }
        offsets = offsets.filter { $0.reduce(0, gcd) == 1 }
        // Edge costs per torus node and offset: the segment is cut where it crosses the grid lines
        // (so media piecewise constant on the grid cells are integrated exactly), 2 Gauss–Legendre
        // points per piece. The pieces are the same for every node; one offset at a time.
        let gl = GaussLegendre(points: 2)
        var count = 1
        for _ in 0..<d { count *= n }
        let m = offsets.count
        let costs = UnsafeMutableBufferPointer<Double>.allocate(capacity: count * m)
        defer { costs.deallocate() }
        costs.initialize(repeating: 0)
        nonisolated(unsafe) let out = costs
        // Failures by offset: the first in offset order is the one a single thread meets first.
        nonisolated(unsafe) let failed = UnsafeMutableBufferPointer<Error?>.allocate(capacity: m)
        defer { _ = failed.deinitialize(); failed.deallocate() }
        failed.initialize(repeating: nil)
        try withoutActuallyEscaping(speed) { speed in
            func offsetCosts(_ k: Int, _ o: [Int]) throws {
                var cuts: Set<Double> = [0, 1]
                for a in 0..<d { for j in 1..<max(abs(o[a]), 1) { cuts.insert(Double(j) / Double(abs(o[a]))) } }
                let t = cuts.sorted()
                var nodesT: [Double] = [], weights: [Double] = []
                for (a, b) in zip(t.dropLast(), t.dropFirst()) {
                    for (x, w) in zip(gl.nodes, gl.weights) { nodesT.append(a + (b - a) * x); weights.append((b - a) * w) }
                }
                let q = nodesT.count
                var points = [[Double]](repeating: [Double](repeating: 0, count: count * q), count: d)
                for i in 0..<count {
                    var rest = i
                    for a in stride(from: d - 1, through: 0, by: -1) {
                        let x = Double(rest % n) / Double(n)
                        rest /= n
                        for j in 0..<q { points[a][i * q + j] = Torus.wrap(x + nodesT[j] * Double(o[a]) / Double(n)) }
                    }
                }
                let speeds = try speed(points, o.map { Double($0) / Double(n) })
                for i in 0..<count {
                    var sum = 0.0
                    for j in 0..<q { sum += weights[j] * speeds[i * q + j] }
                    out[i * m + k] = sum
                }
            }
            if threads <= 1 {
                for (k, o) in offsets.enumerated() { try offsetCosts(k, o) }
            } else {
                nonisolated(unsafe) let work = offsetCosts
                let workers = min(threads, m)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for k in stride(from: w, to: m, by: workers) {
                        do { try work(k, offsets[k]) } catch { failed[k] = error }
                    }
                }
                if let first = failed.compactMap({ $0 }).first { throw first }
            }
        }
        self.offsetVectors = offsets
        self.cost = Array(costs)
    }

    /// Geodesic distances on the torus from node `source` (row-major flat index) to every node (Dijkstra).
    /// A node at least `reach` from every face of the index box reaches its neighbours by a fixed
    /// flat offset per edge; only the others wrap, coordinate by coordinate (the same targets, in
    /// the same order, as wrapping every coordinate: the distances are unchanged to the bit).
    public func distances(from source: Int) -> [Double] {
        let n = nodes, m = offsetVectors.count, d = dimension
        var count = 1
        for _ in 0..<d { count *= n }
        var dist = [Double](repeating: .infinity, count: count)
        var heap = MinHeap()
        dist[source] = 0
        heap.push(0, source)
        let flat = offsetVectors.flatMap { $0 }
        let reach = flat.map(abs).max() ?? 0
        // The flat offset of each edge for a node that does not wrap.
        let delta = offsetVectors.map { o in o.reduce(0) { $0 * n + $1 } }
        // One correction wraps an index when |o| ≤ n; a stencil longer than the period needs the remainder.
        let short = reach <= n
        @inline(__always) func wrap(_ j: Int) -> Int {
            if short { return j >= n ? j - n : (j < 0 ? j + n : j) }
            let r = j % n
            return r < 0 ? r + n : r
        }
        cost.withUnsafeBufferPointer { c in
            flat.withUnsafeBufferPointer { f in
                delta.withUnsafeBufferPointer { delta in
                    dist.withUnsafeMutableBufferPointer { dd in
                        while let (dv, node) = heap.pop() {
                            if dv > dd[node] { continue }
                            var index = (0, 0, 0)
                            if d == 2 { index = (node / n, node % n, 0) } else { index = (node / (n * n), (node / n) % n, node % n) }
                            let interior = index.0 >= reach && index.0 < n - reach && index.1 >= reach && index.1 < n - reach
                                && (d == 2 || (index.2 >= reach && index.2 < n - reach))
                            let edges = c.baseAddress! + node * m
                            for k in 0..<m {
                                let target: Int
                                if interior {
                                    target = node + delta[k]
                                } else if d == 2 {
                                    target = wrap(index.0 + f[2 * k]) * n + wrap(index.1 + f[2 * k + 1])
                                } else {
                                    target = (wrap(index.0 + f[3 * k]) * n + wrap(index.1 + f[3 * k + 1])) * n + wrap(index.2 + f[3 * k + 2])
                                }
                                let nd = dv + edges[k]
                                if nd < dd[target] { dd[target] = nd; heap.push(nd, target) }
                            }
                        }
                    }
                }
            }
        }
        return dist
    }
}
