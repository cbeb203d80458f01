/// Everything every block of a particle run shares, fixed before the first step: the block plan
/// and seed, the compiled coefficients, the scheme, the initial-density sampler and the schedule.
struct ParticleRun {
    let plan: BlockPlan
    let seed: UInt64
    let dimension: TorusDimension
    let inverseEpsilon: Int
    let scheme: SchemeKind
    let coefficients: SDECoefficients
    let initial: InitialDensitySampler
    let schedule: AnySequence<ScheduledStep>
    /// Steps of positive length per block.
    let stepCount: Int
    /// Counts particle-steps as they are taken, if set.
    var progress: SamplerProgress?

    /// Compiles the scenario's coefficients for `scheme` (with log π when the scheme needs it) in
    /// the scenario's convention (`convention` overrides it).
    init<S: StepSchedule>(scenario s: Scenario, scheme: SchemeKind, schedule: S, convention: Convention? = nil,
                          progress: SamplerProgress? = nil) throws {
        plan = BlockPlan(particles: s.particles.count)
        seed = s.particles.seed
        dimension = s.dimension
        inverseEpsilon = s.inverseEpsilon
        self.scheme = scheme
        let fields = s.lowered()
        coefficients = try SDECoefficients(fields: fields, convention: convention ?? s.particles.convention,
                                           logDensity: scheme.needsLogDensity)
        initial = InitialDensitySampler(scenario: s, fields: fields)
        self.schedule = AnySequence(schedule)
        stepCount = schedule.stepCount
        self.progress = progress
    }
}
