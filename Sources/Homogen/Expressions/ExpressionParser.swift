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
///     power   := primary (("^" | "**") unary)?
///     primary := number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
///
/// Names `pi` and `eps` are constants (eps is resolved by the scenario); other names are
/// variables, checked against the scenario's dimension when the expression is lowered.
///
/// Limits: the parser, the lowering, the symbolic derivatives and even the release of a tree
/// recurse once per level of the tree, so an expression may nest at most `maxDepth` levels
/// (brackets, unary signs, function calls, and each further term of a sum or factor of a
/// product, which chain to the left) and hold at most `maxLength` characters. A deeper or
/// longer expression is refused with an error naming the limit, never a stack overflow.
public struct ExpressionParser {
    /// The deepest tree (and the deepest bracket nesting) the parser accepts.
    public static let maxDepth = 1000
    /// The longest expression text the parser accepts, in characters.
    public static let maxLength = 100_000

    private let chars: [Character]
    private var index = 0
    /// Recursion depth of the parser itself (brackets, signs, calls, exponents).
    private var nesting = 0

    public static func parse(_ text: String) throws -> Expression {
        guard text.count <= maxLength else {
            throw ExpressionError(
                message: "the expression has \(text.count) characters, more than the limit of \(maxLength)", column: nil)
        }
        var parser = ExpressionParser(chars: Array(text))
        parser.skipSpaces()
        if parser.atEnd { throw ExpressionError(message: "the expression is empty", column: nil) }
        let e = try parser.sum().expression
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

    /// The character after the one `peek` returned (no spaces skipped: `**` is one token).
    private func peekSecond() -> Character? {
        index + 1 < chars.count ? chars[index + 1] : nil
    }

    /// A parsed subtree and its depth (a leaf has depth 1).
    private struct Parsed {
        let expression: Expression
        let depth: Int
    }

    private func tooDeep(_ column: Int) -> ExpressionError {
        ExpressionError(
            message: "the expression nests more than \(Self.maxDepth) levels deep (brackets, signs, calls, or terms "
                + "of one sum or product), the limit of the parser; split it into simpler parts",
            column: column)
    }

    /// A node over `children`, refused when it would exceed `maxDepth`.
    private func node(_ e: Expression, over children: [Parsed], at column: Int) throws -> Parsed {
        let depth = (children.map(\.depth).max() ?? 0) + 1
        if depth > Self.maxDepth { throw tooDeep(column) }
        return Parsed(expression: e, depth: depth)
    }

    /// Runs `body` one recursion level deeper, refusing more than `maxDepth` levels.
    private mutating func nested<T>(_ body: (inout ExpressionParser) throws -> T) throws -> T {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxDepth { throw tooDeep(column) }
        return try body(&self)
    }

    private mutating func sum() throws -> Parsed {
        var e = try product()
        while let c = peek(), c == "+" || c == "-" {
            let at = column
            index += 1
            let rhs = try product()
            e = try node(.binary(c == "+" ? .add : .subtract, e.expression, rhs.expression), over: [e, rhs], at: at)
        }
        return e
    }

    private mutating func product() throws -> Parsed {
        var e = try unary()
        while let c = peek(), c == "*" || c == "/" {
            let at = column
            index += 1
            let rhs = try unary()
            e = try node(.binary(c == "*" ? .multiply : .divide, e.expression, rhs.expression), over: [e, rhs], at: at)
        }
        return e
    }

    private mutating func unary() throws -> Parsed {
        if let c = peek(), c == "-" || c == "+" {
            let at = column
            index += 1
            let operand = try nested { try $0.unary() }
            return c == "-" ? try node(.negate(operand.expression), over: [operand], at: at) : operand
        }
        return try power()
    }

    private mutating func power() throws -> Parsed {
        let base = try primary()
        if let c = peek(), c == "^" || (c == "*" && peekSecond() == "*") {
            let at = column
            index += c == "^" ? 1 : 2
            let exponent = try nested { try $0.unary() }
            return try node(.binary(.power, base.expression, exponent.expression), over: [base, exponent], at: at)
        }
        return base
    }

    private mutating func primary() throws -> Parsed {
        guard let c = peek() else {
            throw ExpressionError(message: "the expression ends where a value was expected", column: column)
        }
        if c.isNumber || c == "." { return Parsed(expression: try number(), depth: 1) }
        if c.isLetter || c == "_" { return try nameOrCall() }
        if c == "(" {
            let open = column
            index += 1
            let e = try nested { try $0.sum() }
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

    private mutating func nameOrCall() throws -> Parsed {
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
            var args = [try nested { try $0.sum() }]
            while peek() == "," {
                index += 1
                args.append(try nested { try $0.sum() })
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
            return try node(.call(f, args.map(\.expression), column: at), over: args, at: at)
        }
        if name == "pi" { return Parsed(expression: .number(Double.pi), depth: 1) }
        if Expression.Function(rawValue: name) != nil {
            throw ExpressionError(message: "function '\(name)' needs its argument in parentheses", column: at)
        }
        return Parsed(expression: .variable(name, column: at), depth: 1)
    }
}
