import Foundation

/// Per element of an R × R × R periodic grid of the unit cell, the moments of a symmetric 3×3
/// tensor T(y) against products of an element's local profiles P_l (reference cube [0, 1]³,
/// weights summing to 1):
///
///     m[l][l'] = ∫ T_{dir(l) dir(l')}(t) P_l(t) P_l'(t) dt,
///
/// stored as the packed upper triangle (`SymmetricIndex(n)` order, n(n+1)/2 numbers per
/// element). The local values of the two 3D cell problems are the gradient components along
/// the 12 edges of a Q1 element (`TrilinearCellProblem`, n = 12: 78 moments) and the normal
/// fluxes through the 6 faces of a Raviart–Thomas element (`RaviartThomasCellProblem`, n = 6:
/// 21 moments); their energies ∫_K ⟨T v, v⟩ are exactly h³ Σ v_l m[l][l'] v_l'.
///
/// The moments are computed by tensor Gauss–Legendre quadrature with q points per axis: exact
/// for T polynomial of degree ≤ 2q − 3 per axis on each element (so for media piecewise constant
/// on the elements), of order h^{2q} for smooth media. T is evaluated one x1-slab of elements at
/// a time, the slabs shared over the cores (each slab's moments are its own, so the result does
/// not depend on the core count).
struct ElementMoments3D {
    let resolution: Int
    /// Local values per element (n).
    let local: Int
    /// n(n+1)/2 moments per element, element (e1, e2, e3) at ((e1·R + e2)·R + e3).
    let values: [Double]
    /// The cell average of T (upper order): the reference tensor of the Green preconditioners.
    let average: SymmetricMatrix

    /// `directions[l]` is the axis (0, 1, 2) of local value l; `profile(l, t)` its profile at
    /// the reference point t. `tensor()` makes one evaluator per core; an evaluator maps columns
    /// (y1, y2, y3) to 6 numbers per point in `SymmetricIndex(3)` order.
    init(resolution r: Int, directions: [Int], quadraturePoints q: Int = 3,
         profile: (Int, (Double, Double, Double)) -> Double,
         tensor: () -> (([Double], [Double], [Double]) throws -> [Double])) throws {
        resolution = r
        let n = directions.count
        local = n
        let packed = n * (n + 1) / 2
        let rule = GaussLegendre(points: q)
        let h = 1 / Double(r)
        // Per quadrature point of the reference cube: its weight and the products of profiles.
        var weights: [Double] = [], products: [[Double]] = [], offsets: [(Double, Double, Double)] = []
        let entry = SymmetricIndex(3)
        var pairs: [Int] = []
        for l in 0..<n { for l2 in l..<n { pairs.append(entry.upper(directions[l], directions[l2])) } }
        for a in 0..<q {
            for b in 0..<q {
                for c in 0..<q {
                    let t = (rule.nodes[a], rule.nodes[b], rule.nodes[c])
                    weights.append(rule.weights[a] * rule.weights[b] * rule.weights[c])
                    offsets.append(t)
                    let p = (0..<n).map { profile($0, t) }
                    var row: [Double] = []
                    for l in 0..<n { for l2 in l..<n { row.append(p[l] * p[l2]) } }
                    products.append(row)
                }
            }
        }
        let perElement = weights.count
        var m = [Double](repeating: 0, count: r * r * r * packed)
        var sums = [[Double]](repeating: [Double](repeating: 0, count: 6), count: r)
        var failure: Error?
        let lock = NSLock()
        let chunks = min(r, 2 * ProcessInfo.processInfo.activeProcessorCount)
        m.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let evaluate = tensor()
                var y1 = [Double](repeating: 0, count: r * r * perElement), y2 = y1, y3 = y1
                for e1 in stride(from: chunk, to: r, by: chunks) {
                    var k = 0
                    for e2 in 0..<r {
                        for e3 in 0..<r {
                            for o in offsets {
                                y1[k] = (Double(e1) + o.0) * h; y2[k] = (Double(e2) + o.1) * h; y3[k] = (Double(e3) + o.2) * h
                                k += 1
                            }
                        }
                    }
                    let t: [Double]
                    do { t = try evaluate(y1, y2, y3) } catch {
                        lock.lock(); if failure == nil { failure = error }; lock.unlock()
                        return
                    }
                    var slabSum = [Double](repeating: 0, count: 6)
                    for e in 0..<(r * r) {
                        let target = base + ((e1 * r * r) + e) * packed
                        for p in 0..<perElement {
                            let point = (e * perElement + p) * 6, w = weights[p]
                            for s in 0..<6 { slabSum[s] += w * t[point + s] }
                            let row = products[p]
                            for k in 0..<packed { target[k] += w * t[point + pairs[k]] * row[k] }
                        }
                    }
                    lock.lock(); sums[e1] = slabSum; lock.unlock()
                }
            }
        }
        if let failure { throw failure }
        values = m
        var total = [Double](repeating: 0, count: 6)
        for e1 in 0..<r { for s in 0..<6 { total[s] += sums[e1][s] } }
        average = SymmetricMatrix(upper: total.map { $0 / Double(r * r * r) }, dimension: 3)
    }
}

/// f += M v for a symmetric n×n matrix M stored as its packed upper triangle at `m`.
@inline(__always)
func packedSymmetricProduct(_ m: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, _ n: Int) {
    var k = 0
    for l in 0..<n {
        var acc = m[k] * v[l]
        k += 1
        for l2 in (l + 1)..<n {
            acc += m[k] * v[l2]
            f[l2] += m[k] * v[l]
            k += 1
        }
        f[l] += acc
    }
}

/// Runs `body(e1)` for every x1-slab of elements, the even slabs over the cores and then the odd
/// ones, so that slabs that run together never write the same x1-plane of nodes or faces (a slab
/// writes its own plane and the next). Deterministic: every plane receives its slabs' terms in
/// the same order for any core count. An odd R runs serially.
func forEachSlabTwoColoured(_ r: Int, _ body: (Int) -> Void) {
    guard r % 2 == 0 else {
        for e1 in 0..<r { body(e1) }
        return
    }
    for colour in 0..<2 {
        DispatchQueue.concurrentPerform(iterations: r / 2) { j in body(2 * j + colour) }
    }
}
