import Foundation
@testable import Homogen
import XCTest

/// The pieces of the particle engine on tiny blocks: the block plan, each scheme's step against a
/// hand calculation, each recorder, the schedules. (Built with -enable-testing: scripts/test.sh.)
final class ParticleEngineTests: XCTestCase {
    // MARK: Block plan

    func testBlockPlanCoversEveryParticleOnceForAnyShardCount() {
        let plan = BlockPlan(particles: 2500, blockSize: 1024)
        XCTAssertEqual(plan.blockCount, 3)
        XCTAssertEqual((0..<3).map { plan.particles(in: $0) }, [1024, 1024, 452])
        XCTAssertEqual(plan.firstParticle(of: 2), 2048)
        XCTAssertEqual(plan.particles(in: 1..<3), 1476)
        XCTAssertEqual(plan.particles(in: 0..<0), 0)
        for count in 1...3 {
            let shards = (0..<count).map { plan.blocks(ofShard: $0, of: count)! }
            XCTAssertEqual(shards.first?.lowerBound, 0)
            XCTAssertEqual(shards.last?.upperBound, 3)
            for (a, b) in zip(shards, shards.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            XCTAssertTrue(shards.allSatisfy { !$0.isEmpty })
            XCTAssertEqual(shards.reduce(0) { $0 + plan.particles(in: $1) }, 2500)
        }
        XCTAssertNil(plan.blocks(ofShard: 0, of: 4), "more shards than blocks")
        XCTAssertNil(plan.blocks(ofShard: 3, of: 3))
        XCTAssertNil(plan.blocks(ofShard: -1, of: 2))
        XCTAssertNil(plan.blocks(ofShard: 0, of: 0))
        XCTAssertEqual(plan.seed(run: 7, block: 2), BlockSeeds.seed(run: 7, block: 2))
    }

    // MARK: Schemes

    private func block(_ run: ParticleRun, capacity: Int, count: Int, positions: [[Double]], seed: UInt64 = 11) -> ParticleBlock {
        let b = ParticleBlock(dimension: run.dimension, capacity: capacity)
        b.start(0, of: BlockPlan(particles: count, blockSize: capacity), seed: seed)
        for k in run.dimension.axes { for i in 0..<count { b.x[k][i] = positions[k][i] } }
        return b
    }

    /// bench-1d's coefficients by hand: B(y) = 2 + sin 2πy, π = (1 + ½cos 2πx)(1 + ½cos 2πy), y = x/ε,
    /// drift = B⁻¹ d/dx log π_ε + d/dx B⁻¹ (backward Itô), noise √(2/B).
    private func handCoefficients1D(_ x: Double, n: Double) -> (drift: Double, noise: Double) {
        let y = x * n, tp = 2 * Double.pi
        let dlogpi = -0.5 * tp * sin(tp * x) / (1 + 0.5 * cos(tp * x)) - n * 0.5 * tp * sin(tp * y) / (1 + 0.5 * cos(tp * y))
        let b = 2 + sin(tp * y)
        let dInvB = -n * tp * cos(tp * y) / (b * b)
        return (dlogpi / b + dInvB, (2 / b).squareRoot())
    }

    /// A step from a grid point is dt itself, bit for bit ((k+1)·dt − k·dt takes nine values over
    /// these 100 steps); an output off the grid shortens the step before it and the one after,
    /// and the times stay on the grid and on the outputs.
    func testScheduleStepsFromTheGridAreDtItself() {
        let steps = Array(TimeSchedule(dt: 1e-4, outputs: [0.00355, 0.01]))
        let lengths = Set(steps.filter { $0.h > 0 }.map(\.h.bitPattern))
        XCTAssertTrue(lengths.contains(1e-4.bitPattern))
        XCTAssertTrue((2...3).contains(lengths.count), "dt and the shortened steps around 0.00355 (here both 5e-5): \(lengths.count)")
        XCTAssertEqual(steps.filter { $0.record != nil }.map(\.time), [0.00355, 0.01])
        XCTAssertEqual(steps.filter { $0.h > 0 }.count, 101)
        XCTAssertEqual(steps.reduce(0) { $0 + $1.h }, 0.01, accuracy: 1e-15)
    }

    func testEulerMaruyamaStepMatchesTheHandCalculation() throws {
        let s = try Scenario(toml: scenario1D())
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        let start: [Double] = [0, 0.1, 0.37, 0.5, 0.999999, 0.73]
        let b = block(run, capacity: 8, count: start.count, positions: [start])
        let scheme = EulerMaruyamaScheme(coefficients: run.coefficients, inverseEpsilon: 4)
        let h = 1e-4
        try scheme.advance(b, h: h, step: 1, time: h)
        for i in start.indices {
            let c = handCoefficients1D(start[i], n: 4)
            let v = start[i] + c.drift * h + c.noise * h.squareRoot() * b.normals(0)[i]
            XCTAssertEqual(b.x[0][i], v - v.rounded(.down), accuracy: 1e-12, "particle \(i)")
            XCTAssertTrue(b.x[0][i] >= 0 && b.x[0][i] < 1)
        }
    }

    func testEulerMaruyamaCholeskyStepOnAConstantFullMedium() throws {
        // B = [[2, 0.5], [0.5, 1]], π uniform: no drift, σσᵀ = 2B⁻¹ = [[8/7, -4/7], [-4/7, 16/7]].
        let text = scenario2DConstantFull()
        let s = try Scenario(toml: text)
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        XCTAssertEqual(run.coefficients.noise, .cholesky)
        let p: [[Double]] = [[0.2, 0.9, 0.01], [0.3, 0.05, 0.99]]
        let b = block(run, capacity: 4, count: 3, positions: p)
        let h = 1e-3, sq = h.squareRoot()
        try EulerMaruyamaScheme(coefficients: run.coefficients, inverseEpsilon: s.inverseEpsilon).advance(b, h: h, step: 1, time: h)
        let l11 = (8.0 / 7).squareRoot(), l21 = (-4.0 / 7) / l11, l22 = (16.0 / 7 - l21 * l21).squareRoot()
        for i in 0..<3 {
            let xi1 = b.normals(0)[i], xi2 = b.normals(1)[i]
            let v1 = p[0][i] + l11 * sq * xi1, v2 = p[1][i] + (l21 * xi1 + l22 * xi2) * sq
            XCTAssertEqual(b.x[0][i], v1 - v1.rounded(.down), accuracy: 1e-13)
            XCTAssertEqual(b.x[1][i], v2 - v2.rounded(.down), accuracy: 1e-13)
        }
    }

    func testEulerMaruyamaReportsNonFinitePositions() throws {
        let s = try Scenario(toml: scenario1D())
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        let b = block(run, capacity: 4, count: 2, positions: [[0.1, .nan]])
        XCTAssertThrowsError(try EulerMaruyamaScheme(coefficients: run.coefficients, inverseEpsilon: 4)
            .advance(b, h: 1e-5, step: 3, time: 3e-5)) { error in
            XCTAssertEqual(error as? SamplerError, .notFinite(step: 3, time: 3e-5, block: 0))
        }
    }

    func testMALAStepAcceptsExactlyWhenTheHandRatioSaysSo() throws {
        let s = try Scenario(toml: scenario1D())
        let run = try ParticleRun(scenario: s, scheme: .metropolis, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        let start = (0..<64).map { (Double($0) + 0.3) / 64 }
        let b = block(run, capacity: 64, count: 64, positions: [start], seed: 5)
        let scheme = MALAScheme(coefficients: run.coefficients, capacity: 64, inverseEpsilon: 4)
        scheme.begin(b)
        let h = 2e-3   // large enough that some proposals are rejected
        // The same stream, replayed: the normals, then one uniform per particle.
        let replay = RandomStream(seed: BlockPlan(particles: 64, blockSize: 64).seed(run: 5, block: 0))
        var xi = [Double](repeating: 0, count: 64)
        xi.withUnsafeMutableBufferPointer { replay.fillGaussian($0.baseAddress!, count: 64) }
        try scheme.advance(b, h: h, step: 1, time: h)
        let n = 4.0, tp = 2 * Double.pi
        func logPi(_ x: Double) -> Double { log((1 + 0.5 * cos(tp * x)) * (1 + 0.5 * cos(tp * x * n))) }
        func logQ(from x: Double, to y: Double) -> Double {
            let c = handCoefficients1D(x, n: n)
            let r = y - x - c.drift * h
            return -r * r / (2 * c.noise * c.noise * h) - log(c.noise)
        }
        var rejected = 0
        for i in 0..<64 {
            let c = handCoefficients1D(start[i], n: n)
            let y = start[i] + c.drift * h + c.noise * h.squareRoot() * xi[i]
            let logAlpha = logPi(y) - logPi(start[i]) + logQ(from: y, to: start[i]) - logQ(from: start[i], to: y)
            let u = replay.uniformPositive()
            if abs(log(u) - logAlpha) < 1e-9 { continue }   // too close to call at round-off
            if log(u) < logAlpha {
                XCTAssertEqual(b.x[0][i], y - y.rounded(.down), accuracy: 1e-12, "particle \(i) should move")
            } else {
                rejected += 1
                XCTAssertEqual(b.x[0][i], start[i], "particle \(i) should stay")
            }
        }
        XCTAssertGreaterThan(rejected, 0, "the test step should reject some proposals")
        let a = try XCTUnwrap(scheme.acceptance)
        XCTAssertEqual(a.proposed, 64)
        XCTAssertEqual(a.accepted, 64 - rejected)
    }

    // MARK: Recorders

    func testUniformCellsAreTheCellsOfAGSLHistogram() {
        // Cell i is [fl(i/n), fl((i+1)/n)): edges belong to the cell on their right.
        for n in [3, 10, 16, 48] {
            for i in 0..<n {
                let edge = Double(i) / Double(n)
                XCTAssertEqual(UniformCells.index(edge, cells: n), i)
                if i > 0 { XCTAssertEqual(UniformCells.index(edge.nextDown, cells: n), i - 1) }
            }
            XCTAssertEqual(UniformCells.index(1.0.nextDown, cells: n), n - 1)
            XCTAssertEqual(UniformCells.index(0, cells: n), 0)
        }
    }

    func testHistogramRecorderCountsInOneFlatRowMajorLayout() throws {
        let s = try Scenario(toml: scenario2DConstantFull())
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        let r = HistogramRecorder(cells: 4, dimension: .two, records: 2)
        let b = block(run, capacity: 4, count: 3, positions: [[0.1, 0.6, 0.99], [0.3, 0.3, 0.75]])
        r.beginBlock(b)
        r.record(b, at: 1)
        XCTAssertEqual(r.committedState!.counts.reduce(0, +), 0, "nothing committed before the block ends")
        r.commitBlock()
        var expected = [Double](repeating: 0, count: 32)
        for cell in [0 * 4 + 1, 2 * 4 + 1, 3 * 4 + 3] { expected[16 + cell] += 1 }
        XCTAssertEqual(r.committedState, RecorderState(counts: expected))
        r.beginBlock(b)
        XCTAssertEqual(r.pendingState!.counts.reduce(0, +), 0, "a new block starts from zero")
        r.restorePending(r.committedState!)
        XCTAssertEqual(r.pendingState, RecorderState(counts: expected))
    }

    func testPositionRecorderInterleavesByParticleAtTheBlockOffset() throws {
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * 6 * 2)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: -1, count: 24)
        // Six particles from particle 0; this block is the run's block 1 of size 2 (particles 2 and 3).
        let r = PositionRecorder(buffer: buffer, particles: 6, firstParticle: 0, dimension: .two)
        let b = ParticleBlock(dimension: .two, capacity: 2)
        b.start(1, of: BlockPlan(particles: 8, blockSize: 2), seed: 1)
        b.x[0][0] = 0.1; b.x[1][0] = 0.2; b.x[0][1] = 0.3; b.x[1][1] = 0.4
        r.record(b, at: 1)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer + 12, count: 12)), [-1, -1, -1, -1, 0.1, 0.2, 0.3, 0.4, -1, -1, -1, -1])
        XCTAssertTrue(UnsafeBufferPointer(start: buffer, count: 12).allSatisfy { $0 == -1 })
    }

    func testBatchMeansRecorderPutsParticlePInBatchPModB() throws {
        let s = try Scenario(toml: scenario1D())
        let run = try ParticleRun(scenario: s, scheme: .em, schedule: TimeSchedule(dt: 1e-5, outputs: [1e-5]))
        let r = BatchMeansRecorder(dimension: .one, batches: 3, fine: 8, coarse: 4, recordings: 2, inverseEpsilon: 4, blockSize: 5)
        let x: [Double] = [0.05, 0.3, 0.55, 0.8, 0.95]
        let b = ParticleBlock(dimension: .one, capacity: 5)
        b.start(1, of: BlockPlan(particles: 10, blockSize: 5), seed: 1)   // particles 5…9
        for i in 0..<5 { b.x[0][i] = x[i] }
        _ = run
        r.beginBlock(b)
        r.record(b, at: 1)
        XCTAssertEqual(r.committedState, r.layout.empty, "nothing committed before the block ends")
        r.commitBlock()
        let state = r.committedState!, layout = r.layout
        let fine = layout.fineCounts(state), coarse = layout.coarseCounts(state), series = layout.series(state)
        let moments = layout.moments(state)
        // Particle 5 + i in batch (5 + i) mod 3: batches 2, 0, 1, 2, 0.
        XCTAssertEqual(fine[2][0], 1); XCTAssertEqual(fine[2][6], 1)
        XCTAssertEqual(fine[0][2], 1); XCTAssertEqual(fine[0][7], 1)
        XCTAssertEqual(fine[1][4], 1)
        XCTAssertEqual(coarse.map { $0.reduce(0, +) }, [2, 1, 2])
        XCTAssertEqual(series[0][1].value, x.reduce(0) { $0 + cos(2 * .pi * $1) }, accuracy: 1e-14)
        XCTAssertEqual(series[1][1].value, x.reduce(0) { $0 + sin(2 * .pi * $1) }, accuracy: 1e-14)
        XCTAssertEqual(series[2][1].value, x.reduce(0) { $0 + cos(2 * .pi * $1 * 4) }, accuracy: 1e-13)
        XCTAssertEqual(series[3][1].value, x.reduce(0) { $0 + sin(2 * .pi * $1 * 4) }, accuracy: 1e-13)
        XCTAssertEqual(BatchMeansRecorder.observable(axis: 0, fast: true), 2)
        XCTAssertEqual(series[0][0].value, 0)
        // The layout's views and `state(fine:coarse:series:moments:)` are inverse.
        XCTAssertEqual(layout.state(fine: fine, coarse: coarse, series: series, moments: moments), state)
        // Two recordings, the particles moved by 0.01 between them: each particle's own sum holds
        // both, Σ_p S_p² and Σ g² join the state, and the per-particle room is cleared.
        let two = BatchMeansRecorder(dimension: .one, batches: 3, fine: 8, coarse: 4, recordings: 2, inverseEpsilon: 4, blockSize: 5)
        two.beginBlock(b)
        for i in 0..<5 { b.x[0][i] = x[i] }
        two.record(b, at: 0)
        for i in 0..<5 { b.x[0][i] = x[i] + 0.01 }
        two.record(b, at: 1)
        two.commitBlock()
        let both = layout.moments(two.committedState!)
        let ownSums = x.map { cos(2 * .pi * $0) + cos(2 * .pi * ($0 + 0.01)) }
        XCTAssertEqual(both[0][0].value, ownSums.reduce(0) { $0 + $1 * $1 }, accuracy: 1e-13)
        XCTAssertEqual(both[0][1].value, x.reduce(0) { $0 + pow(cos(2 * .pi * $1), 2) + pow(cos(2 * .pi * ($1 + 0.01)), 2) },
                       accuracy: 1e-13)
        XCTAssertTrue(two.committedState!.counts[layout.particleIndex(observable: 0, particle: 0)...].allSatisfy { $0 == 0 })
    }

    /// The stationary observable sums do not depend on the order of their terms (which worker
    /// ran which block): the same 4000 block sums in three orders give the same bits, where plain
    /// double addition does not, and the value is within a rounding of an accurate sum.
    func testExactSumsDoNotDependOnTheOrderOfTerms() throws {
        let terms = (0..<4000).map { k in 300 * cos(0.37 * Double(k * k)) + 1e-7 * sin(Double(k)) }
        var shuffled = terms, g = SplitMix(seed: 3)   // Fisher–Yates with the tests' SplitMix64
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let orders = [terms, Array(terms.reversed()), shuffled]
        let exact = orders.map { o -> ExactSum in var e = ExactSum(); for t in o { e.add(t) }; return e }
        XCTAssertEqual(exact[0], exact[1]); XCTAssertEqual(exact[0], exact[2])
        XCTAssertEqual(exact[0].value.bitPattern, exact[2].value.bitPattern)
        let plain = orders.map { $0.reduce(0, +) }
        XCTAssertTrue(plain[0] != plain[1] || plain[0] != plain[2], "plain sums happened to agree: the test would not see order")
        // Reference: Neumaier's compensated sum, error below 2u|S| + n u² Σ|x| ≈ 3e-12 here; the exact
        // sum's is below half an ulp of |S| (~1e-12) plus 4000 × 2^-65.
        var reference = 0.0, compensation = 0.0
        for t in terms {
            let sum = reference + t
            compensation += abs(reference) >= abs(t) ? (reference - sum) + t : (t - sum) + reference
            reference = sum
        }
        reference += compensation
        XCTAssertEqual(exact[0].value, reference, accuracy: 1e-10)
        // Partial totals (shards) combine exactly.
        var a = ExactSum(), b = ExactSum()
        for t in terms.prefix(1234) { a.add(t) }
        for t in terms.dropFirst(1234) { b.add(t) }
        a += b
        XCTAssertEqual(a, exact[0])
        let data = try JSONEncoder().encode([exact[0]])
        XCTAssertEqual(try JSONDecoder().decode([ExactSum].self, from: data), [exact[0]])
    }

    // MARK: Schedules

    func testRecordingScheduleRecordsAfterTheBurnInEveryKSteps() {
        let s = RecordingSchedule(dt: 0.5, steps: 10, burnIn: 3, every: 2)
        XCTAssertEqual(s.recordings, 3)
        let steps = Array(s)
        XCTAssertEqual(steps.count, 10)
        XCTAssertTrue(steps.allSatisfy { $0.h == 0.5 })
        XCTAssertEqual(steps.map(\.record), [nil, nil, nil, nil, 0, nil, 1, nil, 2, nil])
        XCTAssertEqual(steps.last?.time, 5)
    }

    // MARK: The engine

    /// (That the failure stops the other workers mid-block: `InterruptTests`.)
    func testEngineRethrowsAWorkerFailure() throws {
        // B = 1e-300 passes the scenario checks and the sampler's (its drift and noise are
        // finite), but one step moves a particle by about 10¹⁴⁸ periods: every block fails at its
        // first step; the run reports a failure, whichever thread met it first. (B = 3e-308, used
        // here before, is now refused before the run: its drift overflows.)
        let s = try Scenario(toml: scenario1D(["B": "B = \"1e-300\"", "f": "rho = \"1\""]))
        let sampler = try ParticleSampler(scenario: s.replacing(particles: ParticleSettings(count: 5000, seed: 1)),
                                          options: .init(threads: 2, allowCoarseTimeStep: true))
        XCTAssertThrowsError(try sampler.run()) { error in
            guard case SamplerError.notFinite = error else { return XCTFail("\(error)") }
        }
    }
}

/// A 2D scenario with a constant full medium B = [[2, 0.5], [0.5, 1]] and uniform π.
func scenario2DConstantFull() -> String {
    """
    name = "full-constant"
    description = "test"
    dimension = 2
    epsilon = "1/2"
    [medium]
    B = [["2", "0.5"], ["0.5", "1"]]
    [equilibrium]
    pi = "1"
    [initial]
    f = "1"
    [time]
    final = 0.001
    outputs = [0.001]
    dt = 1e-5
    [particles]
    count = 100
    seed = 1
    convention = "backward-ito"
    [grid]
    cells = 4
    """
}

