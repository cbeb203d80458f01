/// What a recorder keeps, as numbers that add exactly in any order: integer counts held in
/// doubles, integers, and exact sums (`ExactSum`). A checkpoint saves recorder states (the
/// committed ones and those of the blocks in progress), and every merge of a particle run —
/// workers, checkpoint totals, shards, stationary partial results, MPI ranks — is `+=` on them,
/// so the total does not depend on the order, the threads or the shards.
public struct RecorderState: Codable, Sendable, Equatable {
    /// Integer-valued counts (histograms): exact in any order below 2^53.
    public var counts: [Double]
    public var integers: [Int]
    public var sums: [ExactSum]

    public init(counts: [Double] = [], integers: [Int] = [], sums: [ExactSum] = []) {
        self.counts = counts; self.integers = integers; self.sums = sums
    }

    /// The same lengths in every part (a checkpoint's state fits the run that reads it).
    public func hasShape(of other: RecorderState) -> Bool {
        counts.count == other.counts.count && integers.count == other.integers.count && sums.count == other.sums.count
    }

    /// Adds `r` part by part; both have the same shape.
    public static func += (l: inout RecorderState, r: RecorderState) {
        precondition(l.hasShape(of: r), "RecorderState: adding states of different shapes")
        l.counts.withUnsafeMutableBufferPointer { a in r.counts.withUnsafeBufferPointer { b in for i in a.indices { a[i] += b[i] } } }
        for i in l.integers.indices { l.integers[i] += r.integers[i] }
        for i in l.sums.indices { l.sums[i] += r.sums[i] }
    }

    /// The state as doubles, for a transport that can only add doubles (MPI_SUM): the counts, then
    /// the integers. Both are integers below 2^53 in any run, so the double sum is the exact `+=`.
    /// Exact sums have no such form: nil when the state holds any.
    public var summableDoubles: [Double]? {
        guard sums.isEmpty else { return nil }
        return counts + integers.map(Double.init)
    }

    /// A state of `shape`'s lengths from `summableDoubles` (after a sum over processes).
    public init(summableDoubles d: [Double], shapedLike shape: RecorderState) {
        precondition(shape.sums.isEmpty && d.count == shape.counts.count + shape.integers.count,
                     "RecorderState: summable doubles of another shape")
        self.init(counts: Array(d[..<shape.counts.count]), integers: d[shape.counts.count...].map { Int($0) })
    }

    /// The sum of states of one shape (nil entries, recorders that keep nothing, give nil).
    public static func total(_ states: [RecorderState?]) -> RecorderState? {
        var sum: RecorderState?
        for case let s? in states {
            if sum == nil { sum = s } else { sum! += s }
        }
        return sum
    }
}
