/// The scenario language: an expression tree as written by the user, either parsed from text
/// (`ExpressionParser`) or traced from a Swift closure (`FieldVariables`, `Expression` operators).
///
/// Expressions are numbers, variables, `+ - * / ^` (`**` is read as `^`), parentheses, the
/// constants `pi` and `eps`, and the functions `sin cos tan exp log sqrt abs sinh cosh tanh floor
/// mod min max`. A tree remembers the
/// column (1-based) of each variable and function where it came from text, so that errors can
/// point at it.
public indirect enum Expression: Sendable {
    case number(Double)
    case variable(String, column: Int?)
    case negate(Expression)
    case binary(BinaryOperator, Expression, Expression)
    case call(Function, [Expression], column: Int?)

    public enum BinaryOperator: String, Sendable, Equatable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
    }

    /// The functions of the scenario language. `abs floor mod min max` are not differentiable
    /// everywhere: allowed in densities and in the media of the PDE solvers, refused wherever
    /// the sampler needs a derivative.
    public enum Function: String, Sendable, Equatable, CaseIterable {
        case sin, cos, tan, exp, log, sqrt, abs, sinh, cosh, tanh, floor, mod, min, max

        public var arity: Int {
            switch self {
            case .mod, .min, .max: return 2
            default: return 1
            }
        }

        public var isDifferentiable: Bool {
            switch self {
            case .abs, .floor, .mod, .min, .max: return false
            default: return true
            }
        }
    }

    /// Variable names used anywhere in the tree.
    public var variableNames: Set<String> {
        switch self {
        case .number: return []
        case .variable(let name, _): return [name]
        case .negate(let a): return a.variableNames
        case .binary(_, let a, let b): return a.variableNames.union(b.variableNames)
        case .call(_, let args, _): return args.reduce(into: Set<String>()) { $0.formUnion($1.variableNames) }
        }
    }
}

/// Structural equality: the same tree, whatever the source columns.
extension Expression: Equatable {
    public static func == (a: Expression, b: Expression) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.variable(let x, _), .variable(let y, _)): return x == y
        case (.negate(let x), .negate(let y)): return x == y
        case (.binary(let o, let x1, let x2), .binary(let p, let y1, let y2)): return o == p && x1 == y1 && x2 == y2
        case (.call(let f, let x, _), .call(let g, let y, _)): return f == g && x == y
        default: return false
        }
    }
}

extension Expression: CustomStringConvertible {
    /// Text that parses back to the same tree (numbers in shortest round-trip form).
    public var description: String { render(parentPrecedence: 0) }

    private var precedence: Int {
        switch self {
        case .number(let v): return v < 0 ? 2 : 5
        case .variable, .call: return 5
        case .negate: return 2
        case .binary(let op, _, _):
            switch op {
            case .add, .subtract: return 1
            case .multiply, .divide: return 3
            case .power: return 4
            }
        }
    }

    private func render(parentPrecedence: Int) -> String {
        let text: String
        switch self {
        case .number(let v):
            if v == v.rounded(), abs(v) < 1e15 { text = String(Int64(v)) } else { text = "\(v)" }
        case .variable(let name, _):
            text = name
        case .negate(let a):
            text = "-" + a.render(parentPrecedence: 2)
        case .binary(let op, let a, let b):
            let p = precedence
            // Left-associative + - * /: the right operand needs brackets at equal precedence;
            // right-associative ^: the left one does.
            let left = a.render(parentPrecedence: op == .power ? p + 1 : p)
            let right = b.render(parentPrecedence: op == .power ? p : p + 1)
            text = "\(left) \(op.rawValue) \(right)"
        case .call(let f, let args, _):
            text = "\(f.rawValue)(" + args.map { $0.render(parentPrecedence: 0) }.joined(separator: ", ") + ")"
        }
        return precedence < parentPrecedence ? "(\(text))" : text
    }
}
