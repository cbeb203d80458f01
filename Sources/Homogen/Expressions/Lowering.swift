extension ExpressionGraph {
    /// Adds an expression tree to the graph. `variables` maps the names allowed in this field to
    /// variable indices, `constants` maps named constants (here `eps`) to values; `field` names
    /// the field in messages about non-differentiable functions. Trees deeper than
    /// `ExpressionParser.maxDepth` (possible only for trees built in Swift) are refused.
    public func lower(
        _ e: Expression, variables: [String: Int], constants: [String: Double], field: String
    ) throws -> NodeID {
        try lower(e, variables: variables, constants: constants, field: field, depth: 1)
    }

    private func lower(
        _ e: Expression, variables: [String: Int], constants: [String: Double], field: String, depth: Int
    ) throws -> NodeID {
        guard depth <= ExpressionParser.maxDepth else {
            throw ExpressionError(
                message: "\(field) nests more than \(ExpressionParser.maxDepth) levels deep, the limit of the expression compiler",
                column: nil)
        }
        func lower(_ e: Expression, variables: [String: Int], constants: [String: Double], field: String) throws -> NodeID {
            try self.lower(e, variables: variables, constants: constants, field: field, depth: depth + 1)
        }
        switch e {
        case .number(let v):
            return constant(v)
        case .variable(let name, let column):
            if let index = variables[name] { return variable(index) }
            if let value = constants[name] { return constant(value) }
            let allowed = (variables.keys.sorted() + constants.keys.sorted()).joined(separator: ", ")
            throw ExpressionError(message: "unknown variable '\(name)' (allowed here: \(allowed))", column: column)
        case .negate(let a):
            return unary(.neg, try lower(a, variables: variables, constants: constants, field: field))
        case .binary(let op, let a, let b):
            let la = try lower(a, variables: variables, constants: constants, field: field)
            let lb = try lower(b, variables: variables, constants: constants, field: field)
            switch op {
            case .add: return add(la, lb)
            case .subtract: return sub(la, lb)
            case .multiply: return mul(la, lb)
            case .divide: return div(la, lb)
            case .power: return binary(.pow, la, lb)
            }
        case .call(let f, let args, let column):
            let ids = try args.map { try lower($0, variables: variables, constants: constants, field: field) }
            let id: NodeID
            switch f {
            case .sin: id = unary(.sin, ids[0])
            case .cos: id = unary(.cos, ids[0])
            case .tan: id = unary(.tan, ids[0])
            case .exp: id = unary(.exp, ids[0])
            case .log: id = unary(.log, ids[0])
            case .sqrt: id = unary(.sqrt, ids[0])
            case .abs: id = unary(.abs, ids[0])
            case .sinh, .cosh:
                // (e^a ∓ e^−a)/2 from the exp kernel (libmvec has no vector sinh or cosh).
                let up = unary(.exp, ids[0]), down = unary(.exp, unary(.neg, ids[0]))
                id = scale(0.5, f == .sinh ? sub(up, down) : add(up, down))
            case .tanh: id = unary(.tanh, ids[0])
            case .floor: id = unary(.floor, ids[0])
            case .mod: id = binary(.mod, ids[0], ids[1])
            case .min: id = binary(.min, ids[0], ids[1])
            case .max: id = binary(.max, ids[0], ids[1])
            }
            if !f.isDifferentiable {
                recordOrigin(id, "'\(f.rawValue)' in \(field)" + (column.map { " at column \($0)" } ?? ""))
            }
            return id
        }
    }
}
