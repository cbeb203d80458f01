import Foundation

extension ExpressionGraph {
    /// Whether `id` is, as written, a product of functions of one variable group each: every
    /// factor of `id` depends on the variables of at most one of `groups`. Factors are found by
    /// splitting ×, ÷, negation, a power with a constant exponent, and exp of a sum or difference
    /// (exp(a ± b) = exp a · exp(±b)). This reads the expression, not its values, so it decides
    /// piecewise fields (floor, mod, min, max) where a test by derivatives cannot be made, and a
    /// thin layer cannot slip between sample points. It is sufficient, not necessary: a product
    /// written as something else (exp(log a + log b) aside) is not seen.
    func factorsSeparate(_ id: NodeID, into groups: [[Int]]) -> Bool {
        factorParts(of: id).allSatisfy { part in
            groups.filter { group in group.contains { dependsOn(part, variable: $0) } }.count <= 1
        }
    }

    /// `id` with variables replaced by nodes (`map`: variable index → node), rebuilt through
    /// `unary`/`binary` so that constants fold; variables not in `map` stay.
    func substituting(_ id: NodeID, _ map: [Int: NodeID]) -> NodeID {
        var memo: [NodeID: NodeID] = [:]
        func rebuilt(_ i: NodeID) -> NodeID {
            if let m = memo[i] { return m }
            let r: NodeID
            switch nodes[i] {
            case .constant: r = i
            case .variable(let v): r = map[v] ?? i
            case .op(let op, let a, let b):
                let na = rebuilt(a)
                r = op.isUnary ? unary(op, na) : binary(op, na, rebuilt(b))
            }
            memo[i] = r
            return r
        }
        return rebuilt(id)
    }

    /// Nodes whose variable sets are those of the factors of `id` (for exp of a sum, its terms).
    private func factorParts(of id: NodeID) -> [NodeID] {
        guard case .op(let op, let a, let b) = nodes[id] else { return [id] }
        switch op {
        case .mul, .div: return factorParts(of: a) + factorParts(of: b)
        case .neg: return factorParts(of: a)
        case .pow where constantValue(b) != nil: return factorParts(of: a)
        case .exp: return summands(of: a)
        default: return [id]
        }
    }

    /// The terms of `id` as a sum: `id` = Σ ±tᵢ, splitting +, − and negation.
    private func summands(of id: NodeID) -> [NodeID] {
        guard case .op(let op, let a, let b) = nodes[id] else { return [id] }
        switch op {
        case .add, .sub: return summands(of: a) + summands(of: b)
        case .neg: return summands(of: a)
        default: return [id]
        }
    }
}
