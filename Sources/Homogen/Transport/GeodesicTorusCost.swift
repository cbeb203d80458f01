import Dispatch
import Foundation

/// The ground cost of W̄ in 2D when B̄ depends on x (the oscillatory case π^I): c(x, y) = d̄(x, y)²,
/// d̄ the geodesic distance of the Riemannian metric ⟨B̄(x) dz, dz⟩ on the torus, between the
/// centres of an m × m grid of cells (the coarse measures of `compare`). d̄ comes from Dijkstra on
/// a `PeriodicMetricGraph` with 8 nodes per coarse cell (so the centres are nodes) and stencil reach
/// 6 (polygonal error below 0.4 % in distance), one source per centre: m² runs on 64 m² nodes,
/// affordable for the coarse grids of `compare` (m = 16: about 2 s on 2 threads).
public struct GeodesicTorusCost: Sendable, PointCost {
    public let cells: Int
    /// Squared distances between cell centres, (i·m + j) by (k·m + l).
    public let squared: [Double]

    /// `inverseMetric(x)` gives B̄⁻¹ at x (as `EffectiveCoefficients.bBarInverse` interpolates it).
    /// The m² Dijkstra runs are independent and run on `threads` threads (each fills its own rows).
    public init(cells m: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                inverseMetric: ([Double]) -> Matrix2) throws {
        let perCell = 8, n = m * perCell
        let graph = try PeriodicMetricGraph(nodes: n, reach: 6) { x1, x2 in
            zip(x1, x2).map { inverseMetric([$0, $1]).inverse }
        }
        let centres = (0..<(m * m)).map { c in (c / m * perCell + perCell / 2) * n + (c % m * perCell + perCell / 2) }
        let rows = UnsafeMutableBufferPointer<Double>.allocate(capacity: m * m * m * m)
        defer { rows.deallocate() }
        nonisolated(unsafe) let d = rows
        let workers = max(1, min(threads, centres.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for a in stride(from: w, to: centres.count, by: workers) {
                let dist = graph.distances(from: centres[a])
                for (b, target) in centres.enumerated() { d[a * m * m + b] = dist[target] * dist[target] }
            }
        }
        cells = m
        squared = Array(rows)
    }

    private func centre(_ x: Double, _ y: Double) -> Int {
        let m = Double(cells)
        return Int((Torus.wrap(x) * m).rounded(.down)) % cells * cells + Int((Torus.wrap(y) * m).rounded(.down)) % cells
    }

    /// c between measures on the cell centres of the same grid: the squared geodesic distances
    /// between their cells.
    public func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        let mm = cells * cells
        var c = [Double](repeating: 0, count: x.count * y.count)
        for i in 0..<x.count {
            let a = centre(x.points[2 * i], x.points[2 * i + 1])
            for j in 0..<y.count { c[i * y.count + j] = squared[a * mm + centre(y.points[2 * j], y.points[2 * j + 1])] }
        }
        return c
    }
}
