import Foundation

/// Swift closures as coefficients: a closure receives the variables as `Expression` values and
/// returns an `Expression`, built with the usual operators and functions. It is called once,
/// to trace the tree, so the result is differentiated and compiled exactly like text:
///
///     let B = Coefficient { v in 2 + sin(2 * .pi * v.y) }
///
/// Control flow on values is not traced; use `min`, `max`, `floor` and `mod` instead.
public struct FieldVariables: Sendable {
    /// 1D: the slow variable x and the fast variable y = x/ε.
    public let x = Expression.variable("x", column: nil)
    public let y = Expression.variable("y", column: nil)
    /// 2D: slow (x1, x2) and fast (y1, y2) = (x1, x2)/ε.
    public let x1 = Expression.variable("x1", column: nil)
    public let x2 = Expression.variable("x2", column: nil)
    public let y1 = Expression.variable("y1", column: nil)
    public let y2 = Expression.variable("y2", column: nil)
    /// The scale ε itself, for the uniform case π = π0(x) + ε π1(x, x/ε) (2.34).
    public let eps = Expression.variable("eps", column: nil)
    public init() {}
}

extension Expression: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public static let pi = Expression.number(.pi)

    public static func + (a: Expression, b: Expression) -> Expression { .binary(.add, a, b) }
    public static func - (a: Expression, b: Expression) -> Expression { .binary(.subtract, a, b) }
    public static func * (a: Expression, b: Expression) -> Expression { .binary(.multiply, a, b) }
    public static func / (a: Expression, b: Expression) -> Expression { .binary(.divide, a, b) }
    public static prefix func - (a: Expression) -> Expression { .negate(a) }
}

public func pow(_ a: Expression, _ b: Expression) -> Expression { .binary(.power, a, b) }
public func sin(_ a: Expression) -> Expression { .call(.sin, [a], column: nil) }
public func cos(_ a: Expression) -> Expression { .call(.cos, [a], column: nil) }
public func tan(_ a: Expression) -> Expression { .call(.tan, [a], column: nil) }
public func exp(_ a: Expression) -> Expression { .call(.exp, [a], column: nil) }
public func log(_ a: Expression) -> Expression { .call(.log, [a], column: nil) }
public func sqrt(_ a: Expression) -> Expression { .call(.sqrt, [a], column: nil) }
public func abs(_ a: Expression) -> Expression { .call(.abs, [a], column: nil) }
public func sinh(_ a: Expression) -> Expression { .call(.sinh, [a], column: nil) }
public func cosh(_ a: Expression) -> Expression { .call(.cosh, [a], column: nil) }
public func tanh(_ a: Expression) -> Expression { .call(.tanh, [a], column: nil) }
public func floor(_ a: Expression) -> Expression { .call(.floor, [a], column: nil) }
public func mod(_ a: Expression, _ b: Expression) -> Expression { .call(.mod, [a, b], column: nil) }
public func min(_ a: Expression, _ b: Expression) -> Expression { .call(.min, [a, b], column: nil) }
public func max(_ a: Expression, _ b: Expression) -> Expression { .call(.max, [a, b], column: nil) }
