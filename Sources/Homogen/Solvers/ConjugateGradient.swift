/// A symmetric positive (semi-)definite operator on grid values, applied matrix-free.
public protocol SymmetricOperator {
    /// Number of unknowns.
    var count: Int { get }
    /// True when the operator has the constants as its kernel (no mass term).
    var isSingular: Bool { get }
    /// The diagonal, for the Jacobi preconditioner.
    var diagonal: [Double] { get }
    func apply(_ v: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>)
}

/// Preconditioned conjugate gradients (Jacobi preconditioner) for a symmetric positive
/// (semi-)definite operator (`FaceOperator`, `BilinearElementOperator`). Written here because GSL has no conjugate-gradient solver
/// (its sparse iterative solver is GMRES). For a singular operator (no mass term) the right-hand
/// side must sum to zero; the iterates then stay in the mean-zero subspace, which is projected
/// onto after every update to keep round-off out of the kernel.
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
        public var description: String {
            "conjugate gradients did not converge in \(iterations) iterations (relative residual \(relativeResidual))"
        }
    }

    public static func solve<Op: SymmetricOperator>(_ op: Op, _ b: [Double], initial: [Double]? = nil,
                             tolerance: Double = 1e-12, maxIterations: Int? = nil) throws -> Result {
        let n = b.count
        let singular = op.isSingular
        var rhs = b
        if singular { project(&rhs) }
        let bnorm = norm(rhs)
        var x = initial ?? [Double](repeating: 0, count: n)
        if bnorm == 0 { return Result(solution: [Double](repeating: 0, count: n), iterations: 0, relativeResidual: 0) }
        let inverseDiagonal = op.diagonal.map { $0 > 0 ? 1 / $0 : 1 }
        var r = [Double](repeating: 0, count: n), ap = r
        op.apply(x, &r)
        for i in 0..<n { r[i] = rhs[i] - r[i] }
        if singular { project(&r) }
        var z = zip(r, inverseDiagonal).map { $0 * $1 }
        var p = z
        var rz = dot(r, z)
        let limit = maxIterations ?? max(1000, 20 * n)
        var iterations = 0
        var residual = norm(r) / bnorm
        while residual > tolerance {
            if iterations >= limit { throw NotConverged(iterations: iterations, relativeResidual: residual) }
            op.apply(p, &ap)
            let curvature = dot(p, ap)
            // A non-positive curvature means the operator is not positive definite (e.g. a
            // discretisation of an indefinite tensor): stop rather than return garbage.
            guard curvature > 0 else { throw NotConverged(iterations: iterations, relativeResidual: residual) }
            let alpha = rz / curvature
            for i in 0..<n { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
            if singular { project(&r) }
            for i in 0..<n { z[i] = r[i] * inverseDiagonal[i] }
            let rzNew = dot(r, z)
            let beta = rzNew / rz
            rz = rzNew
            for i in 0..<n { p[i] = z[i] + beta * p[i] }
            iterations += 1
            residual = norm(r) / bnorm
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
