/// The problem: everything that defines one experiment on the torus Ω = [0, 1)^n, validated
/// once and then fed unchanged to the sampler, the Fokker–Planck solver and the cell-problem
/// solver. Build one from a scenario file (`Scenario.load(path:)`,
/// `Scenario(toml:source:)`) or in Swift with `Coefficient` closures; either way `init`
/// validates every field and throws `ScenarioError` naming the key.
public struct Scenario: Sendable {
    public let name: String
    public let description: String
    /// d = 1 or 2.
    public let dimension: TorusDimension
    /// 1/ε, a positive integer, so that every ε-periodic field is periodic on Ω.
    public let inverseEpsilon: Int
    /// The medium B(y) of (2.30), symmetric positive definite; B_ε(x) = B(x/ε).
    public let medium: Medium
    /// The equilibrium π(x, y) of (2.32), or its potential U with π = e^{-U} (2.2).
    public let equilibrium: Equilibrium
    /// The initial density ρ0, or f with ρ0 = f π_ε (well-prepared data, (2.36)).
    public let initial: InitialDensity
    public let time: TimeSettings
    public let particles: ParticleSettings
    /// Histogram / output cells per dimension.
    public let cells: Int

    /// What the grid checks found (eigenvalues of B, range and mass of π and ρ0).
    public let facts: ScenarioFacts

    public var epsilon: Double { 1 / Double(inverseEpsilon) }
    /// ε as the user reads it: "1/16".
    public var epsilonText: String { "1/\(inverseEpsilon)" }

    public init(
        name: String, description: String, dimension: Int, inverseEpsilon: Int,
        medium: Medium, equilibrium: Equilibrium, initial: InitialDensity,
        time: TimeSettings, particles: ParticleSettings, cells: Int
    ) throws {
        try ScenarioValidation.checkName(name)
        let d = try ScenarioValidation.dimension(dimension)
        try ScenarioValidation.checkMediumShape(medium, dimension: d)
        let largest = ScenarioValidation.maximumInverseEpsilon(d)
        guard inverseEpsilon >= 1, inverseEpsilon <= largest else {
            throw ScenarioError(
                key: "epsilon",
                message: "1/epsilon must be an integer from 1 to \(largest) in \(d)D, not \(inverseEpsilon)"
                    + (d == .one ? "" : " (the checks integrate pi_eps resolving eps, and the eps-solvers take 8 cells per period; "
                                    + "beyond \(largest) that is minutes of work and gigabytes before a run starts)"))
        }
        self.name = name
        self.description = description
        self.dimension = d
        self.inverseEpsilon = inverseEpsilon
        self.medium = medium
        self.equilibrium = equilibrium
        self.initial = initial
        self.time = time
        self.particles = particles
        self.cells = cells
        try ScenarioValidation.checkSettings(time: time, particles: particles, cells: cells, dimension: d)
        let lowered = try LoweredFields(
            dimension: d, inverseEpsilon: inverseEpsilon,
            medium: medium, equilibrium: equilibrium, initial: initial)
        self.facts = try ScenarioValidation.checkFields(
            lowered, medium: medium, equilibrium: equilibrium, initial: initial)
    }

    /// The same scenario with other particle or time settings (command-line overrides); the
    /// fields are not checked again, the settings are.
    public func replacing(particles: ParticleSettings? = nil, time: TimeSettings? = nil) throws -> Scenario {
        let p = particles ?? self.particles, t = time ?? self.time
        try ScenarioValidation.checkSettings(time: t, particles: p, cells: cells, dimension: dimension)
        return Scenario(copying: self, particles: p, time: t)
    }

    private init(copying s: Scenario, particles: ParticleSettings, time: TimeSettings) {
        name = s.name; description = s.description; dimension = s.dimension
        inverseEpsilon = s.inverseEpsilon; medium = s.medium; equilibrium = s.equilibrium
        initial = s.initial; cells = s.cells; facts = s.facts
        self.particles = particles
        self.time = time
    }

    /// The largest 1/ε a scenario of dimension d takes.
    public static func largestInverseEpsilon(_ d: TorusDimension) -> Int { ScenarioValidation.maximumInverseEpsilon(d) }

    /// The same scenario at another ε = 1/n (all fields checked again, since they may use `eps`).
    public func replacing(inverseEpsilon n: Int) throws -> Scenario {
        try Scenario(name: name, description: description, dimension: dimension.count, inverseEpsilon: n,
                     medium: medium, equilibrium: equilibrium, initial: initial, time: time,
                     particles: particles, cells: cells)
    }

    /// The fields lowered into a fresh expression graph, for one consumer to extend.
    public func lowered() -> LoweredFields {
        // Lowering succeeded in `init` on the same input, so it cannot fail here.
        var f = try! LoweredFields(
            dimension: dimension, inverseEpsilon: inverseEpsilon,
            medium: medium, equilibrium: equilibrium, initial: initial)
        f.refinement = facts.quadratureRefinement
        f.initialRefinement = facts.initialRefinement
        return f
    }
}

/// One coefficient field: an expression in the slow variables x (x1, x2) and the fast
/// variables y = x/ε (y1, y2), 1-periodic in each, from text or from a Swift closure.
public struct Coefficient: Sendable, CustomStringConvertible {
    public let expression: Expression
    /// The text as written in the scenario file (nil for closures).
    public let text: String?

    /// Parses scenario-language text; throws `ExpressionError` with the column.
    public init(_ text: String) throws {
        self.expression = try ExpressionParser.parse(text)
        self.text = text
    }

    /// Traces a Swift closure into an expression (see `FieldVariables`).
    public init(_ build: (FieldVariables) -> Expression) {
        self.expression = build(FieldVariables())
        self.text = nil
    }

    public init(expression: Expression) {
        self.expression = expression
        self.text = nil
    }

    public var description: String { text ?? expression.description }
}

/// The medium B: a scalar times the identity, a diagonal, or a full symmetric 2×2 matrix.
public enum Medium: Sendable {
    case scalar(Coefficient)
    /// B = diag(b1, …, bd).
    case diagonal([Coefficient])
    /// A full symmetric B by its upper triangle, row by row: B11, B12, B22 in 2D; B11, B12, B13,
    /// B22, B23, B33 in 3D (`SymmetricIndex`).
    case full(upper: [Coefficient])

    public var kind: MediumKind {
        switch self {
        case .scalar: return .scalar
        case .diagonal: return .diagonal
        case .full: return .full
        }
    }
}

/// The shape of a medium: B = b I, B = diag(b1, …, bd), or a full symmetric B.
public enum MediumKind: String, Sendable, Codable {
    case scalar, diagonal, full
}

public enum Equilibrium: Sendable {
    /// π itself (need not be normalised).
    case density(Coefficient)
    /// The potential U, π = e^{-U}.
    case potential(Coefficient)
}

public enum InitialDensity: Sendable {
    /// ρ0 itself (normalised by the program).
    case density(Coefficient)
    /// f, with ρ0 = f π_ε: the well-prepared data of (2.36); f = 1 starts at equilibrium.
    case relativeToEquilibrium(Coefficient)
}

public struct TimeSettings: Sendable, Equatable {
    public let final: Double
    /// Times at which results are written, increasing, in [0, final].
    public let outputs: [Double]
    /// The sampler's time step.
    public let dt: Double

    public init(final: Double, outputs: [Double], dt: Double) {
        self.final = final; self.outputs = outputs; self.dt = dt
    }
}

/// The stochastic calculus in which the SDE dX = b dt + σ ∘ dW of (2.5)–(2.6) is read.
/// In forward-Itô form the drift is B⁻¹∇log π + c ∇·B⁻¹ with c = 1 (backward Itô, the paper's
/// reversible choice: stationary density π), c = 1/2 (Stratonovich: √B·π in 1D) or c = 0
/// (Itô: B·π in 1D).
public enum Convention: String, Sendable, CaseIterable, Codable {
    case backwardIto = "backward-ito"
    case stratonovich
    case ito

    /// The factor c in front of ∇·B⁻¹.
    public var divergenceFactor: Double {
        switch self {
        case .backwardIto: return 1
        case .stratonovich: return 0.5
        case .ito: return 0
        }
    }
}

public struct ParticleSettings: Sendable, Equatable {
    public let count: Int
    public let seed: UInt64
    public let convention: Convention

    public init(count: Int, seed: UInt64, convention: Convention = .backwardIto) {
        self.count = count; self.seed = seed; self.convention = convention
    }
}

/// A scenario that is not valid, with the file, key and (inside an expression) column.
public struct ScenarioError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public let key: String
    public let column: Int?
    public let message: String
    /// True when the file could not be read at all (an I/O error, not bad content).
    public var isUnreadableFile = false

    public init(file: String? = nil, key: String, column: Int? = nil, message: String) {
        self.file = file; self.key = key; self.column = column; self.message = message
    }

    public var description: String {
        var place = [file, key.isEmpty ? nil : key].compactMap { $0 }.joined(separator: ": ")
        if let column { place += ", column \(column)" }
        return place.isEmpty ? message : "\(place): \(message)"
    }
}
