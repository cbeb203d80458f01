/// A probability measure on the circle R/Z = [0, 1), described by its quantile function: a
/// list of pieces, each a quantile interval (q_k−1, q_k] on which the quantile function is
/// linear from `xStart` to `xEnd`. An empirical measure has constant pieces (atoms); a density
/// that is constant on cells has one linear piece per cell of positive mass.
public struct CircleMeasure: Sendable {
    /// Cumulative masses q_k (increasing, the last one 1).
    public let cumulative: [Double]
    public let xStart: [Double]
    public let xEnd: [Double]
    /// True for an empirical measure with equal weights (the sorted atoms are `xStart`).
    public let isUniformEmpirical: Bool

    /// An empirical measure: equal weights, or the given ones (normalised). Points are taken
    /// modulo 1 and sorted (Swift's introsort: GSL's heapsort is several times slower on 10⁶ points).
    public init(samples: [Double], weights: [Double]? = nil) {
        precondition(!samples.isEmpty && (weights == nil || weights!.count == samples.count))
        let wrapped = samples.map(Torus.wrap)
        var order = Array(wrapped.indices)
        var xs: [Double]
        var ws: [Double]
        if let weights {
            order.sort { wrapped[$0] < wrapped[$1] }
            xs = order.map { wrapped[$0] }
            let total = weights.reduce(0, +)
            ws = order.map { weights[$0] / total }
        } else {
            xs = wrapped.sorted()
            ws = [Double](repeating: 1 / Double(samples.count), count: samples.count)
        }
        var c = 0.0
        var cumulative = [Double](repeating: 0, count: xs.count)
        for i in xs.indices { c += ws[i]; cumulative[i] = c }
        cumulative[xs.count - 1] = 1
        self.cumulative = cumulative
        self.xStart = xs
        self.xEnd = xs
        self.isUniformEmpirical = weights == nil
    }

    /// An empirical measure with equal weights on points already in [0, 1) and sorted (not checked
    /// beyond a debug assertion): the constructor above without its wrap and sort.
    init(sortedSamples xs: [Double]) {
        precondition(!xs.isEmpty)
        assert(zip(xs, xs.dropFirst()).allSatisfy { $0 <= $1 } && xs[0] >= 0 && xs[xs.count - 1] < 1)
        let w = 1 / Double(xs.count)
        var c = 0.0
        var cumulative = [Double](repeating: 0, count: xs.count)
        for i in xs.indices { c += w; cumulative[i] = c }
        cumulative[xs.count - 1] = 1
        self.cumulative = cumulative
        self.xStart = xs
        self.xEnd = xs
        self.isUniformEmpirical = true
    }

    /// A density constant on `masses.count` equal cells of [0, 1) with the given cell masses
    /// (normalised); cells of zero mass are skipped.
    public init(cellMasses masses: [Double]) {
        let m = masses.count
        let total = masses.reduce(0, +)
        precondition(m > 0 && total > 0)
        var c = 0.0
        var cumulative: [Double] = [], xs: [Double] = [], xe: [Double] = []
        for (i, mass) in masses.enumerated() where mass > 0 {
            c += mass / total
            cumulative.append(c)
            xs.append(Double(i) / Double(m))
            xe.append(Double(i + 1) / Double(m))
        }
        cumulative[cumulative.count - 1] = 1
        self.cumulative = cumulative
        self.xStart = xs
        self.xEnd = xe
        self.isUniformEmpirical = false
    }

    var count: Int { cumulative.count }
}
