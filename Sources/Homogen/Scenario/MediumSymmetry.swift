/// A full medium is written as a d×d list [[b11, b12, …], [b21, b22, …], …]; B must be symmetric,
/// so b_ij and b_ji must agree, checked on a product grid of the variables they use (equal text is
/// equal at once).
enum MediumSymmetry {
    /// Checks B[row][column] (`upper`) against B[column][row] (`lower`), 0-based; `key` names B.
    static func check(_ upper: Coefficient, _ lower: Coefficient, row: Int, column: Int, dimension: Int,
                      epsilon: Double, key: String) throws {
        if upper.expression == lower.expression { return }
        let g = ExpressionGraph()
        guard let d = TorusDimension(count: dimension) else { return }
        let variables = Dictionary(uniqueKeysWithValues: d.variableNames.enumerated().map { ($1, $0) })
        let (r, c) = (row + 1, column + 1)
        func lowered(_ e: Coefficient, _ k: String) throws -> NodeID {
            do {
                return try g.lower(e.expression, variables: variables, constants: ["eps": epsilon], field: k)
            } catch let e as ExpressionError {
                throw ScenarioError(key: k, column: e.column, message: e.message)
            }
        }
        let a = try lowered(upper, "\(key)[\(r)][\(c)]"), b = try lowered(lower, "\(key)[\(c)][\(r)]")
        let vars = Array(Set(g.variables(of: a) + g.variables(of: b))).sorted()
        let (_, columns) = LoweredFields.productGrid(variables: vars.count)
        let values = BatchEvaluator(graph: g, outputs: [a, b], inputs: vars).evaluate(columns)
        for i in 0..<values[0].count where !(abs(values[0][i] - values[1][i]) <= 1e-12 * max(1, abs(values[0][i]))) {
            let place = vars.isEmpty ? "" : " at " + zip(vars, columns).map { "\(d.variableNames[$0]) = \($1[i])" }.joined(separator: ", ")
            throw ScenarioError(
                key: key,
                message: "is not symmetric: B[\(r)][\(c)] = \(values[0][i]) but B[\(c)][\(r)] = \(values[1][i])\(place)")
        }
    }
}
