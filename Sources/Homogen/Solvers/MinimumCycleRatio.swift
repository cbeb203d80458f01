import Foundation

/// The minimum cycle ratio of a periodic metric graph for a covector ξ,
///
///     λ*(ξ) = min { len(c) / ξ·[c] : c a cycle of the torus graph with ξ·[c] > 0 },
///
/// [c] ∈ Z^d the cycle's homology class (its offsets summed, in periods). For the graph's stable
/// norm N_G (N_G(p) = lim d(0, k p)/k), λ*(ξ) = min_{ξ·v = 1} N_G(v) = 1/N_G*(ξ), and an optimal
/// cycle c touches N_G's unit sphere at [c]/len(c): N_G([c]) = len(c) (iterating c bounds N_G([c])
/// above by len(c), and λ* bounds it below by ξ·[c] λ* = len(c)). This is exact for the graph, to
/// round-off: no limit is taken and no window of sheets averaged.
///
/// Method: Howard's policy iteration for the minimum cycle ratio (Cochet-Terrasson, Cohen, Gaubert,
/// McGettrick and Quadrat 1998; Dasdan, ACM TODAES 9, 2004). Written here: LEMON's minimum mean
/// cycle classes take a cost per arc but no transit time, and the transit ξ·o/n here is signed.
/// A policy picks one arc per node; each cycle of the policy graph has a ratio η and each node the
/// ratio of the cycle it reaches, with potentials x (x = 0 at a cycle's head, x(u) = len − η t +
/// x(next)). A node switches to an arc reaching a smaller η, or, at equal η, to one that lowers
/// len − η t + x(next) below x(u). The first policy takes at each node the arc of largest t/len
/// (t > 0), so its cycles have ξ·[c] > 0; a switch never closes a cycle with ξ·[c] ≤ 0 (a new cycle
/// has len − η ξ·[c] < 0 with len > 0 and η > 0). At the fixed point every node has η = λ*.
///
/// The cone. An optimal policy's arcs point near ξ (within 18° everywhere on oscillatory-2d's
/// medium, of 360° of offsets), so each improvement scans first the arcs within `coneMargin` of the
/// widest angle the current policy's arcs make with ξ; only where those offer no improvement is
/// every arc scanned, and an improvement found there is taken and widens the cone. The fixed point
/// is thus the whole graph's, whatever the margin (it sets the cost: 2D `effective` on
/// oscillatory-2d's medium spends a third of its former time here).
public struct MinimumCycleRatio {
    public struct Cycle: Sendable {
        /// λ*(ξ) = len / ξ·[c].
        public let ratio: Double
        /// The cycle's homology class [c] ∈ Z^d.
        public let homologyClass: [Int]
        /// Its length (in the metric's units; the torus has period 1).
        public let length: Double
        /// Policy iterations used.
        public let iterations: Int
        /// Scans of every arc that found an improving one outside the cone (each widened it).
        public let widenings: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case noConvergence(Int)
        public var description: String {
            switch self {
            case .noConvergence(let k):
                return "gh: the minimum cycle ratio did not converge in \(k) policy iterations (round-off cycling)"
            }
        }
    }

    public let graph: PeriodicMetricGraph
    /// The cone's margin beyond the policy's widest arc (radians).
    public let coneMargin: Double
    /// |o| per offset.
    private let offsetLengths: [Double]
    /// target[node · offsets + k]: the node reached from `node` along offset k.
    private let target: [Int32]
    private let nodeCount: Int
    /// Tolerance on potentials: 1e-10 of the mean arc length (potentials sum up to a node count of
    /// arcs, so their round-off is far above the arcs').
    private let tolerance: Double

    /// `coneMargin`: how far beyond its policy's widest arc an iteration looks first (any value
    /// gives the same fixed point; it only sets the cost).
    public init(_ graph: PeriodicMetricGraph, coneMargin: Double = .pi / 12) {
        self.graph = graph
        self.coneMargin = coneMargin
        let n = graph.nodes, d = graph.dimension, m = graph.offsetVectors.count
        var count = 1
        for _ in 0..<d { count *= n }
        nodeCount = count
        var target = [Int32](repeating: 0, count: count * m)
        for node in 0..<count {
            var index = [Int](repeating: 0, count: d), rest = node
            for a in stride(from: d - 1, through: 0, by: -1) { index[a] = rest % n; rest /= n }
            for (k, o) in graph.offsetVectors.enumerated() {
                var flat = 0
                for a in 0..<d { flat = flat * n + ((index[a] + o[a]) % n + n) % n }
                target[node * m + k] = Int32(flat)
            }
        }
        self.target = target
        offsetLengths = graph.offsetVectors.map { o in o.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot() }
        tolerance = 1e-10 * graph.cost.reduce(0, +) / Double(graph.cost.count)
    }

    /// λ*(ξ) and an optimal cycle, for a covector ξ ≠ 0 (any real entries). `policy` may hold the
    /// final policy of a nearby covector (it starts the iteration there, which saves most of its
    /// iterations) and returns this one's.
    public func minimum(_ xi: [Double], policy warm: inout [Int32]) throws -> Cycle {
        let n = graph.nodes, m = graph.offsetVectors.count, count = nodeCount
        precondition(xi.count == graph.dimension)
        let transit = graph.offsetVectors.map { o in zip(o, xi).reduce(0.0) { $0 + Double($1.0) * $1.1 } / Double(n) }
        let cost = graph.cost
        // The arcs' cosines with ξ; the cone of a policy: the arcs within `coneMargin` of the
        // widest angle its own arcs make with ξ.
        let xiNorm = xi.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        let cosine = (0..<m).map { transit[$0] * Double(n) / (offsetLengths[$0] * xiNorm) }
        func arcs(around policy: [Int32]) -> [Int] {
            var smallest = 1.0
            for k in policy { smallest = min(smallest, cosine[Int(k)]) }
            let cut = cos(min(.pi, acos(max(-1, smallest)) + coneMargin))
            return (0..<m).filter { cosine[$0] >= cut }
        }
        // The first policy: the arc of largest transit per length, among t > 0.
        func greedy(_ u: Int) -> Int32 {
            var best = 0.0, arc: Int32 = -1
            for k in 0..<m where transit[k] > 0 {
                let r = transit[k] / cost[u * m + k]
                if r > best { best = r; arc = Int32(k) }
            }
            precondition(arc >= 0, "a nonzero covector has an offset with positive transit")
            return arc
        }
        var state = [UInt8](repeating: 0, count: count)
        var position = [Int](repeating: 0, count: count)
        var path: [Int] = []
        path.reserveCapacity(count)
        // A warm policy is kept except on its cycles with ξ·[c] ≤ 0, whose nodes take the first
        // policy's arcs, until no such cycle remains (the first policy has none).
        var policy = warm.count == count ? warm : (0..<count).map(greedy)
        // Follows the policy from u through unvisited nodes (marked 1, recorded in `path`); returns
        // where a new cycle starts in `path`, or nil where the walk met a node already done (2).
        func walk(_ u: Int) -> Int? {
            path.removeAll(keepingCapacity: true)
            var v = u
            while state[v] == 0 {
                state[v] = 1; position[v] = path.count; path.append(v)
                v = Int(target[v * m + Int(policy[v])])
            }
            return state[v] == 1 ? position[v] : nil
        }
        if warm.count == count {
            var repaired = true
            while repaired {
                repaired = false
                for i in 0..<count { state[i] = 0 }
                for u in 0..<count where state[u] == 0 {
                    if let from = walk(u) {
                        let cycle = path[from...]
                        if cycle.reduce(0.0, { $0 + transit[Int(policy[$1])] }) <= 0 {
                            for w in cycle { policy[w] = greedy(w) }
                            repaired = true
                        }
                    }
                    for w in path { state[w] = 2 }
                }
            }
        }
        var eta = [Double](repeating: 0, count: count), x = [Double](repeating: 0, count: count)
        // Improvement: a smaller η first; at equal η, a smaller potential; over the arcs listed
        // (ascending, so that ties break as in a scan of every arc).
        func improve(_ arcs: [Int]) -> Bool {
            var changed = false
            let tolerance = self.tolerance
            cost.withUnsafeBufferPointer { c in
                target.withUnsafeBufferPointer { tg in
                    transit.withUnsafeBufferPointer { tr in
                        eta.withUnsafeBufferPointer { eta in
                            x.withUnsafeBufferPointer { x in
                                arcs.withUnsafeBufferPointer { arcs in
                                    policy.withUnsafeMutableBufferPointer { policy in
                                        for u in 0..<count {
                                            let base = u * m, own = eta[u], equal = 1e-12 * own
                                            var bestEta = own - equal, etaK = -1, bestValue = x[u] - tolerance, valueK = -1
                                            for k in arcs {
                                                let v = Int(tg[base + k]), e = eta[v]
                                                if e < bestEta {
                                                    bestEta = e; etaK = k
                                                } else if etaK < 0, e <= own + equal {
                                                    let value = c[base + k] - own * tr[k] + x[v]
                                                    if value < bestValue { bestValue = value; valueK = k }
                                                }
                                            }
                                            if etaK >= 0 {
                                                policy[u] = Int32(etaK); changed = true
                                            } else if valueK >= 0 {
                                                policy[u] = Int32(valueK); changed = true
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return changed
        }
        let everyArc = Array(0..<m)
        var cone = arcs(around: policy), widenings = 0
        let limit = 2000
        for iteration in 1...limit {
            // Evaluation: each node's cycle ratio η and potential x.
            for i in 0..<count { state[i] = 0 }
            var bestRatio = Double.infinity, bestHead = -1
            for u in 0..<count where state[u] == 0 {
                let from = walk(u)
                var end = path.count
                if let from {
                    // A new cycle path[from...]; its head (x = 0) is its smallest node, so that an
                    // unchanged cycle keeps its potentials from one iteration to the next.
                    var len = 0.0, t = 0.0, head = path[from]
                    for w in path[from...] {
                        let k = Int(policy[w]); len += cost[w * m + k]; t += transit[k]
                        head = min(head, w)
                    }
                    let r = t > 0 ? len / t : .infinity
                    let cycleLength = path.count - from, shift = position[head] - from
                    eta[head] = r; x[head] = 0; state[head] = 2
                    for j in stride(from: cycleLength - 1, to: 0, by: -1) {
                        let w = path[from + (shift + j) % cycleLength], k = Int(policy[w]), next = Int(target[w * m + k])
                        eta[w] = r; x[w] = cost[w * m + k] - r * transit[k] + x[next]; state[w] = 2
                    }
                    if r < bestRatio { bestRatio = r; bestHead = head }
                    end = from
                }
                for i in stride(from: end - 1, through: 0, by: -1) {
                    let w = path[i], k = Int(policy[w]), next = Int(target[w * m + k])
                    eta[w] = eta[next]; x[w] = cost[w * m + k] - eta[w] * transit[k] + x[next]; state[w] = 2
                }
            }
            // Improvement over the cone's arcs; where they offer none, over every arc (the fixed
            // point must be the whole graph's). A change found there widens the cone.
            var changed = improve(cone)
            if !changed && cone.count < m {
                changed = improve(everyArc)
                if changed { cone = arcs(around: policy); widenings += 1 }
            }
            if !changed {
                // The optimal cycle: its class and length.
                var sum = [Int](repeating: 0, count: graph.dimension), len = 0.0
                var w = bestHead
                repeat {
                    let k = Int(policy[w])
                    for a in 0..<graph.dimension { sum[a] += graph.offsetVectors[k][a] }
                    len += cost[w * m + k]
                    w = Int(target[w * m + k])
                } while w != bestHead
                warm = policy
                return Cycle(ratio: bestRatio, homologyClass: sum.map { $0 / n }, length: len, iterations: iteration, widenings: widenings)
            }
        }
        throw Failure.noConvergence(limit)
    }
}
