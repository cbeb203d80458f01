/// A parse error inside one expression; `column` is 1-based in the expression text.
public struct ExpressionError: Error, Equatable, Sendable {
    public let message: String
    public let column: Int?
}

/// Recursive-descent parser for the scenario language (grammar below; `^` binds tighter than
/// unary minus and is right-associative, so `-x^2 = -(x^2)` and `2^-1 = 0.5`).
///
///     sum     := product (("+" | "-") product)*
///     product := unary (("*" | "/") unary)*
///     unary   := ("-" | "+") unary | power
///     power   := primary ("^" unary)?
///     primary := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
///
/// Names `pi` and `eps` are constants (eps is resolved by the scenario); other names are
/// variables, checked against the scenario's dimension when the expression is lowered.
public struct ExpressionParser {
    private let chars: [Character]
    private var index = 0

    public static func parse(_ text: String) throws -> Expression {
        var parser = ExpressionParser(chars: Array(text))
        parser.skipSpaces()
        if parser.atEnd { throw ExpressionError(message: "the expression is empty", column: nil) }
        let e = try parser.sum()
        parser.skipSpaces()
        if !parser.atEnd {
            throw ExpressionError(message: "unexpected '\(parser.chars[parser.index])'", column: parser.index + 1)
        }
        return e
    }

    private init(chars: [Character]) { self.chars = chars }

    private var atEnd: Bool { index >= chars.count }
    private var column: Int { index + 1 }

    private mutating func skipSpaces() {
        while !atEnd, chars[index].isWhitespace { index += 1 }
    }

    private mutating func peek() -> Character? {
        skipSpaces()
        return atEnd ? nil : chars[index]
    }

    private mutating func sum() throws -> Expression {
        var e = try product()
        while let c = peek(), c == "+" || c == "-" {
            index += 1
            let rhs = try product()
            e = .binary(c == "+" ? .add : .subtract, e, rhs)
        }
        return e
    }

    private mutating func product() throws -> Expression {
        var e = try unary()
        while let c = peek(), c == "*" || c == "/" {
            index += 1
            let rhs = try unary()
            e = .binary(c == "*" ? .multiply : .divide, e, rhs)
        }
        return e
    }

    private mutating func unary() throws -> Expression {
        if let c = peek(), c == "-" || c == "+" {
            index += 1
            let operand = try unary()
            return c == "-" ? .negate(operand) : operand
        }
        return try power()
    }

    private mutating func power() throws -> Expression {
        let base = try primary()
        if let c = peek(), c == "^" {
            index += 1
            return .binary(.power, base, try unary())
        }
        return base
    }

    private mutating func primary() throws -> Expression {
        guard let c = peek() else {
            throw ExpressionError(message: "the expression ends where a value was expected", column: column)
        }
        if c.isNumber || c == "." { return try number() }
        if c.isLetter || c == "_" { return try nameOrCall() }
        if c == "(" {
            let open = column
            index += 1
            let e = try sum()
            guard peek() == ")" else {
                throw ExpressionError(message: "'(' at column \(open) is not closed", column: column)
            }
            index += 1
            return e
        }
        throw ExpressionError(message: "unexpected '\(c)' where a value was expected", column: column)
    }

    private mutating func number() throws -> Expression {
        let start = index
        while !atEnd, chars[index].isNumber || chars[index] == "." { index += 1 }
        if !atEnd, chars[index] == "e" || chars[index] == "E" {
            var j = index + 1
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
            if j < chars.count, chars[j].isNumber {
                index = j
                while !atEnd, chars[index].isNumber { index += 1 }
            }
        }
        let text = String(chars[start..<index])
        guard let v = Double(text), v.isFinite else {
            throw ExpressionError(message: "'\(text)' is not a number", column: start + 1)
        }
        if !atEnd, chars[index].isLetter || chars[index] == "_" {
            throw ExpressionError(
                message: "a number is followed by a name: write '*' between them", column: column)
        }
        return .number(v)
    }

    private mutating func nameOrCall() throws -> Expression {
        let start = index
        while !atEnd, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" { index += 1 }
        let name = String(chars[start..<index])
        let at = start + 1
        if peek() == "(" {
            guard let f = Expression.Function(rawValue: name) else {
                let known = Expression.Function.allCases.map(\.rawValue).joined(separator: " ")
                throw ExpressionError(message: "unknown function '\(name)' (known: \(known))", column: at)
            }
            index += 1
            var args = [try sum()]
            while peek() == "," {
                index += 1
                args.append(try sum())
            }
            guard peek() == ")" else {
                throw ExpressionError(message: "expected ',' or ')' in the arguments of \(name)", column: column)
            }
            index += 1
            guard args.count == f.arity else {
                throw ExpressionError(
                    message: "\(name) takes \(f.arity) argument\(f.arity == 1 ? "" : "s"), not \(args.count)",
                    column: at)
            }
            return .call(f, args, column: at)
        }
        if name == "pi" { return .number(Double.pi) }
        if Expression.Function(rawValue: name) != nil {
            throw ExpressionError(message: "function '\(name)' needs its argument in parentheses", column: at)
        }
        return .variable(name, column: at)
    }
}
