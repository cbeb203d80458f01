import Foundation

/// The pilot of `TimeStepControl`: every particle runs the scenario's schedule twice from the same
/// initial position, with steps h (coarse) and h/2 (fine) of one scheme driven by the same
/// Brownian path — the fine path's two half-step normals ξ₁, ξ₂ make the coarse normal
/// (ξ₁ + ξ₂)/√2 (`CoupledStepper`) — and records, at each output time, each particle's position on
/// both paths. Blocks and streams as in the sampler (`BlockPlan`), so the result does not depend on
/// threads. Its blocks are scheduled by the engine (`ParticleEngine.forEachBlock`).
struct CoupledPilot {
    /// Positions of every pilot particle at one output time, coordinate by coordinate
    /// (`coarse[k][i]`, coordinate k of particle i).
    struct Record {
        var coarse: [[Double]]
        var fine: [[Double]]
    }

    let scenario: Scenario
    let scheme: SchemeKind
    let threads: Int

    func run() throws -> [Record] {
        let s = scenario, dim = s.dimension, d = dim.count
        let schedule = TimeSchedule(dt: s.time.dt, outputs: s.time.outputs)
        let run = try ParticleRun(scenario: s, scheme: scheme, schedule: schedule)
        let plan = run.plan
        let outs = s.time.outputs.count, n = plan.particles
        // storage[(output * 2 + path) * d + k] holds coordinate k of every particle.
        let storage = (0..<(outs * 2 * d)).map { _ in UnsafeMutableBufferPointer<Double>.allocate(capacity: n) }
        defer { for b in storage { b.deallocate() } }
        try ParticleEngine.forEachBlock(plan.blockCount, threads: threads, context: {
            (ParticleBlock(dimension: dim, capacity: plan.blockSize), ParticleBlock(dimension: dim, capacity: plan.blockSize),
             CoupledStepper(run: run), run.initial.makeWorkspace(capacity: plan.blockSize))
        }) { context, b in
            let (coarse, fine, stepper, initial) = context
            coarse.start(b, of: plan, seed: run.seed)
            fine.start(b, of: plan, seed: run.seed)
            let m = coarse.count, first = coarse.firstParticle
            try run.initial.draw(into: coarse.x, count: m, rng: coarse.rng, workspace: initial)
            for k in 0..<d { fine.x[k].update(from: coarse.x[k], count: m) }
            stepper.begin(coarse: coarse, fine: fine)
            var index = 0
            for step in schedule {
                if ParticleEngine.stopRequested { throw SamplerError.interrupted(nil) }
                if step.h > 0 {
                    index += 1
                    try stepper.advance(coarse: coarse, fine: fine, h: step.h, step: index, time: step.time)
                }
                if let k = step.record {
                    for c in 0..<d {
                        (storage[(k * 2) * d + c].baseAddress! + first).update(from: coarse.x[c], count: m)
                        (storage[(k * 2 + 1) * d + c].baseAddress! + first).update(from: fine.x[c], count: m)
                    }
                }
            }
        }
        return (0..<outs).map { k in
            Record(coarse: (0..<d).map { Array(storage[(k * 2) * d + $0]) },
                   fine: (0..<d).map { Array(storage[(k * 2 + 1) * d + $0]) })
        }
    }
}
