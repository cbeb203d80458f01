/// The upper triangle of a symmetric d×d matrix stored row by row: (0,0), (0,1), …, (0,d−1),
/// (1,1), …, (d−1,d−1); d(d+1)/2 entries. In 2D: B11, B12, B22; in 3D: B11, B12, B13, B22, B23, B33.
/// The order of a full medium's entries in a scenario and in its lowered fields.
public struct SymmetricIndex: Sendable {
    public let dimension: Int
    public init(_ dimension: Int) { self.dimension = dimension }

    /// d(d+1)/2.
    public var count: Int { dimension * (dimension + 1) / 2 }

    /// The position of entry (i, j) (either order).
    public func upper(_ i: Int, _ j: Int) -> Int {
        let (r, c) = i <= j ? (i, j) : (j, i)
        return r * dimension - r * (r - 1) / 2 + (c - r)
    }

    /// The (row, column) of position k, row ≤ column.
    public func entry(_ k: Int) -> (Int, Int) {
        var r = 0, start = 0
        while k >= start + dimension - r { start += dimension - r; r += 1 }
        return (r, r + k - start)
    }
}
