/// The unit torus [0, 1)ⁿ, one coordinate at a time.
public enum Torus {
    /// The representative of v in [0, 1): v − ⌊v⌋, with the one rounding case mapped back into
    /// the interval (v − ⌊v⌋ rounds to 1 for tiny negative v). The C kernels (kernels.c) use the
    /// same formula, so positions wrapped in Swift and in C agree bit for bit.
    @inline(__always)
    public static func wrap(_ v: Double) -> Double {
        let w = v - v.rounded(.down)
        return w < 1 ? w : 0
    }
}
