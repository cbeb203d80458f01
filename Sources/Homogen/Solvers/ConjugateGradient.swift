/// A symmetric positive (semi-)definite operator on grid values, applied matrix-free.
public protocol SymmetricOperator {
    /// Number of unknowns.
    var count: Int { get }
    /// True when the operator has the constants as its kernel (no mass term).
    var isSingular: Bool { get }
    /// The diagonal, for the Jacobi preconditioner; nil for operators that are always solved with
    /// a preconditioner of their own (the cell problems' Green operators).
    var jacobiDiagonal: [Double]? { get }
    func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>)
}

extension SymmetricOperator {
    public var jacobiDiagonal: [Double]? { nil }
}

/// A symmetric positive semi-definite preconditioner z = P r (the Green operators of the cell
/// problems: `Q1GreenPreconditioner`, `DivergenceFreeGreenPreconditioner`). One whose range is a
/// subspace may replace r by its orthogonal projection onto that subspace (conjugate gradients on
/// the subspace only use that component).
public protocol Preconditioner {
    func apply(_ r: UnsafeMutablePointer<Double>, _ z: UnsafeMutablePointer<Double>)
}

/// Preconditioned conjugate gradients for a symmetric positive (semi-)definite operator
/// (`FaceOperator`, `BilinearElementOperator`, `ElementOperator3D`). Written here because GSL has
/// no conjugate-gradient solver (its sparse iterative solver is GMRES). For a singular operator (no mass term) the right-hand side
/// must sum to zero; the iterates then stay in the mean-zero subspace, which is projected onto
/// after every update to keep round-off out of the kernel.
///
/// Without a `preconditioner`: Jacobi, stopped when ‖b − Lx‖ ≤ tolerance · ‖b‖. With one (P
/// positive semi-definite): stopped when rᵀPr ≤ tolerance² · `scale` (default: its initial
/// value). With P ≈ L⁻¹, rᵀPr is about the energy error of the iterate, so the cell problems pass
/// their energy at u = 0 as `scale`: a relative energy accuracy, which also stops at once when the
/// right-hand side lies (up to round-off) in the preconditioner's kernel, where a relative
/// criterion would iterate on round-off. When P maps into a subspace V (and vanishes on its complement), this is
/// conjugate gradients on V: the iterates stay in V and solve the problem restricted to it (the
/// divergence-free dual cell problem).
public enum ConjugateGradient {
    public struct Result: Sendable {
        public let solution: [Double]
        public let iterations: Int
        /// ‖b − Lx‖ / ‖b‖ at exit.
        public let relativeResidual: Double
    }

    public struct NotConverged: Error, CustomStringConvertible {
        public let iterations: Int
        public let relativeResidual: Double
        /// The last iterate (mean zero for a singular operator), for a caller that can use an
        /// approximate solution.
        public var solution: [Double] = []
        public var description: String {
            "conjugate gradients did not converge in \(iterations) iterations (relative residual \(relativeResidual))"
        }
    }

    public static func solve<Op: SymmetricOperator>(_ op: Op, _ b: [Double], initial: [Double]? = nil,
                             tolerance: Double = 1e-12, maxIterations: Int? = nil,
                             preconditioner: (any Preconditioner)? = nil, scale: Double? = nil) throws -> Result {
        let n = b.count
        let singular = op.isSingular
        var rhs = b
        if singular { project(&rhs) }
        let bnorm = norm(rhs)
        var x = initial ?? [Double](repeating: 0, count: n)
        if bnorm == 0 { return Result(solution: [Double](repeating: 0, count: n), iterations: 0, relativeResidual: 0) }
        guard preconditioner != nil || op.jacobiDiagonal != nil else {
            preconditionFailure("ConjugateGradient.solve: \(Op.self) has no Jacobi diagonal; pass its preconditioner")
        }
        let inverseDiagonal = preconditioner == nil ? op.jacobiDiagonal!.map { $0 > 0 ? 1 / $0 : 1 } : []
        func precondition(_ r: inout [Double], _ z: inout [Double]) {
            if let pc = preconditioner {
                r.withUnsafeMutableBufferPointer { src in z.withUnsafeMutableBufferPointer { pc.apply(src.baseAddress!, $0.baseAddress!) } }
            } else {
                for i in 0..<n { z[i] = r[i] * inverseDiagonal[i] }
            }
        }
        var r = [Double](repeating: 0, count: n), ap = r, z = r
        op.apply(x, &r)
        for i in 0..<n { r[i] = rhs[i] - r[i] }
        if singular { project(&r) }
        precondition(&r, &z)
        var p = z
        var rz = dot(r, z)
        let reference = scale ?? rz
        if preconditioner != nil, !(reference > 0) { return Result(solution: x, iterations: 0, relativeResidual: 0) }
        func relative() -> Double { preconditioner == nil ? norm(r) / bnorm : (max(rz, 0) / reference).squareRoot() }
        let limit = maxIterations ?? max(1000, 20 * n)
        var iterations = 0
        var residual = relative()
        while residual > tolerance {
            if iterations >= limit {
                if singular { project(&x) }
                throw NotConverged(iterations: iterations, relativeResidual: residual, solution: x)
            }
            op.apply(p, &ap)
            let curvature = dot(p, ap)
            // A non-positive curvature means the operator is not positive definite (e.g. a
            // discretisation of an indefinite tensor): stop rather than return garbage.
            guard curvature > 0 else { throw NotConverged(iterations: iterations, relativeResidual: residual) }
            let alpha = rz / curvature
            for i in 0..<n { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
            if singular { project(&r) }
            precondition(&r, &z)
            let rzNew = dot(r, z)
            let beta = rzNew / rz
            rz = rzNew
            for i in 0..<n { p[i] = z[i] + beta * p[i] }
            iterations += 1
            residual = relative()
        }
        if singular { project(&x) }
        return Result(solution: x, iterations: iterations, relativeResidual: residual)
    }

    private static func project(_ v: inout [Double]) {
        let mean = v.reduce(0, +) / Double(v.count)
        for i in v.indices { v[i] -= mean }
    }

    private static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    private static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
