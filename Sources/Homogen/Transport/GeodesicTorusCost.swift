import Dispatch
import Foundation

/// The ground cost of W̄ when B̄ depends on x (the oscillatory case π^I): c(x, y) = d̄(x, y)², d̄ the
/// geodesic distance of the Riemannian metric ⟨B̄(x) dz, dz⟩ on the torus, between the centres of
/// an m^d grid of cells (the coarse measures of `compare`). d̄ comes from Dijkstra on a
/// `PeriodicMetricGraph`, one source per centre:
/// - 2D: 8 nodes per coarse cell (so the centres are nodes) and stencil reach 6 (polygonal error
///   below 0.4 % in distance): m² runs on 64 m² nodes (m = 16, `oscillatory-2d`: 3.4 s on 2
///   threads, with the edge costs — 16 384 nodes × 96 offsets × up to 20 quadrature points of
///   B̄⁻¹ — computed on every thread; 8.7 s when they took one, session 20);
/// - 3D: 2 nodes per coarse cell and reach 3 (290 edge directions; polygonal error of order
///   1/(8·3²), about 1.4 %): m³ runs on 8 m³ nodes (m = 8: 512 runs on 16³ nodes).
public struct GeodesicTorusCost: Sendable, PointCost {
    public let cells: Int
    public let dimension: Int
    /// Squared distances between cell centres, row-major cell index by row-major cell index.
    public let squared: [Double]

    /// 2D: `inverseMetric(x)` gives B̄⁻¹ at x (as `EffectiveCoefficients.bBarInverse` interpolates it).
    /// The m² Dijkstra runs are independent and run on `threads` threads (each fills its own rows),
    /// and so do the graph's edge costs: `inverseMetric` is called from `threads` threads at once
    /// and must be a pure function of x (as `EffectiveCoefficients.bBarInverse` is).
    public init(cells m: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                inverseMetric: ([Double]) -> Matrix2) throws {
        let graph = try PeriodicMetricGraph(nodes: m * 8, reach: 6, threads: threads) { x1, x2 in
            zip(x1, x2).map { inverseMetric([$0, $1]).inverse }
        }
        self.init(graph: graph, cells: m, perCell: 8, threads: threads)
    }

    /// 3D: `inverseMetric(x)` gives B̄⁻¹ at x, row-major 3×3; the metric is its inverse (adjugate).
    /// Threads as in 2D (`inverseMetric` must be a pure function of x).
    public init(cells3D m: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                inverseMetric: ([Double]) -> [Double]) throws {
        let graph = try PeriodicMetricGraph(nodes: m * 2, reach: 3, dimension: 3, threads: threads) { points, u in
            try (0..<points[0].count).map { i in
                let a = inverseMetric([points[0][i], points[1][i], points[2][i]])
                // ⟨B̄ u, u⟩ = ⟨adj(B̄⁻¹) u, u⟩ / det(B̄⁻¹).
                let c11 = a[4] * a[8] - a[5] * a[7], c12 = a[2] * a[7] - a[1] * a[8], c13 = a[1] * a[5] - a[2] * a[4]
                let c22 = a[0] * a[8] - a[2] * a[6], c23 = a[2] * a[3] - a[0] * a[5], c33 = a[0] * a[4] - a[1] * a[3]
                let det = a[0] * c11 + a[1] * (a[5] * a[6] - a[3] * a[8]) + a[2] * (a[3] * a[7] - a[4] * a[6])
                let form = (c11 * u[0] * u[0] + c22 * u[1] * u[1] + c33 * u[2] * u[2]
                            + 2 * (c12 * u[0] * u[1] + c13 * u[0] * u[2] + c23 * u[1] * u[2])) / det
                guard det > 0, form > 0, form.isFinite else {
                    throw SolverError.badMedium("B_bar^-1 is not positive definite at x = (\(points[0][i]), \(points[1][i]), \(points[2][i])): \(a)")
                }
                return form.squareRoot()
            }
        }
        self.init(graph: graph, cells: m, perCell: 2, threads: threads)
    }

    private init(graph: PeriodicMetricGraph, cells m: Int, perCell: Int, threads: Int) {
        let d = graph.dimension, n = graph.nodes
        let dim = TorusDimension(rawValue: d)!
        let count = dim.cells(perAxis: m)
        // The node at the centre of each coarse cell.
        let centres = (0..<count).map { c in dim.flatIndex(dim.indices(ofCell: c, perAxis: m).map { $0 * perCell + perCell / 2 }, perAxis: n) }
        let rows = UnsafeMutableBufferPointer<Double>.allocate(capacity: count * count)
        defer { rows.deallocate() }
        nonisolated(unsafe) let out = rows
        let workers = max(1, min(threads, centres.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for a in stride(from: w, to: centres.count, by: workers) {
                let dist = graph.distances(from: centres[a])
                for (b, target) in centres.enumerated() { out[a * count + b] = dist[target] * dist[target] }
            }
        }
        cells = m
        dimension = d
        squared = Array(rows)
    }

    /// The coarse cell of a point (row-major).
    private func cell(_ p: ArraySlice<Double>) -> Int {
        let m = Double(cells)
        return p.reduce(0) { $0 * cells + Int((Torus.wrap($1) * m).rounded(.down)) % cells }
    }

    /// c between measures on the cell centres of the same grid: the squared geodesic distances
    /// between their cells.
    public func matrix(_ x: TorusMeasure, _ y: TorusMeasure) -> [Double] {
        let d = dimension, count = TorusDimension(rawValue: d)!.cells(perAxis: cells)
        var c = [Double](repeating: 0, count: x.count * y.count)
        let targets = (0..<y.count).map { cell(y.points[(d * $0)..<(d * $0 + d)]) }
        for i in 0..<x.count {
            let a = cell(x.points[(d * i)..<(d * i + d)])
            for j in 0..<y.count { c[i * y.count + j] = squared[a * count + targets[j]] }
        }
        return c
    }
}
