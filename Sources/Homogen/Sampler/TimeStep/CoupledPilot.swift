import Dispatch
import Foundation
import Synchronization

/// The pilot of `TimeStepControl`: every particle runs the scenario's schedule twice from the same
/// initial position, with Euler–Maruyama steps h (coarse) and h/2 (fine) driven by the same
/// Brownian path — the fine path's two half-step normals ξ₁, ξ₂ make the coarse normal
/// (ξ₁ + ξ₂)/√2 — and records, at each output time, each particle's position on both paths.
/// Blocks and streams as in the sampler (`BlockPlan`), so the result does not depend on threads.
struct CoupledPilot {
    /// Positions of every pilot particle at one output time, coordinate by coordinate
    /// (`coarse[k][i]`, coordinate k of particle i).
    struct Record {
        var coarse: [[Double]]
        var fine: [[Double]]
    }

    let scenario: Scenario
    let threads: Int

    func run() throws -> [Record] {
        let s = scenario, dim = s.dimension, d = dim.count
        let schedule = TimeSchedule(dt: s.time.dt, outputs: s.time.outputs)
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: schedule)
        let plan = run.plan
        let outs = s.time.outputs.count, n = plan.particles
        // storage[(output * 2 + path) * d + k] holds coordinate k of every particle.
        let storage = (0..<(outs * 2 * d)).map { _ in UnsafeMutableBufferPointer<Double>.allocate(capacity: n) }
        defer { for b in storage { b.deallocate() } }
        let next = Atomic<Int>(0)
        let failure = Mutex<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, plan.blockCount))) { _ in
            let coarse = ParticleBlock(dimension: dim, capacity: plan.blockSize)
            let fine = ParticleBlock(dimension: dim, capacity: plan.blockSize)
            let coarseScheme = EulerMaruyamaScheme(coefficients: run.coefficients, inverseEpsilon: s.inverseEpsilon)
            let fineScheme = EulerMaruyamaScheme(coefficients: run.coefficients, inverseEpsilon: s.inverseEpsilon)
            let initial = run.initial.makeWorkspace(capacity: plan.blockSize)
            let stride = plan.blockSize
            let xi = UnsafeMutablePointer<Double>.allocate(capacity: 3 * d * stride)
            defer { xi.deallocate() }
            let xi1 = xi, xi2 = xi + d * stride, sum = xi + 2 * d * stride
            let half = 0.5.squareRoot()
            while failure.withLock({ $0 == nil }) {
                let b = next.add(1, ordering: .relaxed).oldValue
                if b >= plan.blockCount { break }
                do {
                    coarse.start(b, of: plan, seed: run.seed)
                    fine.start(b, of: plan, seed: run.seed)
                    let m = coarse.count, first = coarse.firstParticle
                    try run.initial.draw(into: coarse.x, count: m, rng: coarse.rng, workspace: initial)
                    for k in 0..<d { fine.x[k].update(from: coarse.x[k], count: m) }
                    var index = 0
                    for step in schedule {
                        if ParticleEngine.stopRequested { throw SamplerError.interrupted(nil) }
                        if step.h > 0 {
                            index += 1
                            for k in 0..<d {
                                coarse.rng.fillGaussian(xi1 + k * stride, count: m)
                                coarse.rng.fillGaussian(xi2 + k * stride, count: m)
                                for i in 0..<m { sum[k * stride + i] = (xi1[k * stride + i] + xi2[k * stride + i]) * half }
                            }
                            try coarseScheme.advance(coarse, h: step.h, normals: sum, stride: stride, step: index, time: step.time)
                            try fineScheme.advance(fine, h: step.h / 2, normals: xi1, stride: stride, step: index, time: step.time)
                            try fineScheme.advance(fine, h: step.h / 2, normals: xi2, stride: stride, step: index, time: step.time)
                        }
                        if let k = step.record {
                            for c in 0..<d {
                                UnsafeMutableBufferPointer(rebasing: storage[(k * 2) * d + c][first..<(first + m)])
                                    .baseAddress!.update(from: coarse.x[c], count: m)
                                UnsafeMutableBufferPointer(rebasing: storage[(k * 2 + 1) * d + c][first..<(first + m)])
                                    .baseAddress!.update(from: fine.x[c], count: m)
                            }
                        }
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        return (0..<outs).map { k in
            Record(coarse: (0..<d).map { Array(storage[(k * 2) * d + $0]) },
                   fine: (0..<d).map { Array(storage[(k * 2 + 1) * d + $0]) })
        }
    }
}
