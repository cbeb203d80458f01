import ArgumentParser
import Foundation
import Homogen

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the sampler: wall nanoseconds per particle-step, all threads, after start-up.",
        discussion: """
            Runs STEPS steps of the scenario's dt from its initial density and writes nothing. Then, on the \
            same threads: the GSL normal floor (ns per normal), the coefficient tape alone and its \
            library-function calls alone (ns per particle), and the bound d x floor + library functions \
            that no step of this scenario can beat. The scheme is Euler–Maruyama unless --scheme is given (the \
            peers of scripts/bench-sampler.sh are Euler–Maruyama loops).
            """)

    @Argument(help: "Scenario file (TOML).")
    var scenario: String

    @OptionGroup var sampling: SamplerOptionGroup

    @Option(help: ArgumentHelp("em (the default here: the peers of scripts/bench-sampler.sh are Euler–Maruyama loops), weak2 (Kloeden–Platen's explicit weak order-2 scheme, the default of sample and compare) or metropolis.", valueName: "scheme"))
    var scheme: SchemeKind?

    @Option(help: "Number of time steps.")
    var steps = 1000

    func validate() throws {
        if steps < 1 { throw ValidationError("--steps must be positive, not \(steps)") }
    }

    @Flag(help: "Skip the measurements of the GSL normal floor and of the coefficient tape alone.")
    var noFloor = false

    @Flag(help: "Print the coefficient tape, one instruction per line (inputs x then y = x/eps in r0...).")
    var showTape = false

    func run() throws {
        var s = try sampling.apply(to: try Scenario.load(path: scenario))
        let horizon = Double(steps) * s.time.dt
        s = try s.replacing(time: TimeSettings(final: horizon, outputs: [horizon], dt: s.time.dt))
        let sampler = try ParticleSampler(scenario: s, options: sampling.samplerOptions(scheme: scheme ?? .em))
        let r = try sampler.run()
        print("scenario=\(s.name) dim=\(s.dimension) particles=\(s.particles.count) steps=\(r.steps) "
              + "threads=\(r.threads) kernels=\(r.vectorKernels) scheme=\(r.scheme.rawValue) seconds=\(String(format: "%.3f", r.seconds))")
        if let m = r.totalMoves, let rate = m.rate {
            print(String(format: "acceptance=%.5f accepted=%d proposed=%d", rate, m.accepted, m.proposed))
        }
        print("tape: \(sampler.coefficientTape.operationSummary)")
        if showTape { print(sampler.coefficientTape.listing) }
        if !noFloor {
            // The floor on the same threads, right after the run: d normals per particle-step.
            let floor = NormalFloor.measure(threads: r.threads)
            print(String(format: "floor_ns_per_normal=%.2f ratio_to_floor=%.2f", floor,
                         r.nsPerParticleStep / (floor * Double(s.dimension.count))))
            // The coefficient tape alone, and its library functions alone, on the same threads.
            let c = TapeCost.measure(tape: sampler.coefficientTape, dimension: s.dimension,
                                     inverseEpsilon: s.inverseEpsilon, threads: r.threads)
            print(String(format: "tape_ns_per_particle=%.2f library_functions_ns_per_particle=%.2f", c.tapeNs,
                         c.libraryFunctionNs))
            // No step can cost less than its normals plus its library-function calls.
            let bound = floor * Double(s.dimension.count) + c.libraryFunctionNs
            print(String(format: "bound_ns_per_particle_step=%.2f ratio_to_bound=%.2f", bound, r.nsPerParticleStep / bound))
        }
        print(String(format: "ns_per_particle_step=%.2f", r.nsPerParticleStep))
    }
}
