/// A number that JSON writes as null when it is not finite (JSON has no infinity) and reads back
/// as +∞, from null or from an absent key: the unbounded biases of the time-step control.
@propertyWrapper
public struct InfiniteAsNull: Codable, Sendable, Equatable {
    public var wrappedValue: Double

    public init(wrappedValue: Double) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? .infinity : try c.decode(Double.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if wrappedValue.isFinite { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// An absent key reads as +∞, as null does.
    public func decode(_ type: InfiniteAsNull.Type, forKey key: Key) throws -> InfiniteAsNull {
        try decodeIfPresent(type, forKey: key) ?? InfiniteAsNull(wrappedValue: .infinity)
    }
}
