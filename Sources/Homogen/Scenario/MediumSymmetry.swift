/// A full 2×2 medium is written as [[b11, b12], [b21, b22]]; B must be symmetric, so b12 and
/// b21 must agree, checked on the grid of the cell (equal text is equal at once).
enum MediumSymmetry {
    static func check(b12: Coefficient, b21: Coefficient, epsilon: Double, key: String) throws {
        if b12.expression == b21.expression { return }
        let g = ExpressionGraph()
        let variables = ["x1": 0, "x2": 1, "y1": 2, "y2": 3]
        func lower(_ c: Coefficient, _ k: String) throws -> NodeID {
            do {
                return try g.lower(c.expression, variables: variables, constants: ["eps": epsilon], field: k)
            } catch let e as ExpressionError {
                throw ScenarioError(key: k, column: e.column, message: e.message)
            }
        }
        let a = try lower(b12, "\(key)[1][2]"), b = try lower(b21, "\(key)[2][1]")
        let vars = Array(Set(g.variables(of: a) + g.variables(of: b))).sorted()
        let (_, columns) = LoweredFields.productGrid(variables: vars.count)
        let values = BatchEvaluator(graph: g, outputs: [a, b], inputs: vars).evaluate(columns)
        for i in 0..<values[0].count where !(abs(values[0][i] - values[1][i]) <= 1e-12 * max(1, abs(values[0][i]))) {
            throw ScenarioError(
                key: key,
                message: "is not symmetric: B[1][2] = \(values[0][i]) but B[2][1] = \(values[1][i]) at one point of the cell")
        }
    }
}
