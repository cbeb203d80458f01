import CKernels

/// Exact draws from the initial density ρ0 by rejection sampling: uniform proposals X on Ω,
/// kept when U·M < ρ0(X), with M = 1.25 × the maximum of ρ0 that the scenario's checks saw
/// (`ScenarioFacts.initialMaximum`: on the check grid, or a narrow bump's top).
/// Exact whenever ρ0 ≤ M everywhere; a value above M (or not a number) is detected and reported
/// rather than silently biasing the sample. A uniform ρ0 is drawn directly. The test is made on
/// ρ0/max, so that a ρ0 near the largest double (which the sampler normalises anyway) does not
/// make M infinite: then no proposal was ever kept, and the draw looped for ever.
struct InitialDensitySampler {
    let dimension: TorusDimension
    let inverseEpsilon: Int
    let tape: Tape
    let isUniform: Bool
    /// The largest value of ρ0 the checks saw.
    let maximum: Double

    init(scenario: Scenario, fields: LoweredFields) {
        dimension = scenario.dimension
        inverseEpsilon = scenario.inverseEpsilon
        tape = Tape(graph: fields.graph, outputs: [fields.rho0], inputs: scenario.dimension.variables)
        isUniform = fields.graph.constantValue(fields.rho0) != nil
        maximum = scenario.facts.initialMaximum
    }

    /// M over the largest value of ρ0 seen by the scenario's checks.
    static let margin = 1.25

    /// Scratch for one thread.
    final class Workspace {
        let tape: TapeWorkspace
        let accept: UnsafeMutablePointer<Double>
        init(_ tape: Tape, capacity: Int) {
            self.tape = TapeWorkspace(tape: tape, capacity: capacity)
            accept = .allocate(capacity: capacity)
        }
        deinit { accept.deallocate() }
        /// Proposals made so far (for the acceptance rate).
        var proposals = 0
    }

    /// Scratch for proposals in batches of `capacity` (the block size).
    func makeWorkspace(capacity: Int) -> Workspace { Workspace(tape, capacity: capacity) }

    /// Draws `m` positions into `x` (one array per coordinate) from `rng`.
    func draw(into x: [UnsafeMutablePointer<Double>], count m: Int, rng: RandomStream, workspace w: Workspace) throws {
        let d = dimension.count
        if isUniform {
            for i in 0..<m { for k in 0..<d { x[k][i] = rng.uniform() } }
            w.proposals += m
            return
        }
        let bs = w.tape.capacity
        let scale = Double(inverseEpsilon)
        let t = w.tape
        var filled = 0
        while filled < m {
            // (SIGINT and SIGTERM are answered here too: a ρ0 far below its bound takes many batches.)
            if ParticleEngine.stopRequested { throw SamplerError.interrupted(nil) }
            for i in 0..<bs {
                for k in 0..<d { t.input(k)[i] = rng.uniform() }
                w.accept[i] = rng.uniform()
            }
            for k in 0..<d { hk_scale(t.input(k), scale, t.input(d + k), Int64(bs)) }
            t.run(count: bs)
            let rho = t.output(0)
            for i in 0..<bs {
                let r = rho[i] / maximum
                if !(r <= Self.margin) { throw SamplerError.initialDensityAboveBound(bound: Self.margin * maximum, value: rho[i]) }
                if filled < m, w.accept[i] * Self.margin < r {
                    for k in 0..<d { x[k][filled] = t.input(k)[i] }
                    filled += 1
                }
            }
            w.proposals += bs
        }
    }
}
