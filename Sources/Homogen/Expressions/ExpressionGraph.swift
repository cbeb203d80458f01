import Foundation

/// Index of a node in an `ExpressionGraph`.
public typealias NodeID = Int

/// Element-wise operations of the graph; raw values are the kernel op codes of `kernels.h`.
enum GraphOp: Int32, Hashable {
    case neg = 0, sin, cos, tan, exp, log, sqrt, abs, tanh, floor
    case add, sub, mul, div, pow, mod, min, max

    var isUnary: Bool { rawValue < GraphOp.add.rawValue }
    var isCommutative: Bool { self == .add || self == .mul || self == .min || self == .max }

    /// The scalar function, for constant folding and single-point evaluation.
    func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .neg: return -a
        case .sin: return Foundation.sin(a)
        case .cos: return Foundation.cos(a)
        case .tan: return Foundation.tan(a)
        case .exp: return Foundation.exp(a)
        case .log: return Foundation.log(a)
        case .sqrt: return a.squareRoot()
        case .abs: return Swift.abs(a)
        case .tanh: return Foundation.tanh(a)
        case .floor: return a.rounded(.down)
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return Foundation.pow(a, b)
        case .mod: return a - b * (a / b).rounded(.down)
        case .min: return a < b ? a : b
        case .max: return a > b ? a : b
        }
    }
}

/// A directed acyclic graph of scalar expressions over numbered variables, with
/// hash-consing (structurally equal subexpressions are one node: common-subexpression
/// elimination for free), constant folding and the algebraic identities x+0, x*1, x*0, x^1.
/// Node ids grow with creation, so every node's operands have smaller ids: id order is a
/// topological order, which `Tape` relies on.
///
/// Derivatives (`derivative(of:withRespectTo:)`) are built in the same graph, so a drift
/// and its pieces share every common subexpression (symbolic automatic differentiation).
public final class ExpressionGraph {
    enum Node: Hashable {
        case constant(UInt64)        // bit pattern, so that -0.0, 0.0 and NaN hash exactly
        case variable(Int)
        case op(GraphOp, NodeID, NodeID)   // unary ops repeat their operand in the second slot
    }

    private(set) var nodes: [Node] = []
    private var interned: [Node: NodeID] = [:]
    /// Where a non-differentiable node came from (for error messages).
    private var origins: [NodeID: String] = [:]
    /// Bit mask of the variables each node depends on.
    private var dependencies: [UInt64] = []
    private var derivativeMemo: [Int: [NodeID: NodeID]] = [:]

    public init() {}

    var count: Int { nodes.count }

    private func intern(_ node: Node, dependsOn mask: UInt64) -> NodeID {
        if let id = interned[node] { return id }
        nodes.append(node)
        dependencies.append(mask)
        interned[node] = nodes.count - 1
        return nodes.count - 1
    }

    public func constant(_ value: Double) -> NodeID {
        intern(.constant(value.bitPattern), dependsOn: 0)
    }

    public func variable(_ index: Int) -> NodeID {
        precondition(index >= 0 && index < 64, "at most 64 variables")
        return intern(.variable(index), dependsOn: 1 << UInt64(index))
    }

    /// The value of a constant node, or nil.
    public func constantValue(_ id: NodeID) -> Double? {
        if case .constant(let bits) = nodes[id] { return Double(bitPattern: bits) }
        return nil
    }

    /// The variable indices a node depends on.
    public func variables(of id: NodeID) -> [Int] {
        let mask = dependencies[id]
        return (0..<64).filter { mask & (1 << UInt64($0)) != 0 }
    }

    func dependsOn(_ id: NodeID, variable: Int) -> Bool {
        dependencies[id] & (1 << UInt64(variable)) != 0
    }

    func origin(of id: NodeID) -> String? { origins[id] }

    func recordOrigin(_ id: NodeID, _ text: String) {
        if origins[id] == nil { origins[id] = text }
    }

    func unary(_ op: GraphOp, _ a: NodeID) -> NodeID {
        if let va = constantValue(a) { return constant(op.apply(va, 0)) }
        if op == .neg, case .op(.neg, let inner, _) = nodes[a] { return inner }
        // −(c·x) = (−c)·x: exact, and one instruction fewer.
        if op == .neg, case .op(.mul, let x, let y) = nodes[a] {
            if let c = constantValue(x) { return binary(.mul, constant(-c), y) }
            if let c = constantValue(y) { return binary(.mul, x, constant(-c)) }
        }
        return intern(.op(op, a, a), dependsOn: dependencies[a])
    }

    func binary(_ op: GraphOp, _ a0: NodeID, _ b0: NodeID) -> NodeID {
        var (a, b) = (a0, b0)
        if op.isCommutative, b < a { swap(&a, &b) }
        let ca = constantValue(a), cb = constantValue(b)
        if let ca, let cb { return constant(op.apply(ca, cb)) }
        // Negations folded into the operation (exact: negation only flips the sign bit).
        func negated(_ n: NodeID) -> NodeID? {
            if case .op(.neg, let inner, _) = nodes[n] { return inner }
            return nil
        }
        switch op {
        case .add:
            if ca == 0 { return b }
            if cb == 0 { return a }
            if let nb = negated(b) { return binary(.sub, a, nb) }
            if let na = negated(a) { return binary(.sub, b, na) }
        case .sub:
            if cb == 0 { return a }
            if let nb = negated(b) { return binary(.add, a, nb) }
            if ca == 0 { return unary(.neg, b) }
            if a == b { return constant(0) }
        case .mul:
            if ca == 0 || cb == 0 { return constant(0) }
            if ca == 1 { return b }
            if cb == 1 { return a }
            if ca == -1 { return unary(.neg, b) }
            if cb == -1 { return unary(.neg, a) }
            if let ca, let nb = negated(b) { return binary(.mul, constant(-ca), nb) }
            if let cb, let na = negated(a) { return binary(.mul, na, constant(-cb)) }
        case .div:
            if ca == 0 { return constant(0) }
            if cb == 1 { return a }
            if let cb, cb != 0 { return binary(.mul, a, constant(1 / cb)) }  // a multiply is cheaper; within an ulp
        case .pow:
            if cb == 1 { return a }
            if cb == 0 { return constant(1) }
            if cb == 2 { return binary(.mul, a, a) }
        default: break
        }
        return intern(.op(op, a, b), dependsOn: dependencies[a] | dependencies[b])
    }

    // MARK: - Convenience for building formulas in Swift code
    func add(_ a: NodeID, _ b: NodeID) -> NodeID { binary(.add, a, b) }
    func sub(_ a: NodeID, _ b: NodeID) -> NodeID { binary(.sub, a, b) }
    func mul(_ a: NodeID, _ b: NodeID) -> NodeID { binary(.mul, a, b) }
    func div(_ a: NodeID, _ b: NodeID) -> NodeID { binary(.div, a, b) }
    func scale(_ c: Double, _ a: NodeID) -> NodeID { binary(.mul, constant(c), a) }

    // MARK: - Differentiation

    /// 1/a, one node however often it is asked for: derivatives multiply by it rather than divide,
    /// so that every derivative of log a, √a or c/a shares a single division (a division costs
    /// several multiplications in the tapes).
    func reciprocal(_ a: NodeID) -> NodeID { div(constant(1), a) }

    /// A node that some derivative needs but that has no derivative (abs, floor, mod, min, max).
    public struct NotDifferentiable: Error {
        public let description: String
    }

    /// ∂(node)/∂(variable), built symbolically in this graph and memoised per variable.
    public func derivative(of id: NodeID, withRespectTo v: Int) throws -> NodeID {
        if !dependsOn(id, variable: v) { return constant(0) }
        if let d = derivativeMemo[v]?[id] { return d }
        let d: NodeID
        switch nodes[id] {
        case .constant: d = constant(0)
        case .variable(let w): d = constant(w == v ? 1 : 0)
        case .op(let op, let a, let b):
            let da = try derivative(of: a, withRespectTo: v)
            switch op {
            case .neg: d = unary(.neg, da)
            case .sin: d = mul(unary(.cos, a), da)
            case .cos: d = unary(.neg, mul(unary(.sin, a), da))
            case .tan: d = mul(add(constant(1), mul(id, id)), da)
            case .exp: d = mul(id, da)
            case .log: d = mul(da, reciprocal(a))
            case .sqrt: d = mul(scale(0.5, da), reciprocal(id))
            case .tanh: d = mul(sub(constant(1), mul(id, id)), da)
            case .add: d = add(da, try derivative(of: b, withRespectTo: v))
            case .sub: d = sub(da, try derivative(of: b, withRespectTo: v))
            case .mul: d = add(mul(da, b), mul(a, try derivative(of: b, withRespectTo: v)))
            case .div:
                // (a/b)' = (a' - (a/b) b') · (1/b)
                d = mul(sub(da, mul(id, try derivative(of: b, withRespectTo: v))), reciprocal(b))
            case .pow:
                if let c = constantValue(b) {
                    d = mul(scale(c, binary(.pow, a, constant(c - 1))), da)
                } else {
                    // (a^b)' = a^b (b' log a + b a'/a)
                    let db = try derivative(of: b, withRespectTo: v)
                    d = mul(id, add(mul(db, unary(.log, a)), div(mul(b, da), a)))
                }
            case .abs, .floor, .mod, .min, .max:
                throw NotDifferentiable(description: origin(of: id) ?? "\(op)")
            }
        }
        derivativeMemo[v, default: [:]][id] = d
        return d
    }

    // MARK: - Single-point evaluation (validation messages, tests)

    /// Evaluates nodes at one point, in id order; for a few points only: `Tape` is the fast path.
    public func evaluate(_ ids: [NodeID], at point: [Double]) -> [Double] {
        let top = ids.max() ?? -1
        var values = [Double](repeating: 0, count: top + 1)
        for i in 0...max(top, 0) where i <= top {
            switch nodes[i] {
            case .constant(let bits): values[i] = Double(bitPattern: bits)
            case .variable(let w): values[i] = w < point.count ? point[w] : .nan
            case .op(let op, let a, let b): values[i] = op.apply(values[a], values[b])
            }
        }
        return ids.map { values[$0] }
    }
}

