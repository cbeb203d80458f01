/// A sum of doubles whose value does not depend on the order of its terms. Each term is rounded
/// once to a multiple of 2⁻⁶⁴ and added as a 128-bit integer, which is exact and so associative:
/// totals of per-block sums agree bit for bit whatever worker or shard ran which block. Terms
/// must be finite and below 2⁶⁰ in magnitude (the stationary recorder adds sums of at most a
/// block's cosines); each is rounded by at most 2⁻⁶⁵. Written by hand: GSL has no exact summation.
public struct ExactSum: Sendable, Equatable, Codable {
    /// The sum in units of 2⁻⁶⁴.
    private var units: Int128 = 0

    public init() {}

    public mutating func add(_ x: Double) {
        precondition(x.isFinite && abs(x) < 0x1p60, "ExactSum term \(x) out of range")
        units += Int128((x * 0x1p64).rounded())
    }

    public static func += (l: inout ExactSum, r: ExactSum) { l.units += r.units }

    /// The sum, rounded once to the nearest double.
    public var value: Double { Double(units) * 0x1p-64 }

    /// Encoded as the decimal integer number of units (JSON numbers cannot hold 128 bits).
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let u = Int128(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not an exact sum (an integer number of 2^-64 units)"))
        }
        units = u
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(String(units))
    }
}
