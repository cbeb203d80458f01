/// The resolved scenario as plain values: what run folders store (`summary.json`) and what
/// `homogen check` prints, so a run can be traced back to exactly what was simulated.
public struct ScenarioRecord: Codable, Sendable, Equatable {
    public struct Medium: Codable, Sendable, Equatable {
        public let kind: String
        /// scalar: [B]; diagonal: [B11, B22]; full: [B11, B12, B22].
        public let entries: [String]
    }

    public let name: String
    public let description: String
    public let dimension: TorusDimension
    public let epsilon: String
    public let epsilonValue: Double
    public let medium: Medium
    /// "pi" or "U".
    public let equilibriumKind: String
    public let equilibrium: String
    /// "rho" or "f".
    public let initialKind: String
    public let initial: String
    public let finalTime: Double
    public let outputTimes: [Double]
    public let dt: Double
    public let particles: Int
    public let seed: UInt64
    public let convention: String
    public let cells: Int
    public let facts: ScenarioFacts

    public init(_ s: Scenario) {
        name = s.name
        description = s.description
        dimension = s.dimension
        epsilon = s.epsilonText
        epsilonValue = s.epsilon
        switch s.medium {
        case .scalar(let b): medium = Medium(kind: "scalar", entries: [b.description])
        case .diagonal(let b): medium = Medium(kind: "diagonal", entries: b.map(\.description))
        case .full(let upper): medium = Medium(kind: "full", entries: upper.map(\.description))
        }
        switch s.equilibrium {
        case .density(let p): (equilibriumKind, equilibrium) = ("pi", p.description)
        case .potential(let u): (equilibriumKind, equilibrium) = ("U", u.description)
        }
        switch s.initial {
        case .density(let r): (initialKind, initial) = ("rho", r.description)
        case .relativeToEquilibrium(let f): (initialKind, initial) = ("f", f.description)
        }
        finalTime = s.time.final
        outputTimes = s.time.outputs
        dt = s.time.dt
        particles = s.particles.count
        seed = s.particles.seed
        convention = s.particles.convention.rawValue
        cells = s.cells
        facts = s.facts
    }
}

extension Scenario {
    /// The scenario as a canonical scenario file (loads back to the same scenario).
    public var tomlText: String {
        func q(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let r = ScenarioRecord(self)
        let b: String
        switch medium {
        case .scalar(let m): b = q(m.description)
        case .diagonal(let entries): b = "[" + entries.map { q($0.description) }.joined(separator: ", ") + "]"
        case .full(let upper):
            let index = SymmetricIndex(dimension.count)
            b = "[" + dimension.axes.map { i in
                "[" + dimension.axes.map { j in q(upper[index.upper(i, j)].description) }.joined(separator: ", ") + "]"
            }.joined(separator: ", ") + "]"
        }
        return """
            name = \(q(name))
            description = \(q(description))
            dimension = \(dimension)
            epsilon = \(q(epsilonText))

            [medium]
            B = \(b)

            [equilibrium]
            \(r.equilibriumKind) = \(q(r.equilibrium))

            [initial]
            \(r.initialKind) = \(q(r.initial))

            [time]
            final = \(time.final)
            outputs = [\(time.outputs.map { "\($0)" }.joined(separator: ", "))]
            dt = \(time.dt)

            [particles]
            count = \(particles.count)
            seed = \(particles.seed)
            convention = \(q(particles.convention.rawValue))

            [grid]
            cells = \(cells)

            """
    }
}
