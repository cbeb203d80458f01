extension Scenario {
    /// The scenario that `homogen demo` (and `homogen` with no arguments) runs: bench-1d's
    /// medium and equilibrium at ε = 1/16, started away from equilibrium (f = 1 + 0.5 cos 2πx),
    /// with a time step small enough (2.5e-6) that the Euler–Maruyama bias stays below the
    /// sampling noise of 10⁵ particles; about 20 seconds on two cores.
    public static let defaultScenarioText = """
        name = "default"
        description = "1D oscillating medium B = 2 + sin(2 pi y), oscillating equilibrium, well-prepared start off equilibrium"
        dimension = 1
        epsilon = "1/16"

        [medium]
        B = "2 + sin(2*pi*y)"

        [equilibrium]
        pi = "(1 + 0.5*cos(2*pi*x)) * (1 + 0.5*cos(2*pi*y))"

        [initial]
        f = "1 + 0.5*cos(2*pi*x)"

        [time]
        final = 0.02
        outputs = [0.0, 0.005, 0.01, 0.02]
        dt = 2.5e-6

        [particles]
        count = 100000
        seed = 42
        convention = "backward-ito"

        [grid]
        cells = 64
        """

    /// The embedded default scenario, parsed.
    public static func defaultScenario() throws -> Scenario {
        try Scenario(toml: defaultScenarioText, source: "<embedded default scenario>")
    }
}
