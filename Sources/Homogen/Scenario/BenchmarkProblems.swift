/// The benchmark problems of ../shared/peers (README and fp_scipy.py) as scenarios, so that
/// `homogen bench-solve` runs exactly the peer's problem.
public enum BenchmarkProblems {
    /// The Fokker–Planck benchmark: scenario and solver cells per ε-period.
    public static func solverProblem(dimension: TorusDimension) throws -> (Scenario, Int) {
        let text: String
        switch dimension {
        case .one:
            text = """
                name = "bench-solve-1d"
                description = "fp_scipy.py 1: bench-1d medium, eps = 1/64, 2048 cells, 1000 steps to t = 1"
                dimension = 1
                epsilon = "1/64"
                [medium]
                B = "2 + sin(2*pi*y)"
                [equilibrium]
                pi = "(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*cos(2*pi*y))"
                [initial]
                rho = "1 + 0.9*cos(2*pi*x)"
                [time]
                final = 1.0
                outputs = [1.0]
                dt = 1e-3
                [particles]
                count = 1
                seed = 1
                [grid]
                cells = 2048
                """
        case .two:
            text = """
                name = "bench-solve-2d"
                description = "fp_scipy.py 2: bench-2d medium, eps = 1/16, 256 x 256 cells, 1000 steps to t = 0.1"
                dimension = 2
                epsilon = "1/16"
                [medium]
                B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)"]
                [equilibrium]
                pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*x2)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2))"
                [initial]
                rho = "1 + 0.9*cos(2*pi*x1)*cos(2*pi*x2)"
                [time]
                final = 0.1
                outputs = [0.1]
                dt = 1e-4
                [particles]
                count = 1
                seed = 1
                [grid]
                cells = 256
                """
        case .three:
            text = """
                name = "bench-solve-3d"
                description = "fp_scipy_3d.py: bench-3d medium, eps = 1/8, 64 x 64 x 64 cells, 100 steps to t = 0.01"
                dimension = 3
                epsilon = "1/8"
                [medium]
                B = ["2 + sin(2*pi*y1)", "2 + cos(2*pi*y2)", "2 + sin(2*pi*y3)"]
                [equilibrium]
                pi = "(1 + 0.5*cos(2*pi*x1)) * (1 + 0.5*cos(2*pi*x2)) * (1 + 0.5*cos(2*pi*x3)) * (1 + 0.5*cos(2*pi*y1)*cos(2*pi*y2)*cos(2*pi*y3))"
                [initial]
                rho = "1 + 0.9*cos(2*pi*x1)*cos(2*pi*x2)*cos(2*pi*x3)"
                [time]
                final = 0.01
                outputs = [0.01]
                dt = 1e-4
                [particles]
                count = 1
                seed = 1
                [grid]
                cells = 64
                """
        }
        return (try Scenario(toml: text, source: "<bench-solve \(dimension)d>"), FokkerPlanckSolver.defaultResolution(dimension: dimension))
    }
}
