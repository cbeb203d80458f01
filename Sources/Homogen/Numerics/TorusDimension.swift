/// The dimension d of the torus Ω = [0, 1)^d (and of the unit cell Y). What depends on d only
/// through counting — cells n^d, cell volumes h^d, variable names, row-major flat indices,
/// coarsening, the 2^d corners of a cloud-in-cell spread — lives here, written for any d; code
/// whose algorithm differs with d (exact circle transport in 1D, the stable norm in 2D, …)
/// switches over the cases, so that a new case is a compile error at every such place.
public enum TorusDimension: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case one = 1, two = 2, three = 3

    /// d, the number of axes.
    public var count: Int { rawValue }
    /// The axes 0..<d.
    public var axes: Range<Int> { 0..<rawValue }
    /// "1", "2" or "3", so that "\(dimension)D" reads 1D, 2D or 3D.
    public var description: String { "\(rawValue)" }

    /// The dimension with d axes, or nil when homogen does not support d.
    public init?(count: Int) { self.init(rawValue: count) }

    /// n^d: the cells of a grid with n cells per axis.
    public func cells(perAxis n: Int) -> Int { axes.reduce(1) { p, _ in p * n } }

    /// h^d: the volume of a cell of side h.
    public func volume(side h: Double) -> Double { axes.reduce(1) { p, _ in p * h } }

    /// The slow variables' names: x in 1D, x1, x2 (, x3) in 2D (3D).
    public var slowNames: [String] { self == .one ? ["x"] : axes.map { "x\($0 + 1)" } }
    /// The fast variables' names: y in 1D, y1, y2 (, y3) in 2D (3D).
    public var fastNames: [String] { self == .one ? ["y"] : axes.map { "y\($0 + 1)" } }
    /// All variables of a scenario's expressions, in their variable-index order: slow, then fast.
    public var variableNames: [String] { slowNames + fastNames }
    /// The variable indices of the slow coordinates (0..<d) and of the fast ones (d..<2d).
    public var slowVariables: [Int] { Array(axes) }
    public var fastVariables: [Int] { axes.map { rawValue + $0 } }
    /// Every variable index, slow then fast: the inputs of a tape over a scenario's fields.
    public var variables: [Int] { Array(0..<(2 * rawValue)) }

    /// A row-major flat index's per-axis indices on a grid with n cells per axis (axis 0 slowest).
    public func indices(ofCell flat: Int, perAxis n: Int) -> [Int] {
        var rest = flat, out = [Int](repeating: 0, count: rawValue)
        for k in axes.reversed() { out[k] = rest % n; rest /= n }
        return out
    }

    /// The row-major flat index of per-axis indices on a grid with n cells per axis.
    public func flatIndex(_ indices: [Int], perAxis n: Int) -> Int {
        indices.reduce(0) { $0 * n + $1 }
    }

    /// The cell of a grid with ⌈n/c⌉ cells per axis that holds cell `flat` of a grid with n per
    /// axis, when every c consecutive cells of an axis are merged.
    public func coarseCell(_ flat: Int, perAxis n: Int, factor c: Int) -> Int {
        let m = (n + c - 1) / c
        var rest = flat, out = 0, place = 1
        for _ in axes {   // last axis first
            out += (rest % n) / c * place
            rest /= n; place *= m
        }
        return out
    }

    /// The shape of n particles' positions in a .npy file: [n] in 1D, [n, d] otherwise.
    public func positionShape(particles n: Int) -> [Int] { self == .one ? [n] : [n, rawValue] }

    /// The index of the `count` column in a histogram CSV (after the 2d cell bounds).
    public var countColumn: Int { 2 * rawValue }

    /// 2^d: the cells a cloud-in-cell spread touches.
    public var corners: Int { 1 << rawValue }

    /// Cloud-in-cell (multilinear) weights of a point on a periodic grid of n cells per axis with
    /// cell centres at (i + ½)/n: the 2^d cells around it (row-major flat indices, last axis
    /// varying fastest) and their weights Π_k (1 − w_k or w_k), written into `cells` and `weights`
    /// (each of length ≥ `corners`). `coordinate(k)` is the point's coordinate on axis k, in [0, 1).
    public func cloudInCell(perAxis n: Int, _ coordinate: (Int) -> Double, cells: inout [Int], weights: inout [Double]) {
        withUnsafeTemporaryAllocation(of: (lower: Int, upper: Int, w: Double).self, capacity: rawValue) { axis in
            for k in axes {
                let u = coordinate(k) * Double(n) - 0.5
                let lower = u.rounded(.down)
                let i0 = ((Int(lower) % n) + n) % n
                (axis.baseAddress! + k).initialize(to: (i0, (i0 + 1) % n, u - lower))
            }
            for q in 0..<corners {
                var flat = 0, weight = 1.0
                for k in axes {
                    let high = (q >> (rawValue - 1 - k)) & 1 == 1   // corner q's bit for axis k
                    flat = flat * n + (high ? axis[k].upper : axis[k].lower)
                    weight *= high ? axis[k].w : 1 - axis[k].w
                }
                cells[q] = flat; weights[q] = weight
            }
        }
    }

    /// The CSV columns of a cell's bounds: "x_lo,x_hi" in 1D, "x1_lo,x1_hi,x2_lo,x2_hi" in 2D.
    public var cellBoundsHeader: String { slowNames.map { "\($0)_lo,\($0)_hi" }.joined(separator: ",") }

    /// A cell's bounds in those columns, on a grid with m cells per axis: "i/m,(i+1)/m" per axis.
    public func cellBounds(_ flat: Int, perAxis m: Int) -> String {
        indices(ofCell: flat, perAxis: m).map { "\(Double($0) / Double(m)),\(Double($0 + 1) / Double(m))" }
            .joined(separator: ",")
    }
}
